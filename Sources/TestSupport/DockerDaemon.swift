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

  /// The files of a daemon that also listens on loopback TCP with `--tlsverify`.
  public struct TLSFiles: Sendable {
    public var caPath: String
    public var certificatePath: String
    public var keyPath: String

    public init(caPath: String, certificatePath: String, keyPath: String) {
      self.caPath = caPath
      self.certificatePath = certificatePath
      self.keyPath = keyPath
    }

    /// The server side of a ``TestPKI``.
    public init(serverOf pki: TestPKI) {
      self.init(caPath: pki.caPath, certificatePath: pki.serverCertificatePath, keyPath: pki.serverKeyPath)
    }
  }

  /// Arguments for a daemon rooted in `directory`; the bridge and iptables are off so that daemons of parallel
  /// tests do not fight over the host's network. With `tls`, it also listens on `tcp://127.0.0.1:0` (a port the
  /// kernel picks, read back from its log) and requires client certificates from the CA.
  public static func arguments(in directory: TemporaryDirectory, tls: TLSFiles? = nil) -> [String] {
    var tcp: [String] = []
    if let tls {
      tcp = [
        "--host", "tcp://127.0.0.1:0", "--tlsverify", "--tlscacert", tls.caPath, "--tlscert", tls.certificatePath,
        "--tlskey", tls.keyPath,
      ]
    }
    return tcp + [
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
  public static func start(
    in directory: TemporaryDirectory? = nil, tls: TLSFiles? = nil, timeout: Duration = .seconds(60)
  ) async throws -> DockerDaemon {
    try requireCanRun()
    let directory = try directory ?? TemporaryDirectory(prefix: "dk")
    await startGate.enter()
    let process: ChildProcess
    do {
      process = try ChildProcess(
        executable: Executable.find("dockerd")!, arguments: arguments(in: directory, tls: tls),
        standardErrorPath: directory.file("dockerd.log"))
    } catch {
      await startGate.leave()
      throw error
    }
    let daemon = DockerDaemon(directory: directory, process: process)
    let started = await capture { try await daemon.waitUntilReady(timeout: timeout) }
    await startGate.leave()
    if case .failure(let error) = started {
      await daemon.stop()
      if isRequired { throw error }
      try Test.cancel("dockerd did not start: \(error)")
    }
    return daemon
  }

  /// Two daemons start at a time: a dozen dockerd and containerd starting at once on two cores stall every other
  /// test's timers for seconds.
  private static let startGate = StartGate(limit: 2)

  /// Waits until `_ping` answers, with a short back-off; fails early if the daemon exits.
  public func waitUntilReady(timeout: Duration) async throws {
    try await waitForEngine(at: host, process: process, name: "dockerd", logPath: logPath, timeout: timeout)
  }

  /// The loopback TCP port a daemon started with `tls` listens on, as its log says (`API listen on 127.0.0.1:PORT`).
  public var tcpPort: Int? {
    guard let log = try? String(contentsOfFile: logPath, encoding: .utf8),
      let mention = log.firstRange(of: "API listen on 127.0.0.1:")
    else { return nil }
    return Int(log[mention.upperBound...].prefix { $0.isNumber })
  }

  /// `tcp://127.0.0.1:PORT` for a daemon started with `tls`.
  public var tcpHost: String? { tcpPort.map { "tcp://127.0.0.1:\($0)" } }

  /// Imports an image made of `/bin/busybox` from busybox-static, with `sh` and `true` linked to it, under `name`
  /// (through `docker import`, so nothing is pulled), and returns its ID. With `trueExitsWith`, `true` is a shell
  /// script exiting with that status instead: a probe that fails.
  @discardableResult
  public func importProbeImage(named name: String = "preflight-probe:latest", trueExitsWith status: Int? = nil)
    async throws -> String
  {
    guard let busybox = ["/bin/busybox", "/usr/bin/busybox"].first(where: FileManager.default.isExecutableFile) else {
      throw FixtureError("no /bin/busybox: install busybox-static")
    }
    let root = directory.file("probe-root-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: busybox, toPath: root + "/bin/busybox")
    try FileManager.default.createSymbolicLink(atPath: "\(root)/bin/sh", withDestinationPath: "busybox")
    if let status {
      try "#!/bin/sh\nexit \(status)\n".write(toFile: "\(root)/bin/true", atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(root)/bin/true")
    } else {
      try FileManager.default.createSymbolicLink(atPath: "\(root)/bin/true", withDestinationPath: "busybox")
    }
    let tarball = root + ".tar"
    let tar = try await CommandRun.run("/bin/tar", ["-C", root, "-cf", tarball, "."])
    guard tar.status == 0 else { throw FixtureError("tar failed: \(tar.standardError)") }
    let docker = Executable.find("docker") ?? "/usr/bin/docker"
    let imported = try await CommandRun.run(
      docker, ["--host", host, "import", tarball, name], environment: PreflightBinary.cleanEnvironment())
    guard imported.status == 0 else { throw FixtureError("docker import failed: \(imported.standardError)") }
    return imported.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// SIGTERM by pid, then SIGKILL if it lingers; removes the directory.
  public func stop() async {
    await process.terminate(grace: .seconds(15))
    directory.remove()
  }

  /// Stops the daemon as ``stop()`` does but keeps its directory — data root and images — so that a daemon started
  /// later on the same directory (by a heal's start command) finds them.
  public func shutDown() async {
    await process.terminate(grace: .seconds(15))
  }

  /// Kills the daemon without letting it clean up (for recovery tests); keeps the directory, so that a daemon can
  /// be started on the same socket again (`start(in: directory)`).
  public func kill() async {
    let containerdPidFile = directory.file("exec/containerd/containerd.pid")
    let containerd = ForeignProcess(pidFile: containerdPidFile)
    process.signal(SIGKILL)
    _ = await process.exitStatus
    // Its containerd dies with it (a parent-death signal), though not at the same instant: wait for that, so that a
    // daemon restarted here never meets the old one alive. Dead, it may linger as a zombie until init reaps it, which
    // a restarted daemon takes for a live containerd (it then waits for a socket that never comes and gives up:
    // "timeout waiting for containerd to start"): forget its pidfile.
    _ = await containerd?.waitForExit(timeout: .seconds(10))
    try? FileManager.default.removeItem(atPath: containerdPidFile)
    // dockerd mounts its data root on itself and, killed, cannot undo it: a restart would stack a second mount, and
    // the directory could not be removed.
    umount2(directory.file("data"), Int32(MNT_DETACH))
  }
}

/// Runs `body` with a fresh daemon and stops it afterwards, whatever happens.
public func withDockerDaemon<T>(
  tls: DockerDaemon.TLSFiles? = nil, _ body: (DockerDaemon) async throws -> T
) async throws -> T {
  let daemon = try await DockerDaemon.start(tls: tls)
  do {
    let result = try await body(daemon)
    await daemon.stop()
    return result
  } catch {
    await daemon.stop()
    throw error
  }
}

/// Runs `body` with a private dockerd behind a relay on a socket of its own, which holds each call whose path contains a
/// key of `holding` for that long (``FaultListener/Behaviour/relay(upstream:holding:)``); stops the relay, then the
/// daemon, whatever `body` did.
public func withRelayedDockerDaemon<T>(
  holding: [String: Duration], _ body: (DockerDaemon, FaultListener) async throws -> T
) async throws -> T {
  try await withDockerDaemon { daemon in
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let relay = try await FaultListener.start(
      .relay(upstream: daemon.socketPath, holding: holding), unixSocket: directory.file("relay.sock"))
    let result = await capture { try await body(daemon, relay) }
    await relay.stop()
    return try result.get()
  }
}

/// Waits until the engine that `process` runs answers `_ping` at `host`, backing off from 5 ms to 100 ms between
/// attempts (the socket appears only once the engine is up); fails early if the process exits.
func waitForEngine(at host: String, process: ChildProcess, name: String, logPath: String, timeout: Duration)
  async throws
{
  let endpoint = try Endpoint(parsing: host, source: .flag)
  let deadline = ContinuousClock.now + timeout
  var delay = Duration.milliseconds(5)
  while ContinuousClock.now < deadline {
    if !process.isRunning {
      throw FixtureError("\(name) exited with status \(await process.exitStatus): \(tail(of: logPath))")
    }
    if (try? await EngineClient(endpoint: endpoint, timeout: .seconds(2)).withSession({ try await $0.ping() })) != nil
    {
      return
    }
    try await Task.sleep(for: delay)
    delay = min(delay * 2, .milliseconds(100))
  }
  throw FixtureError("\(name) did not answer within \(timeout): \(tail(of: logPath))")
}

public struct FixtureError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// The last lines of a log file, for failure messages; without dockerd's gRPC connection chatter (`module=grpc`), which
/// would fill them while it waits for containerd.
public func tail(of path: String, lines: Int = 15) -> String {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
  return text.split(separator: "\n").filter { !$0.contains("module=grpc") }.suffix(lines).joined(separator: "\n")
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

/// A counting gate: at most `limit` holders at once; the others wait their turn, in order.
actor StartGate {
  private let limit: Int
  private var holders = 0
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(limit: Int) { self.limit = limit }

  func enter() async {
    guard holders >= limit else {
      holders += 1
      return
    }
    // The place is handed over by `leave`, which keeps the count.
    await withCheckedContinuation { waiting.append($0) }
  }

  func leave() {
    if waiting.isEmpty {
      holders -= 1
    } else {
      waiting.removeFirst().resume()
    }
  }
}
