import EngineKit
import Foundation
import Testing

/// A private `dockerd` for one test: its own socket, data root, exec root and pidfile in a temporary directory,
/// stopped by its pid when the test is done. It never touches /var/run/docker.sock.
public final class DockerDaemon: @unchecked Sendable {
  public let directory: TemporaryDirectory
  public let process: ChildProcess
  public var socketPath: String { directory.file("docker.sock") }
  public var host: String { "unix://\(socketPath)" }
  public var logPath: String { directory.file("dockerd.log") }

  /// Whether this machine can run a private daemon: root and `dockerd` on PATH.
  public static var canRun: Bool { getuid() == 0 && Executable.find("dockerd") != nil }

  /// `PREFLIGHT_REQUIRE_ENGINE=1` (CI): a daemon that cannot start fails the test instead of skipping it.
  public static var isRequired: Bool { ProcessInfo.processInfo.environment["PREFLIGHT_REQUIRE_ENGINE"] == "1" }

  /// Skips the test (or, when required, fails it) where no daemon can run here.
  public static func requireCanRun() throws {
    guard canRun else {
      if isRequired { throw FixtureError("PREFLIGHT_REQUIRE_ENGINE=1 but dockerd cannot run here (needs root and dockerd)") }
      try Test.cancel("dockerd cannot run here (needs root and dockerd on PATH)")
    }
  }

  /// Arguments for a daemon rooted in `directory`; the bridge and iptables are off so that daemons of parallel
  /// tests do not fight over the host's network.
  public static func arguments(in directory: TemporaryDirectory) -> [String] {
    [
      "--host", "unix://\(directory.file("docker.sock"))",
      "--data-root", directory.file("data"),
      "--exec-root", directory.file("exec"),
      "--pidfile", directory.file("docker.pid"),
      "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
      "--storage-driver", "vfs",
    ]
  }

  private init(directory: TemporaryDirectory, process: ChildProcess) {
    self.directory = directory
    self.process = process
  }

  /// Starts a daemon and waits until it answers. Skips the test (or, when required, fails it) where no daemon can
  /// run here.
  public static func start(in directory: TemporaryDirectory? = nil, timeout: Duration = .seconds(60)) async throws
    -> DockerDaemon
  {
    try requireCanRun()
    let directory = try directory ?? TemporaryDirectory(prefix: "dk")
    let process = try ChildProcess(
      executable: Executable.find("dockerd")!, arguments: arguments(in: directory),
      standardErrorPath: directory.file("dockerd.log"))
    let daemon = DockerDaemon(directory: directory, process: process)
    do {
      try await daemon.waitUntilReady(timeout: timeout)
    } catch {
      await daemon.stop()
      if isRequired { throw error }
      try Test.cancel("dockerd did not start: \(error)")
    }
    return daemon
  }

  /// Waits until `_ping` answers, with a short back-off; fails early if the daemon exits.
  public func waitUntilReady(timeout: Duration) async throws {
    let endpoint = try Endpoint(parsing: host, source: .flag)
    let deadline = ContinuousClock.now + timeout
    var delay = Duration.milliseconds(5)
    while ContinuousClock.now < deadline {
      if let status = await process.exitStatus(within: .zero) {
        throw FixtureError("dockerd exited with status \(status): \(tail(of: logPath))")
      }
      if (try? await EngineClient(endpoint: endpoint, timeout: .seconds(2)).withSession({ try await $0.ping() })) != nil {
        return
      }
      try await Task.sleep(for: delay)
      delay = min(delay * 2, .milliseconds(100))
    }
    throw FixtureError("dockerd did not answer within \(timeout): \(tail(of: logPath))")
  }

  /// SIGTERM by pid, then SIGKILL if it lingers; removes the directory.
  public func stop() async {
    await process.terminate(grace: .seconds(15))
    directory.remove()
  }

  /// Kills the daemon without letting it clean up (for recovery tests); keeps the directory.
  public func kill() async {
    process.signal(SIGKILL)
    _ = await process.exitStatus
  }
}

/// Runs `body` with a fresh daemon and stops it afterwards, whatever happens.
public func withDockerDaemon<T>(_ body: (DockerDaemon) async throws -> T) async throws -> T {
  let daemon = try await DockerDaemon.start()
  do {
    let result = try await body(daemon)
    await daemon.stop()
    return result
  } catch {
    await daemon.stop()
    throw error
  }
}

public struct FixtureError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// The last lines of a log file, for failure messages.
public func tail(of path: String, lines: Int = 15) -> String {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
  return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
}

/// Finding programs on PATH.
public enum Executable {
  public static func find(_ name: String, path: String? = nil) -> String? {
    let search = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in search.split(separator: ":") {
      let candidate = "\(directory)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }
}
