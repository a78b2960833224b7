import Foundation

/// A directory of its own for one test, under `$TMPDIR` (or /tmp); short paths, because unix socket paths are
/// limited to 107 bytes.
public struct TemporaryDirectory: Sendable {
  public let path: String

  public init(prefix: String = "preflight") throws {
    var template = Array("\(Self.base)/\(prefix).XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "\(Self.base)/\(prefix).XXXXXX"])
    }
    path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  public func file(_ name: String) -> String { "\(path)/\(name)" }

  public func write(_ contents: String, to name: String, mode: Int = 0o644) throws -> String {
    let file = file(name)
    try FileManager.default.createDirectory(
      atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    if mode & 0o111 != 0 {
      try ChildProcess.writeExecutable(contents, to: file, mode: mode_t(mode))
    } else {
      try contents.write(toFile: file, atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
    }
    return file
  }

  public func remove() { try? FileManager.default.removeItem(atPath: path) }

  static var base: String {
    let tmp = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    return tmp.hasSuffix("/") ? String(tmp.dropLast()) : tmp
  }

  /// A fresh path (not created) under the temporary base.
  static func makePath(prefix: String) -> String {
    "\(base)/\(prefix).\(UUID().uuidString.prefix(8))"
  }
}
