import Foundation
import JSON
import Synchronization
import TestSupport
import Testing

/// The engine failing under us — killed, hung, replaced, slow, never started, or not an engine at all — through the
/// real binary: every call ends within its bound with a classified result, and no answer is lost.
///
/// Bounds, from inside (the report's own `durationMs`, the wait's `elapsedMs`): `check` within 2 × `--timeout`
/// (a `_ping` and a `/version`, each bounded) + 3 s; a wait within its timeout + 2 × 300 ms (the closing diagnosis)
/// + 3 s. The 3 s are what the whole suite running at once on a loaded two-core machine needs; a call that waited
/// on the listener instead of its own timeout would not meet them. From outside, process start included, within a
/// generous 30 s: that bound proves an end, not a speed.
@Suite("Engine faults: classified, bounded, nothing lost")
struct EngineFaultTests {
  struct Fault: Sendable, CustomStringConvertible {
    var name: String
    var behaviour: FaultListener.Behaviour
    /// The connectivity issue's code.
    var code: String
    var description: String { name }
    /// A listener that hangs is given 1 s per call; the others answer at once, and get a bound a loaded machine
    /// cannot run out of before they do, so that their class is what is tested, not the machine's speed.
    var timeoutSeconds: Int { code == "timeout" ? 1 : 20 }
  }

  static let faults: [Fault] = [
    Fault(name: "accepts and never answers", behaviour: .neverAnswer, code: "timeout"),
    Fault(name: "a web server", behaviour: .answerHTTP(status: 404), code: "not-an-engine"),
    Fault(name: "closes on accept", behaviour: .closeOnAccept, code: "protocol-error"),
    Fault(name: "garbage", behaviour: .garbage, code: "not-an-engine"),
    Fault(
      name: "headers, then close", behaviour: .halfResponse(claimedLength: 100, sentLength: 0, thenHang: false),
      code: "protocol-error"),
    Fault(
      name: "a short body, then close", behaviour: .halfResponse(claimedLength: 5000, sentLength: 10, thenHang: false),
      code: "protocol-error"),
    Fault(
      name: "a short body, then silence", behaviour: .halfResponse(claimedLength: 5000, sentLength: 10, thenHang: true),
      code: "timeout"),
    Fault(name: "a status line without end", behaviour: .endlessHead, code: "not-an-engine"),
    Fault(name: "100 000 header fields", behaviour: .manyHeaders(count: 100_000), code: "not-an-engine"),
    Fault(name: "a body without end", behaviour: .endlessBody, code: "not-an-engine"),
  ]

  /// A diagnosis's bound: two calls, each within its timeout, and 3 s for a loaded two-core machine's scheduling.
  static func diagnosisBoundMs(timeoutSeconds: Int) -> Int64 { Int64(2000 * timeoutSeconds + 3000) }

  /// A wait's bound: its timeout, the closing diagnosis (`_ping` and `/version`, 300 ms each), and the same 3 s.
  static func waitBoundMs(timeoutMs: Int64) -> Int64 { timeoutMs + 600 + 3000 }

  /// A debug build's own footprint (~40 MiB) plus a few calls at once, each holding a body of up to
  /// `EngineClient.maxBodyBytes` (16 MiB) in a buffer that doubles as it grows (a wait's reached 136 MiB against a
  /// flood); far below the gigabytes an unbounded read of a local flood takes in the seconds each call lasts.
  static let memoryBoundKilobytes = 256 << 10

  /// One at a time: the floods keep a core busy, and parallel cases would starve each other's listeners.
  @Test(
    "check, wait, diagnose and waitReady against a listener that is not a working engine", .serialized,
    arguments: faults)
  func hostileListener(_ fault: Fault) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let listener = try await FaultListener.start(fault.behaviour, unixSocket: directory.file("fault.sock"))
    defer { Task { await listener.stop() } }
    let clock = ContinuousClock()

    let timeout = fault.timeoutSeconds
    // The wait's closing diagnosis has 300 ms: on a loaded machine it may time out where a longer call would not.
    let waitCodes = [fault.code, "timeout"]

    var started = clock.now
    let check = try await PreflightRun.run(
      ["check", "--json", "--timeout", "\(timeout)s", "-H", listener.host], measuringPeakMemory: true)
    #expect(clock.now - started < .seconds(30 + 2 * timeout))
    #expect(check.status == 1, "\(check.standardError)")
    let report = try JSONValue.parse(check.standardOutput)
    #expect(report["issues"]?[0]?["code"] == .string(fault.code), "\(report["issues"] ?? .null)")
    #expect((report["durationMs"]?.intValue ?? .max) < Self.diagnosisBoundMs(timeoutSeconds: timeout))
    #expect(
      (check.peakMemoryKilobytes ?? .max) < Self.memoryBoundKilobytes, "peak \(check.peakMemoryKilobytes ?? 0) KiB")

    started = clock.now
    let wait = try await PreflightRun.run(
      ["wait", "--json", "--timeout", "1500ms", "-H", listener.host], measuringPeakMemory: true)
    #expect(clock.now - started < .seconds(30))
    #expect(wait.status == 1, "\(wait.standardError)")
    let waited = try JSONValue.parse(wait.standardOutput)
    #expect(waited["ready"] == false)
    #expect((waited["elapsedMs"]?.intValue ?? .max) < Self.waitBoundMs(timeoutMs: 1500))
    #expect(waitCodes.contains(waited["report"]?["issues"]?[0]?["code"]?.stringValue ?? ""))
    #expect(
      (wait.peakMemoryKilobytes ?? .max) < Self.memoryBoundKilobytes, "peak \(wait.peakMemoryKilobytes ?? 0) KiB")

    let session = try ServeSession(framing: .newlineDelimited)
    let params: JSONValue = ["host": .string(listener.host), "timeoutMs": .int(Int64(timeout * 1000))]
    let diagnosed = try await session.request("diagnose", params: params)
    #expect(diagnosed["result"]?["issues"]?[0]?["code"] == .string(fault.code), "\(diagnosed)")
    #expect((diagnosed["result"]?["durationMs"]?.intValue ?? .max) < Self.diagnosisBoundMs(timeoutSeconds: timeout))
    let ready = try await session.request(
      "waitReady", params: ["host": .string(listener.host), "timeoutMs": 1500])
    #expect(ready["error"]?["code"] == -32001, "\(ready)")
    let readyCode = ready["error"]?["data"]?["report"]?["issues"]?[0]?["code"]?.stringValue ?? ""
    #expect(waitCodes.contains(readyCode), "\(readyCode)")
    #expect((ready["error"]?["data"]?["elapsedMs"]?.intValue ?? .max) < Self.waitBoundMs(timeoutMs: 1500))
    // The server still answers after all that.
    #expect(try await session.request("diagnose", params: params)["result"] != nil)
    #expect(try await session.finish() == 0)
  }

  @Test(
    "a daemon killed while check waits on its answer: the report says it stopped, at once",
    arguments: ["_ping", "/version", "/info"])
  func killedMidDiagnose(held: String) async throws {
    try await HeldDaemon.with(holding: held) { daemon in
      let clock = ContinuousClock()
      let started = clock.now
      let check = try ChildProcess(
        executable: PreflightBinary.path, arguments: ["check", "--json", "--timeout", "30s", "-H", daemon.host],
        environment: PreflightBinary.cleanEnvironment())
      try check.closeInput()
      await daemon.killWhileHeld()
      var output: [UInt8] = []
      for await chunk in check.output { output += chunk }
      let status = await check.exitStatus(within: .seconds(30))
      // Well before the 30 s the held call would wait: the kill ended it.
      #expect(clock.now - started < .seconds(25))
      let report = try JSONValue.parse(output)
      let connectivity = report["checks"]?.arrayValue?.first { $0["id"] == "connectivity" }
      if held == "/info" && connectivity?["status"] == "pass" {
        // /info is asked alongside /version: when /version answered before the kill, the report says so, without
        // what /info would have added.
        #expect(status == 0 || status == 1)
      } else {
        #expect(status == 1)
        #expect(report["issues"]?[0]?["code"] == "connection-refused", "\(report["issues"] ?? .null)")
        #expect(report["issues"]?[0]?["message"]?.stringValue?.contains("stopped while answering") == true)
      }
    }
  }

  @Test("a daemon killed during waitReady: the wait goes on, and answers ready when another daemon takes the socket")
  func killedMidWaitReady() async throws {
    try await HeldDaemon.with(holding: "/version") { daemon in
      let session = try ServeSession(framing: .contentLength)
      try await session.sendRequest(
        id: "w", method: "waitReady",
        params: ["host": .string(daemon.host), "timeoutMs": 90_000, "workDoneToken": "w"])
      await daemon.killWhileHeld()
      // The relay's socket is left stale, as the daemon's would be; the wait sees it refused, then a new daemon.
      _ = try await session.take(what: "the refused phase") { $0["params"]?["value"]?["phase"] == "refused" }
      try await daemon.replace()
      let answer = try await session.response(to: "w", timeout: .seconds(90))
      #expect(answer["result"]?["ready"] == true, "\(answer)")
      #expect(answer["result"]?["report"]?["healthy"] == true)
      #expect(try await session.finish() == 0)
    }
  }

  @Test("a daemon killed during wait, and never back: wait gives up at its timeout, saying it stopped")
  func killedMidWait() async throws {
    try await HeldDaemon.with(holding: "/version") { daemon in
      let wait = try ChildProcess(
        executable: PreflightBinary.path, arguments: ["wait", "--json", "--timeout", "4s", "-H", daemon.host],
        environment: PreflightBinary.cleanEnvironment())
      try wait.closeInput()
      await daemon.killWhileHeld()
      var output: [UInt8] = []
      for await chunk in wait.output { output += chunk }
      #expect(await wait.exitStatus(within: .seconds(30)) == 1)
      let answer = try JSONValue.parse(output)
      #expect(answer["ready"] == false)
      #expect((answer["elapsedMs"]?.intValue ?? .max) < Self.waitBoundMs(timeoutMs: 4000))
      #expect(answer["report"]?["issues"]?[0]?["code"] == "connection-refused", "\(answer)")
    }
  }

  @Test("watch: a daemon killed while the watch's first diagnosis waits on it starts the watch unreachable; then ready")
  func killedMidWatch() async throws {
    try await HeldDaemon.with(holding: "/version") { daemon in
      let session = try ServeSession(framing: .contentLength)
      try await session.sendRequest(
        id: "watch", method: "watch", params: ["host": .string(daemon.host), "intervalMs": 1000])
      await daemon.killWhileHeld()
      let watching = try await session.response(to: "watch", timeout: .seconds(30))
      #expect(watching["result"]?["status"] == "unreachable", "\(watching)")
      // A killed daemon's connections drop only once the kernel has torn it down, which on a loaded machine may take
      // longer than the watch's 2 s per call: what the watch saw then was silence. (The class of a daemon stopping
      // mid-answer is killedMidDiagnose's, with time to spare.)
      let code = watching["result"]?["report"]?["issues"]?[0]?["code"]?.stringValue ?? ""
      #expect(["connection-refused", "timeout"].contains(code), "\(code)")
      try await daemon.replace()
      let back = try await session.healthChanged(within: .seconds(60))
      #expect(back["params"]?["status"] == "ready")
      #expect(back["params"]?["previous"] == "unreachable")
      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
    }
  }

  @Test("watch: a daemon that hangs (SIGSTOP) is reported hung by the periodic ping, and ready when it resumes")
  func hungMidWatch() async throws {
    let daemon = try await DockerDaemon.start()
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]))
    let result = await capture {
      let watching = try await session.request("watch", params: ["intervalMs": 1000])
      #expect(watching["result"]?["status"] == "ready")
      daemon.process.signal(SIGSTOP)
      let lost = try await session.healthChanged(within: .seconds(30))
      daemon.process.signal(SIGCONT)
      #expect(lost["params"]?["status"] == "hung")
      #expect(lost["params"]?["report"]?["issues"]?[0]?["code"] == "engine-hung")
      let back = try await session.healthChanged(within: .seconds(60))
      #expect(back["params"]?["status"] == "ready")
      #expect(back["params"]?["previous"] == "hung")
      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
    }
    daemon.process.signal(SIGCONT)
    await daemon.stop()
    try result.get()
  }

  @Test("watch: the socket replaced under a running daemon by another listener is noticed, and named")
  func socketReplacedMidWatch() async throws {
    let daemon = try await DockerDaemon.start()
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]))
    var impostor: FaultListener?
    let result = await capture {
      let watching = try await session.request("watch", params: ["intervalMs": 500])
      #expect(watching["result"]?["status"] == "ready")
      // Another listener takes the socket's path, in one step (rename(2)): the daemon runs on, listening on a
      // socket no path leads to any more, and its /events stream stays open.
      let elsewhere = daemon.directory.file("impostor.sock")
      impostor = try await FaultListener.start(.answerHTTP(status: 404), unixSocket: elsewhere)
      #expect(rename(elsewhere, daemon.socketPath) == 0)
      let changed = try await session.healthChanged(within: .seconds(30))
      #expect(changed["params"]?["status"] == "unreachable")
      #expect(changed["params"]?["report"]?["issues"]?[0]?["code"] == "not-an-engine")
      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
    }
    await impostor?.stop()
    await daemon.stop()
    try result.get()
  }

  @Test("waitReady: garbage on the socket first, then a real daemon replacing it: ready")
  func socketReplacedMidWaitReady() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let impostor = try await FaultListener.start(.garbage, unixSocket: directory.file("docker.sock"))
    let session = try ServeSession(framing: .newlineDelimited)
    var daemon: DockerDaemon?
    let result = await capture {
      try await session.sendRequest(
        id: "w", method: "waitReady",
        params: ["host": .string(impostor.host), "timeoutMs": 90_000, "workDoneToken": "w"])
      _ = try await session.take(what: "the unreachable phase") { $0["params"]?["value"]?["phase"] == "unreachable" }
      await impostor.stop()
      daemon = try await DockerDaemon.start(in: directory)
      let answer = try await session.response(to: "w", timeout: .seconds(90))
      #expect(answer["result"]?["ready"] == true, "\(answer)")
      #expect(try await session.finish() == 0)
    }
    await daemon?.stop()
    directory.remove()
    try result.get()
  }

  @Test("a very slow /info: check and diagnose answer within their bound, from _ping and /version")
  func slowInfo() async throws {
    try await withRelayedDockerDaemon(holding: ["/info": .seconds(60)]) { _, relay in
      let check = try await PreflightRun.run(["check", "--json", "--timeout", "1s", "-H", relay.host])
      let report = try JSONValue.parse(check.standardOutput)
      #expect(report["status"] == "ready", "\(report)")
      #expect(report["provider"] == "docker-engine")
      #expect((report["durationMs"]?.intValue ?? .max) < Self.diagnosisBoundMs(timeoutSeconds: 1))
      let session = try ServeSession(framing: .newlineDelimited)
      let diagnosed = try await session.request(
        "diagnose", params: ["host": .string(relay.host), "timeoutMs": 1000])
      #expect(diagnosed["result"]?["status"] == "ready")
      #expect((diagnosed["result"]?["durationMs"]?.intValue ?? .max) < Self.diagnosisBoundMs(timeoutSeconds: 1))
      #expect(try await session.finish() == 0)
    }
  }

  @Test(
    "check asks _ping, /version and /info at once; while _ping goes unanswered the engine is not ready",
    // A plain check gets its questions asked before the command line is parsed; one with --timeout after.
    arguments: [["check", "--json"], ["check", "--json", "--timeout", "1s"]])
  func questionsAskedTogether(arguments: [String]) async throws {
    try await withRelayedDockerDaemon(holding: ["/_ping": .seconds(60)]) { _, relay in
      let run = try await PreflightRun.run(arguments + ["-H", relay.host])
      // The check is over: every question it asked has reached the relay.
      let asked = relay.requestsSoFar
      for call in ["HEAD /_ping", "GET /version", "GET /info"] {
        #expect(asked.contains { $0.hasPrefix(call) }, "\(asked)")
      }
      #expect(run.status == 1)
      let report = try JSONValue.parse(run.standardOutput)
      #expect(report["daemonAccessible"] == false)
      #expect(report["issues"]?[0]?["code"] == "timeout", "\(report)")
    }
  }

  @Test(
    "a dockerd that exits at start: heal reports it at once, with the daemon's own words",
    arguments: [
      (["--config-file", "/nonexistent/daemon.json"], "unable to configure the Docker daemon with file"),
      (["--config-file", "BAD_CONFIG"], "don't match any configuration option: no-such-directive"),
      (["--no-such-flag"], "unknown flag: --no-such-flag"),
    ])
  func daemonExitsAtStart(extraArguments: [String], says: String) async throws {
    try DockerDaemon.requireCanRun()
    let daemon = try TemporaryDirectory(prefix: "dk")
    defer { daemon.remove() }
    var scene = try HealTests.Scene(host: "unix://\(daemon.file("docker.sock"))")
    defer { scene.remove() }
    let badConfig = try scene.directory.write(#"{"no-such-directive": 1}"#, to: "daemon.json")
    let wrapper = try DockerdWrapper(
      in: scene.directory, daemonDirectory: daemon,
      extraArguments: extraArguments.map { $0 == "BAD_CONFIG" ? badConfig : $0 })
    scene.environment["PATH"] = wrapper.searchPath
    let clock = ContinuousClock()
    let started = clock.now
    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "dockerd", "--timeout", "90s"])
    // The dockerd step waits up to 60 s for readiness; the daemon's exit ends that wait at once.
    #expect(clock.now - started < .seconds(30))
    #expect(run.status == 1, "\(run.standardError)")
    let step = outcome?["steps"]?[0]
    #expect(step?["strategy"] == "dockerd")
    #expect(step?["outcome"] == "failed")
    #expect(step?["exitCode"]?.intValue.map { $0 != 0 } == true)
    #expect(step?["pid"] == nil)
    #expect(step?["output"]?.stringValue?.contains(says) == true, "\(step?["output"] ?? .null)")
    #expect(outcome?["message"]?.stringValue?.contains(says) == true)
    let logged = try scene.actionLogEntries()
    #expect(logged.count == 1)
    #expect(logged.first?["outcome"] == "failed")
    #expect(logged.first?["output"]?.stringValue?.contains(says) == true)
  }
}

extension ServeSession {
  /// The next `healthChanged` notification; other messages stay in order.
  func healthChanged(within timeout: Duration) async throws -> JSONValue {
    try await take(timeout: timeout, what: "healthChanged") { $0["method"] == "healthChanged" }
  }
}

/// A private daemon behind a relay that holds every call to `held` for a minute, on a socket in a directory of its
/// own: a test kills the daemon while that call waits, and may start another daemon on the same socket.
final class HeldDaemon: Sendable {
  let held: String
  private let daemon: DockerDaemon
  private let relay: FaultListener
  private let socketDirectory: TemporaryDirectory
  /// The daemon ``replace()`` started, stopped with the scene.
  private let replacement = Mutex<DockerDaemon?>(nil)
  /// The relay's address, where the test points docker-preflight.
  var host: String { relay.host }

  private init(held: String, daemon: DockerDaemon, relay: FaultListener, socketDirectory: TemporaryDirectory) {
    self.held = held
    self.daemon = daemon
    self.relay = relay
    self.socketDirectory = socketDirectory
  }

  /// Runs `body` with the scene, then stops the relay and every daemon by pid, whatever `body` did.
  static func with(holding held: String, _ body: (HeldDaemon) async throws -> Void) async throws {
    let daemon = try await DockerDaemon.start()
    let socketDirectory = try TemporaryDirectory(prefix: "dk")
    let relay: FaultListener
    do {
      relay = try await FaultListener.start(
        .relay(upstream: daemon.socketPath, holding: [held: .seconds(60)]),
        unixSocket: socketDirectory.file("docker.sock"))
    } catch {
      await daemon.stop()
      socketDirectory.remove()
      throw error
    }
    let scene = HeldDaemon(held: held, daemon: daemon, relay: relay, socketDirectory: socketDirectory)
    let result = await capture { try await body(scene) }
    await relay.stop()
    await scene.replacement.withLock { $0 }?.stop()
    await daemon.stop()
    socketDirectory.remove()
    try result.get()
  }

  /// Waits until the held call reaches the relay, then SIGKILLs the daemon: the relay hangs up on its clients and
  /// leaves its socket behind, stale, as the daemon's own would be.
  func killWhileHeld() async {
    _ = await relay.request(containing: held)
    await daemon.kill()
  }

  /// Starts another daemon on the relay's socket.
  func replace() async throws {
    let daemon = try await DockerDaemon.start(in: socketDirectory)
    replacement.withLock { $0 = daemon }
  }
}

/// A `dockerd` for PATH that runs the real one on a private data root, exec root and network settings (so that a
/// heal's dockerd step never touches this machine's engine state), with `extraArguments` after the heal's own. With
/// `gated`, it first says `launched` on a FIFO and waits to be released before it becomes the daemon.
struct DockerdWrapper {
  let directory: String
  var searchPath: String { "\(directory):/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" }
  /// Where a gated wrapper says `launched` (a ``NamedPipe``).
  var launched: NamedPipe?
  /// The FIFO a gated wrapper reads before it becomes the daemon.
  var releasePath: String?
  private var writerHold: FileHold?

  init(
    in scene: TemporaryDirectory, daemonDirectory: TemporaryDirectory, extraArguments: [String] = [],
    gated: Bool = false
  ) throws {
    directory = scene.file("wrapper-bin")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    guard let real = Executable.find("dockerd") else { throw FixtureError("needs dockerd on PATH") }
    let privateArguments = DockerDaemon.arguments(in: daemonDirectory).drop { $0 != "--data-root" }
    let arguments = (Array(privateArguments) + extraArguments).map(StubCommands.shellQuoted).joined(separator: " ")
    var gate = ""
    if gated {
      let pipe = try NamedPipe(in: scene, name: "launched.fifo")
      // A writer of our own, so that reading waits for the wrapper instead of finding no writer (end of file).
      writerHold = FileHold(path: pipe.path, flags: O_WRONLY | O_NONBLOCK | O_CLOEXEC)
      let release = scene.file("release.fifo")
      guard mkfifo(release, 0o600) == 0 else { throw FixtureError("mkfifo \(release)") }
      gate = """
        echo launched > \(StubCommands.shellQuoted(pipe.path))
        read _ < \(StubCommands.shellQuoted(release))

        """
      launched = pipe
      releasePath = release
    }
    try ChildProcess.writeExecutable(
      "#!/bin/sh\n\(gate)exec \(StubCommands.shellQuoted(real)) \"$@\" \(arguments)\n", to: "\(directory)/dockerd")
  }

  /// Lets a gated wrapper become the daemon.
  func release() {
    guard let releasePath else { return }
    // Non-blocking: a wrapper that is not waiting any more (it was killed) must not block the test.
    let descriptor = open(releasePath, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = "go\n".withCString { write(descriptor, $0, 3) }
    close(descriptor)
  }
}

/// A descriptor held open for as long as this lives.
final class FileHold: Sendable {
  let descriptor: Int32

  init(path: String, flags: Int32) {
    descriptor = open(path, flags)
  }

  deinit { if descriptor >= 0 { close(descriptor) } }
}
