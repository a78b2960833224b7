import Foundation
import Testing

/// A private `sshd` on loopback for one test: its own host key, config and authorized key in a temporary directory,
/// ended by its pid. Sessions get `sessionEnvironment` (`SetEnv`), e.g. `DOCKER_HOST` pointing at the test's own
/// dockerd, so that the remote `docker system dial-stdio` reaches it.
public final class SSHServer: @unchecked Sendable {
  public let directory: TemporaryDirectory
  public let port: Int
  private let process: ChildProcess

  /// The key whose public half is authorized.
  public var authorizedKeyPath: String { directory.file("client_key") }
  /// A key the server does not know.
  public var strangerKeyPath: String { directory.file("stranger_key") }
  /// `ssh://root@127.0.0.1:PORT`.
  public var host: String { "ssh://root@127.0.0.1:\(port)" }

  /// Root (sshd changes user), `sshd` and `ssh-keygen`.
  public static var canRun: Bool {
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: sshdPath) && Executable.find("ssh-keygen") != nil
  }
  static let sshdPath = "/usr/sbin/sshd"

  private init(directory: TemporaryDirectory, port: Int, process: ChildProcess) {
    self.directory = directory
    self.port = port
    self.process = process
  }

  /// Options for the ssh client: this key only, no known-hosts file, no user configuration.
  public func clientArguments(key: String? = nil) -> [String] {
    [
      "-F", "/dev/null", "-i", key ?? authorizedKeyPath, "-o", "IdentitiesOnly=yes", "-o",
      "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    ]
  }

  /// A directory holding an `ssh` that runs the real ssh with ``clientArguments(key:)``: put it first on the `PATH`
  /// of a `docker-preflight` run, which then reaches this server as it would with a user's ssh configuration.
  public func clientDirectory(key: String? = nil) throws -> String {
    let arguments = clientArguments(key: key).map { "'\($0)'" }.joined(separator: " ")
    let ssh = Executable.find("ssh") ?? "/usr/bin/ssh"
    _ = try directory.write("#!/bin/sh\nexec \(ssh) \(arguments) \"$@\"\n", to: "client-bin/ssh", mode: 0o755)
    return directory.file("client-bin")
  }

  /// Starts a server and waits until it listens. Skips the test (or, under PREFLIGHT_REQUIRE_ENGINE=1, fails it)
  /// where it cannot run.
  public static func start(sessionEnvironment: [String: String] = [:]) async throws -> SSHServer {
    guard canRun else {
      if DockerDaemon.isRequired { throw FixtureError("PREFLIGHT_REQUIRE_ENGINE=1 but sshd cannot run here") }
      try Test.cancel("sshd cannot run here (needs root, /usr/sbin/sshd and ssh-keygen)")
    }
    let directory = try TemporaryDirectory(prefix: "sshd")
    do {
      try await makeKeys(in: directory)
      try writeConfig(in: directory, sessionEnvironment: sessionEnvironment)
      // sshd insists on its privilege-separation directory; Debian's init script creates it.
      try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
      // sshd cannot listen on port 0 and report the port, so a free port is tried and, if taken meanwhile, another.
      for _ in 0..<8 {
        if let server = try await launch(in: directory, port: try freeLoopbackPort()) { return server }
      }
      throw FixtureError("sshd found no free port")
    } catch {
      directory.remove()
      throw error
    }
  }

  /// SIGTERM by pid; removes the directory.
  public func stop() async {
    await process.terminate(grace: .seconds(5))
    directory.remove()
  }

  private enum Start: Sendable {
    case listening
    case portTaken
  }

  private static func launch(in directory: TemporaryDirectory, port: Int) async throws -> SSHServer? {
    // Through sh only to put sshd's log (stderr, -e) on the pipe we read; `exec` keeps the pid sshd's.
    let process = try ChildProcess(
      executable: "/bin/sh",
      arguments: ["-c", "exec \(sshdPath) -D -e -f '\(directory.file("sshd_config"))' -p \(port) 2>&1"])
    let start: Start
    do {
      start = try await process.firstLine(within: .seconds(10)) { line in
        if line.contains("Server listening on 127.0.0.1 port \(port)") { return Start.listening }
        if line.contains("Address already in use") || line.contains("Cannot bind any address") {
          return Start.portTaken
        }
        return nil
      }
    } catch {
      await process.terminate(grace: .seconds(1))
      let config = (try? String(contentsOfFile: directory.file("sshd_config"), encoding: .utf8)) ?? ""
      throw FixtureError("sshd did not start: \(error); stderr: \(process.standardError); config:\n\(config)")
    }
    guard start == .listening else {
      await process.terminate(grace: .seconds(1))
      return nil
    }
    return SSHServer(directory: directory, port: port, process: process)
  }

  private static func makeKeys(in directory: TemporaryDirectory) async throws {
    let keygen = Executable.find("ssh-keygen") ?? "/usr/bin/ssh-keygen"
    for name in ["host_key", "client_key", "stranger_key"] {
      let run = try await CommandRun.run(keygen, ["-q", "-t", "ed25519", "-N", "", "-f", directory.file(name)])
      guard run.status == 0 else { throw FixtureError("ssh-keygen failed: \(run.standardError)") }
    }
    try FileManager.default.copyItem(
      atPath: directory.file("client_key.pub"), toPath: directory.file("authorized_keys"))
  }

  private static func writeConfig(in directory: TemporaryDirectory, sessionEnvironment: [String: String]) throws {
    var lines = [
      "ListenAddress 127.0.0.1",
      "HostKey \(directory.file("host_key"))",
      "AuthorizedKeysFile \(directory.file("authorized_keys"))",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The temporary directory is not root-owned 0755 all the way up, as StrictModes wants.
      "StrictModes no",
      "PidFile none",
      "LogLevel INFO",
    ]
    if !sessionEnvironment.isEmpty {
      let pairs = sessionEnvironment.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
      lines.append("SetEnv " + pairs.joined(separator: " "))
    }
    _ = try directory.write(lines.joined(separator: "\n") + "\n", to: "sshd_config", mode: 0o600)
  }
}

/// Runs `body` with a fresh sshd and stops it afterwards, whatever happens.
public func withSSHServer<T>(
  sessionEnvironment: [String: String] = [:], _ body: (SSHServer) async throws -> T
) async throws -> T {
  let server = try await SSHServer.start(sessionEnvironment: sessionEnvironment)
  do {
    let result = try await body(server)
    await server.stop()
    return result
  } catch {
    await server.stop()
    throw error
  }
}

/// A loopback TCP port that was free a moment ago: bind port 0, read it, let it go. Only for servers that cannot
/// bind port 0 themselves and report it; a caller must cope with losing the port to someone else.
public func freeLoopbackPort() throws -> Int {
  let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard descriptor >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
  defer { close(descriptor) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = 0
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) { pointer in
    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
      bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
    }
  }
  guard bound else { throw FixtureError("bind: \(String(cString: strerror(errno)))") }
  return Int(UInt16(bigEndian: address.sin_port))
}
