import Foundation

/// A directory of stub commands to put on PATH in place of programs this machine does not have (`tasklist.exe`,
/// `wsl.exe`, macOS's `ps`). Each stub records its arguments and prints recorded output, byte for byte.
public struct FakeCommands: Sendable {
  public let directory: String

  public init(in parent: TemporaryDirectory, name: String = "bin") throws {
    directory = parent.file(name)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  /// Adds `name`, which prints `output` on stdout and exits with `exitCode`.
  public func add(_ name: String, printing output: [UInt8], exitCode: Int32 = 0) throws {
    let outputPath = "\(directory)/.\(name).out"
    try Data(output).write(to: URL(fileURLWithPath: outputPath))
    // Absolute paths: the stub runs with the test's PATH, which usually holds only the stubs.
    let cat = Executable.find("cat") ?? "/bin/cat"
    let script = """
      #!/bin/sh
      printf '%s\\n' "$@" > '\(directory)/.\(name).argv'
      \(cat) '\(outputPath)'
      exit \(exitCode)

      """
    try Self.writeExecutable(script, to: "\(directory)/\(name)")
  }

  /// Writes a script through a close-on-exec descriptor. A descriptor open for writing that a child spawned at the
  /// same moment (by a test running in parallel) inherits makes every exec of the script fail with ETXTBSY for as
  /// long as that child lives; Foundation's writes do not set close-on-exec.
  public static func writeExecutable(_ script: String, to path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard descriptor >= 0 else { throw FixtureError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { Foundation.close(descriptor) }
    let bytes = Array(script.utf8)
    guard bytes.withUnsafeBytes({ Foundation.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
      throw FixtureError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }

  public func add(_ name: String, printing output: String, exitCode: Int32 = 0) throws {
    try add(name, printing: Array(output.utf8), exitCode: exitCode)
  }

  /// The arguments of the stub's last run, or `nil` if it never ran.
  public func arguments(of name: String) -> [String]? {
    guard let text = try? String(contentsOfFile: "\(directory)/.\(name).argv", encoding: .utf8) else { return nil }
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
  }
}

/// A unix socket bound by a test: listening while it is open, or left behind stale (the file stays, nobody listens).
public final class UnixSocketFile: @unchecked Sendable {
  public let path: String
  private var descriptor: Int32

  /// Binds `path` (creating its directory) and listens.
  public init(listeningAt path: String) throws {
    self.path = path
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    // Close-on-exec, like every descriptor here: a child spawned by a parallel test must not keep it open.
    descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
      throw FixtureError("socket path too long for sun_path: \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard bound == 0, listen(descriptor, 8) == 0 else {
      throw FixtureError("bind/listen \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// A socket file nobody listens on: bound, then closed without unlinking, as a crashed engine leaves it.
  @discardableResult
  public static func stale(at path: String) throws -> String {
    let socket = try UnixSocketFile(listeningAt: path)
    socket.close()
    return path
  }

  /// Waits up to `timeout` for a client to connect, accepts it and returns its descriptor (see ``hangUp(_:)``),
  /// or `nil` if none came. The wait blocks a dispatch thread, not the test's.
  public func acceptConnection(within timeout: Duration) async -> Int32? {
    let listener = descriptor
    let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    return await withCheckedContinuation { continuation in
      DispatchQueue.global().async {
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) == 1 else { return continuation.resume(returning: nil) }
        let client = accept(listener, nil, nil)
        if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
        continuation.resume(returning: client >= 0 ? client : nil)
      }
    }
  }

  /// Ends an accepted connection for the peer: `shutdown` reaches it even if a child spawned in parallel holds a copy
  /// of the descriptor, where `close` alone would leave the connection open.
  public static func hangUp(_ connection: Int32) {
    shutdown(connection, Int32(SHUT_RDWR))
    Foundation.close(connection)
  }

  /// Stops listening; the file stays.
  public func close() {
    if descriptor >= 0 { Foundation.close(descriptor) }
    descriptor = -1
  }

  deinit { close() }
}
