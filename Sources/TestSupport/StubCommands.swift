import Foundation

/// A directory of stand-in programs for what this machine cannot run (Docker Desktop, colima, systemctl under
/// systemd, …): each records its name and arguments, exactly, then exits with a chosen status. Put ``binDirectory``
/// on PATH; read back what ran with ``invocations``.
public struct StubCommands: Sendable {
  public let directory: TemporaryDirectory
  public var binDirectory: String { directory.file("bin") }
  /// Where invocations are recorded: fields separated by US (0x1f), invocations ended by RS (0x1e), so that any
  /// argument — spaces, newlines, `;`, `$(…)` — survives unchanged.
  public var recordPath: String { directory.file("invocations") }

  public init(_ names: [String] = [], exitStatus: Int32 = 0, output: String = "") throws {
    directory = try TemporaryDirectory(prefix: "stub")
    for name in names { try add(name, exitStatus: exitStatus, output: output) }
  }

  /// Adds a stub called `name` (in ``binDirectory``, or at `path` when given) that records its argv, prints
  /// `output` on stderr and exits with `exitStatus`.
  @discardableResult
  public func add(_ name: String, at path: String? = nil, exitStatus: Int32 = 0, output: String = "") throws -> String {
    let file = path ?? "\(binDirectory)/\(name)"
    try FileManager.default.createDirectory(
      atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let script = """
      #!/bin/sh
      US=$(printf '\\037')
      record=\(Self.shellQuoted(name))
      for argument in "$@"; do record="$record$US$argument"; done
      printf '%s\\036' "$record" >> \(Self.shellQuoted(recordPath))
      \(output.isEmpty ? "" : "printf '%s\\n' \(Self.shellQuoted(output)) >&2")
      exit \(exitStatus)

      """
    try ChildProcess.writeExecutable(script, to: file)
    return file
  }

  /// Every recorded invocation, in order: the stub's name, then its arguments.
  public var invocations: [[String]] {
    guard let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
    return text.split(separator: "\u{1e}", omittingEmptySubsequences: true).map { record in
      record.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
    }
  }

  public func remove() { directory.remove() }

  /// `'…'` with embedded quotes escaped, for the few values baked into a script.
  public static func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
  }
}
