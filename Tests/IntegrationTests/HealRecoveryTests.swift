import Foundation
import JSON
import TestSupport
import Testing

/// What really brings engines down, against real daemons: a crash's leftovers, a stop in progress, a supervisor that
/// restarts the engine itself, a hung engine, a start that dies at once. Serialized: several of these launch a dockerd
/// with the host's default bridge network, which two at once would share.
@Suite("heal after a crash, a stop in progress, a hang", .serialized)
struct HealRecoveryTests {
  typealias Scene = HealTests.Scene

  /// The dockerd the `dockerd` strategy launched for a scene's socket: stopped by the pid in its pidfile, its data
  /// root unmounted (killed, dockerd cannot undo the mount it made there).
  struct LaunchedDaemon {
    let scene: Scene
    var stateDirectory: String { scene.directory.file("state/docker-preflight") }
    var pidFile: String { "\(stateDirectory)/dockerd-\(socketKey).pid" }
    var socketKey: String {
      String(scene.directory.file("none.sock").drop { $0 == "/" }.map { $0 == "/" ? "_" : $0 })
    }
    var process: ForeignProcess? { ForeignProcess(pidFile: pidFile) }

    func stop() async {
      await process?.stop()
      let engines = "\(stateDirectory)/engines"
      for entry in (try? FileManager.default.contentsOfDirectory(atPath: engines)) ?? [] {
        umount2("\(engines)/\(entry)/data", Int32(MNT_DETACH))
      }
    }
  }

  /// Whether `pid` runs: not gone, and not a zombie (init may reap an orphan late; `kill(pid, 0)` counts a zombie).
  static func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
  }

  /// The dockerd processes whose command line names `socket`, from /proc.
  static func daemons(on socket: String) -> [Int32] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
      guard let pid = Int32(entry),
        let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
        case let arguments = data.split(separator: 0).map({ String(decoding: $0, as: UTF8.self) }),
        arguments.first.map({ ($0 as NSString).lastPathComponent }) == "dockerd",
        arguments.contains(where: { $0.hasSuffix(socket) }),
        isAlive(pid)
      else { return nil }
      return pid
    }
  }

  @Test("kill -9 of a dockerd we launched: the next heal removes its stale pidfile, logs that, and succeeds")
  func crashLeftovers() async throws {
    try DockerDaemon.requireCanRun()
    let scene = try Scene()
    defer { scene.remove() }
    let daemon = LaunchedDaemon(scene: scene)
    let result = await capture {
      let arguments = ["--yes", "--json", "--strategy", "dockerd", "--timeout", "90s"]
      let (first, _) = try await scene.heal(arguments)
      #expect(first.status == 0, "\(first.standardError)")
      let crashed = try #require(daemon.process)
      kill(crashed.pid, SIGKILL)
      #expect(await crashed.waitForExit(timeout: .seconds(10)))

      let (second, outcome) = try await scene.heal(arguments)
      #expect(second.status == 0, "\(second.standardOutput) \(second.standardError)")
      #expect(outcome?["healed"] == true)
      // Ready at the first start, or at the one more start the heal allows once it has cleaned what a failed start
      // left: dockerd 20.10 restarting on a killed daemon's network state now and then loses its bridge to a race of
      // its own ("Failed to set link up for docker0: no such device", seen with the other suites running beside).
      let outcomes = outcome?["steps"]?.arrayValue?.map { $0["outcome"] } ?? []
      #expect(outcomes == ["ready"] || outcomes == ["failed", "ready"], "\(outcome?["steps"] ?? .null)")
      let removed = outcome?["leftovers"]?.arrayValue ?? []
      let pidFile = removed.first { $0["kind"] == "pidfile" }
      #expect(pidFile?["path"] == .string(daemon.pidFile))
      #expect(pidFile?["pid"]?.intValue == Int64(crashed.pid))
      #expect(pidFile?["stale"] == true)
      #expect(removed.contains { $0["kind"] == "socket" })
      let logged = try scene.actionLogEntries().filter { $0["strategy"] == "cleanup" }
      #expect(
        logged.contains {
          $0["action"] == "remove-stale-pidfile" && $0["path"] == .string(daemon.pidFile) && $0["outcome"] == "removed"
        }, "\(logged)")
      #expect(daemon.process.map { $0.pid != crashed.pid } == true)
    }
    await daemon.stop()
    try result.get()
  }

  @Test("a start command whose dockerd dies at once fails in well under its window; the next strategy follows")
  func startDiesAtOnce() async throws {
    try DockerDaemon.requireCanRun()
    var scene = try Scene()
    defer { scene.remove() }
    let broken = try scene.directory.write(#"{"hosts": ["#, to: "broken-daemon.json")
    let home = try TemporaryDirectory(prefix: "dk")
    defer { home.remove() }
    let arguments = (DockerDaemon.arguments(in: home) + ["--config-file", broken]).map(StubCommands.shellQuoted)
    let socket = scene.directory.file("none.sock")
    scene.startCommand = [
      try scene.directory.write(
        """
        #!/bin/sh
        setsid dockerd \(arguments.joined(separator: " ")) --host unix://\(socket) > /dev/null 2>&1 < /dev/null &
        echo launched

        """, to: "start-broken", mode: 0o755)
    ]
    let daemon = LaunchedDaemon(scene: scene)
    let result = await capture {
      let (run, outcome) = try await scene.heal([
        "--yes", "--json", "--strategy", "configured", "--strategy", "dockerd", "--timeout", "120s",
      ])
      #expect(run.status == 0, "\(run.standardError)")
      let steps = outcome?["steps"]?.arrayValue ?? []
      #expect(steps.map { $0["strategy"] } == ["configured", "dockerd"])
      #expect(steps.first?["outcome"] == "failed")
      // The configured step's readiness window is the heal's 120 s: it ended when its dockerd did.
      #expect((steps.first?["durationMs"]?.intValue ?? .max) < 30_000, "\(steps)")
      #expect(steps.first?["output"]?.stringValue?.contains("exited before it answered") == true)
      #expect(steps.last?["outcome"] == "ready")
    }
    await daemon.stop()
    try result.get()
  }

  @Test("watch {recover, allow} across a SIGTERM stop that takes seconds: the new engine starts after the old exits")
  func stopInProgress() async throws {
    let home = try HealTests.DaemonHome()
    var scene = try Scene(host: home.host)
    defer { scene.remove() }
    scene.startCommand = [try startRecordingTime(scene, for: home.directory)]
    try scene.healOnlyByConfiguredCommand()
    scene.environment["PREFLIGHT_TIMEOUT"] = "60s"
    let first = try await DockerDaemon.start(in: home.directory)
    let session = try ServeSession(
      framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(scene.environment))
    let result = await capture {
      // A container whose main process ignores SIGTERM (a shell as pid 1): dockerd's shutdown waits out its stop
      // timeout before it exits, long after its API socket has gone.
      _ = try await first.importProbeImage()
      let docker = Executable.find("docker") ?? "/usr/bin/docker"
      let container = try await CommandRun.run(
        docker,
        [
          "--host", first.host, "run", "-d", "-i", "--network", "none", "--stop-timeout", "4", "preflight-probe:latest",
          "sh", "-c", "read line",
        ],
        environment: PreflightBinary.cleanEnvironment())
      #expect(container.status == 0, "\(container.standardError)")

      let watching = try await session.request("watch", params: ["intervalMs": 500, "recover": true, "allow": true])
      #expect(watching["result"]?["status"] == "ready")
      first.process.signal(SIGTERM)
      let lost = try await session.take(timeout: .seconds(20), what: "healthChanged") {
        $0["method"] == "healthChanged"
      }
      #expect(lost["params"]?["previous"] == "ready")
      _ = await first.process.exitStatus
      let exited = Date().timeIntervalSince1970
      var status = lost["params"]?["status"]?.stringValue
      while status != "ready" {
        let changed = try await session.take(timeout: .seconds(60), what: "healthChanged back to ready") {
          $0["method"] == "healthChanged"
        }
        status = changed["params"]?["status"]?.stringValue
      }
      let started = try #require(
        Double(
          try String(contentsOfFile: scene.invocationsPath, encoding: .utf8)
            .split(separator: "\n").last.map(String.init) ?? ""))
      #expect(started >= exited - 0.5, "the start ran \(exited - started) s before the old dockerd exited")
      #expect(scene.startInvocations == 1)
      #expect(Self.daemons(on: home.directory.file("docker.sock")).count == 1)
      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
    }
    await first.stop()
    await home.stop()
    try result.get()
  }

  /// A start command that records when it ran (seconds since the epoch) and launches dockerd detached.
  func startRecordingTime(_ scene: Scene, for daemon: TemporaryDirectory) throws -> String {
    let arguments = DockerDaemon.arguments(in: daemon).map(StubCommands.shellQuoted).joined(separator: " ")
    return try scene.directory.write(
      """
      #!/bin/sh
      date +%s.%N >> \(StubCommands.shellQuoted(scene.invocationsPath))
      setsid dockerd \(arguments) >> \(StubCommands.shellQuoted(daemon.file("dockerd.log"))) 2>&1 < /dev/null &

      """, to: "start-engine", mode: 0o755)
  }

  @Test("a supervisor restarts its dockerd during a recovery: the watch sees it back, and starts no second engine")
  func supervisorRestarts() async throws {
    let home = try HealTests.DaemonHome()
    var scene = try Scene(host: home.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: home.directory)]
    try scene.healOnlyByConfiguredCommand()
    let arguments = DockerDaemon.arguments(in: home.directory).map(StubCommands.shellQuoted).joined(separator: " ")
    let supervisorScript = try scene.directory.write(
      """
      #!/bin/sh
      while :; do
        dockerd \(arguments) >> \(StubCommands.shellQuoted(home.directory.file("dockerd.log"))) 2>&1 < /dev/null
        sleep 1
      done

      """, to: "supervise", mode: 0o755)
    let supervisor = try ChildProcess(executable: supervisorScript, arguments: [])
    let result = await capture {
      let before = try await PreflightRun.run(["wait", "--timeout", "60s"], environment: scene.environment)
      #expect(before.status == 0, "\(before.standardError)")
      let session = try ServeSession(
        framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(scene.environment))
      let watching = try await session.request("watch", params: ["intervalMs": 500, "recover": true, "allow": true])
      #expect(watching["result"]?["status"] == "ready")
      let supervised = try #require(ForeignProcess(pidFile: home.directory.file("docker.pid")))
      kill(supervised.pid, SIGTERM)
      var statuses: [String] = []
      while statuses.last != "ready" {
        let changed = try await session.take(timeout: .seconds(60), what: "healthChanged") {
          $0["method"] == "healthChanged"
        }
        statuses.append(changed["params"]?["status"]?.stringValue ?? "?")
      }
      #expect(statuses.first != "ready")
      let said = await session.received.compactMap { $0["params"]?["message"]?.stringValue }
      #expect(said.contains { $0.contains("came back by itself") }, "\(said)")
      #expect(scene.startInvocations == 0, "the configured start command ran: \(said)")
      let serving = Self.daemons(on: home.directory.file("docker.sock"))
      #expect(serving.count == 1)
      #expect(!serving.contains(supervised.pid))
      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
    }
    await supervisor.terminate()
    await home.stop()
    try result.get()
  }

  @Test("a dockerd stopped with SIGSTOP is hung: the watch says so, heal plans its stop, and restarts it with consent")
  func stoppedDaemonIsHung() async throws {
    let home = try HealTests.DaemonHome()
    var scene = try Scene(host: home.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: home.directory)]
    try scene.healOnlyByConfiguredCommand()
    scene.environment["PREFLIGHT_TIMEOUT"] = "60s"
    let result = await capture {
      let (started, _) = try await scene.heal(["--yes", "--json"])
      #expect(started.status == 0, "\(started.standardError)")
      let hung = try #require(ForeignProcess(pidFile: home.directory.file("docker.pid")))
      let session = try ServeSession(
        framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(scene.environment))
      _ = try await session.request("watch", params: ["intervalMs": 300])
      kill(hung.pid, SIGSTOP)
      let changed = try await session.take(timeout: .seconds(30), what: "healthChanged") {
        $0["method"] == "healthChanged"
      }
      #expect(changed["params"]?["status"] == "hung")
      #expect(changed["params"]?["report"]?["issues"]?[0]?["code"] == "engine-hung")

      let check = try await PreflightRun.run(["check", "--json"], environment: scene.environment)
      #expect(check.status == 1)
      let report = try JSONValue.parse(check.standardOutput)
      #expect(report["status"] == "hung")
      #expect(report["issues"]?[0]?["message"]?.stringValue?.contains("pid \(hung.pid)") == true)

      let (refused, _) = try await scene.heal(["--strategy", "stop-engine", "--strategy", "configured"])
      #expect(refused.status == 1)
      #expect(refused.standardError.contains("kill -TERM \(hung.pid)"), "\(refused.standardError)")
      #expect(Self.isAlive(hung.pid))

      let (healed, outcome) = try await scene.heal(
        ["--yes", "--json", "--strategy", "stop-engine", "--strategy", "configured"])
      #expect(healed.status == 0, "\(healed.standardError)")
      let steps = outcome?["steps"]?.arrayValue ?? []
      #expect(steps.map { $0["strategy"] } == ["stop-engine", "configured"])
      #expect(steps.map { $0["outcome"] } == ["stopped", "ready"])
      #expect(!Self.isAlive(hung.pid))
      let back = try await session.take(timeout: .seconds(30), what: "healthChanged to ready") {
        $0["method"] == "healthChanged" && $0["params"]?["status"] == "ready"
      }
      #expect(back["params"]?["previous"] == "hung")
      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
    }
    await home.stop()
    try result.get()
  }

  @Test("a listener that accepts and never answers, older than hungAfter, is hung; heal stops it and starts the engine")
  func silentListenerIsHung() async throws {
    let home = try HealTests.DaemonHome()
    var scene = try Scene(host: home.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: home.directory)]
    _ = try scene.directory.write(
      #"{"heal": {"strategies": ["stop-engine", "configured"]}, "hungAfter": "1ms"}"#,
      to: "config/docker-preflight/config.json")
    // A process of its own (never this test's): heal stops the listener by pid.
    let listener = try ChildProcess(
      executable: Executable.find("python3") ?? "/usr/bin/python3",
      arguments: [
        "-c",
        "import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen(16)\nprint('ok',flush=True)\n"
          + "held=[]\nwhile True: held.append(s.accept())",
        home.directory.file("docker.sock"),
      ])
    let result = await capture {
      var output = listener.output.makeAsyncIterator()
      #expect(await output.next() != nil)
      let check = try await PreflightRun.run(["check", "--json", "--timeout", "500ms"], environment: scene.environment)
      let report = try JSONValue.parse(check.standardOutput)
      #expect(report["status"] == "hung")
      #expect(report["issues"]?[0]?["code"] == "engine-hung")
      #expect(report["issues"]?[0]?["message"]?.stringValue?.contains("python3 (pid \(listener.pid))") == true)

      let (dry, plan) = try await scene.heal(["--dry-run", "--json"])
      #expect(dry.status == 0)
      #expect(plan?["plan"]?[0]?["strategy"] == "stop-engine")
      #expect(plan?["plan"]?[0]?["pid"]?.intValue == Int64(listener.pid))

      let (healed, outcome) = try await scene.heal(["--yes", "--json"])
      #expect(healed.status == 0, "\(healed.standardError)")
      #expect(outcome?["steps"]?.arrayValue?.map { $0["outcome"] } == ["stopped", "ready"])
      #expect(await listener.exitStatus(within: .seconds(5)) != nil)
      #expect(outcome?["report"]?["status"] == "ready")
    }
    await listener.terminate()
    await home.stop()
    try result.get()
  }
}
