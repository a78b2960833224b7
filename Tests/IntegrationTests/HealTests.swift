import Foundation
import JSON
import JSONRPC
import TestSupport
import Testing

/// `heal` through the real binary (`heal` and `serve`), with start commands that launch private daemons or stubs
/// that record their argv. Every scene has its own XDG directories, so heals of parallel tests never share a lock,
/// a log or a state directory.
@Suite("heal: starting the engine, with consent, once")
struct HealTests {
  /// Private XDG directories, stub commands, and the environment for the binary.
  struct Scene: Sendable {
    let directory: TemporaryDirectory
    let stubs: StubCommands
    var environment: [String: String]
    var actionLog: String { directory.file("state/docker-preflight/actions.log") }
    var invocationsPath: String { directory.file("start-invocations") }

    init(host: String? = nil, startCommand: [String]? = nil) throws {
      directory = try TemporaryDirectory(prefix: "heal")
      stubs = try StubCommands()
      environment = [
        "HOME": directory.path, "XDG_CONFIG_HOME": directory.file("config"), "XDG_STATE_HOME": directory.file("state"),
        "XDG_RUNTIME_DIR": directory.file("run"),
        // Something secret-looking in the environment, to prove the action log never carries it.
        "PREFLIGHT_TEST_TOKEN": "secret-token-4f1c9a",
      ]
      environment["DOCKER_HOST"] = host ?? "unix://\(directory.file("none.sock"))"
      if let startCommand { self.startCommand = startCommand }
    }

    var startCommand: [String] {
      get { [] }
      set { environment["PREFLIGHT_START_COMMAND"] = JSONValue.array(newValue.map(JSONValue.string)).description }
    }

    /// A start command that counts its invocations and launches `dockerd` detached on the daemon directory's
    /// socket, as a person's own script might.
    func daemonStartScript(for daemon: TemporaryDirectory) throws -> String {
      let arguments = DockerDaemon.arguments(in: daemon).map(StubCommands.shellQuoted).joined(separator: " ")
      return try directory.write(
        """
        #!/bin/sh
        printf 'started\\n' >> \(StubCommands.shellQuoted(invocationsPath))
        setsid dockerd \(arguments) > \(StubCommands.shellQuoted(daemon.file("dockerd.log"))) 2>&1 < /dev/null &
        echo "dockerd launched"

        """, to: "start-engine", mode: 0o755)
    }

    /// Restricts every heal of this scene (CLI and serve, with or without `--strategy`) to the configured start
    /// command. As root, the cascade's last step launches a real `dockerd` on the scene's socket with the system's data
    /// root, which would outlive the test: scenes whose heals may run past the configured command must call this.
    func healOnlyByConfiguredCommand() throws {
      _ = try directory.write(#"{"heal": {"strategies": ["configured"]}}"#, to: "config/docker-preflight/config.json")
    }

    var startInvocations: Int {
      ((try? String(contentsOfFile: invocationsPath, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func heal(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> (CommandRun, JSONValue?) {
      let run = try await PreflightRun.run(["heal"] + arguments, environment: environment, timeout: timeout)
      return (run, try? JSONValue.parse(run.standardOutput))
    }

    func actionLogEntries() throws -> [JSONValue] {
      try String(contentsOfFile: actionLog, encoding: .utf8).split(separator: "\n").map {
        try JSONValue.parse(String($0))
      }
    }

    func remove() {
      directory.remove()
      stubs.remove()
    }
  }

  /// A directory for a daemon a heal will start; stopped by the pid in its pidfile (it is init's child by then).
  struct DaemonHome: Sendable {
    let directory: TemporaryDirectory
    var host: String { "unix://\(directory.file("docker.sock"))" }

    init() throws {
      try DockerDaemon.requireCanRun()
      directory = try TemporaryDirectory(prefix: "dk")
    }

    func stop() async {
      await ForeignProcess(pidFile: directory.file("docker.pid"))?.stop()
      directory.remove()
    }
  }

  @Test("heal --yes runs the configured start command; the private dockerd it launches is ready; one log line")
  func configuredStartCommand() async throws {
    let daemon = try DaemonHome()
    var scene = try Scene(host: daemon.host)
    defer { scene.remove() }
    let script = try scene.daemonStartScript(for: daemon.directory)
    scene.startCommand = [script]
    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "configured", "--timeout", "90s"])
    let check = try await PreflightRun.run(["check", "--json"], environment: scene.environment)
    await daemon.stop()

    #expect(run.status == 0, "\(run.standardError)")
    #expect(outcome?["healed"] == true)
    #expect(outcome?["steps"]?.arrayValue?.count == 1)
    let step = outcome?["steps"]?[0]
    #expect(step?["strategy"] == "configured")
    #expect(step?["command"] == [.string(script)])
    #expect(step?["exitCode"] == 0)
    #expect(step?["outcome"] == "ready")
    #expect(step?["output"] == "dockerd launched")
    #expect(outcome?["report"]?["healthy"] == true)
    #expect(check.status == 0)
    #expect(scene.startInvocations == 1)

    let entries = try scene.actionLogEntries()
    #expect(entries.count == 1)
    #expect(entries.first?["strategy"] == "configured")
    #expect(entries.first?["command"] == [.string(script)])
    #expect(entries.first?["exitCode"] == 0)
    #expect(entries.first?["outcome"] == "ready")
    #expect(entries.first?["durationMs"]?.intValue != nil)
    #expect(entries.first?["time"]?.stringValue?.hasSuffix("Z") == true)
    #expect(entries.first?["endpoint"] == .string(daemon.host))
    #expect(!(try String(contentsOfFile: scene.actionLog, encoding: .utf8)).contains("secret-token-4f1c9a"))
  }

  @Test("heal over serve: allow in the request, $/progress per step, the outcome as the result")
  func healOverServe() async throws {
    let daemon = try DaemonHome()
    var scene = try Scene(host: daemon.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: daemon.directory)]
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(scene.environment))
    let answer = try await session.request(
      "heal", params: ["allow": true, "strategies": ["configured"], "workDoneToken": "heal-1"], timeout: .seconds(120))
    #expect(try await session.finish() == 0)
    await daemon.stop()

    #expect(answer["result"]?["healed"] == true, "\(answer)")
    #expect(answer["result"]?["steps"]?[0]?["outcome"] == "ready")
    let progress = await session.received.filter { $0["method"] == "$/progress" && $0["params"]?["token"] == "heal-1" }
    let kinds = progress.compactMap { $0["params"]?["value"]?["kind"]?.stringValue }
    #expect(kinds.first == "begin")
    #expect(kinds.last == "end")
    let messages = progress.compactMap { $0["params"]?["value"]?["message"]?.stringValue }
    #expect(messages.contains { $0.hasPrefix("step 1/1: configured: ") })
    #expect(messages.contains { $0.hasPrefix("configured: ready, exit status 0") })
    #expect(scene.startInvocations == 1)
  }

  @Test("--dry-run and dryRun: true print the plan and run nothing")
  func dryRun() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine")
    scene.startCommand = [stub, "--profile", "dev"]
    let (run, outcome) = try await scene.heal(["--dry-run", "--json", "--strategy", "configured"])
    #expect(run.status == 0)
    #expect(outcome?["dryRun"] == true)
    #expect(outcome?["plan"]?[0]?["command"] == [.string(stub), "--profile", "dev"])
    #expect(outcome?["steps"] == [])

    let session = try ServeSession(
      framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(scene.environment))
    let answer = try await session.request("heal", params: ["dryRun": true])
    #expect(try await session.finish() == 0)
    #expect(answer["result"]?["plan"]?[0]?["strategy"] == "configured")
    #expect(answer["result"]?["steps"] == [])
    #expect(scene.stubs.invocations.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: scene.actionLog))
  }

  @Test("without consent: -32010 with the plan over serve; exit 1 and how to consent on the CLI; nothing runs")
  func consentRefused() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine")
    scene.startCommand = [stub]
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(scene.environment))
    _ = try await session.request("initialize", params: ["capabilities": [:]])
    let answer = try await session.request("heal", params: ["strategies": ["configured"]])
    #expect(try await session.finish() == 0)
    #expect(answer["error"]?["code"] == -32010)
    #expect(answer["error"]?["message"]?.stringValue?.contains("heal not permitted") == true)
    #expect(answer["error"]?["data"]?["plan"]?[0]?["command"] == [.string(stub)])
    #expect(answer["error"]?["data"]?["report"]?["healthy"] == false)
    #expect(answer["error"]?["data"]?["consent"]?.arrayValue?.isEmpty == false)

    let (run, _) = try await scene.heal(["--strategy", "configured"])
    #expect(run.status == 1)
    #expect(run.standardError.contains("--yes"))
    #expect(run.standardError.contains("PREFLIGHT_HEAL=1"))
    #expect(run.standardError.contains(stub))
    #expect(scene.stubs.invocations.isEmpty)
  }

  /// `showMessage: []` is how a Lua or PHP client encodes `{}`: it declares the capability too.
  @Test(
    "consent asked with window/showMessageRequest when the client can show one",
    arguments: [
      (["title": "Start engine"] as JSONValue, true, [:] as JSONValue),
      (["title": "Cancel"] as JSONValue, false, [:] as JSONValue), (JSONValue.null, false, [:] as JSONValue),
      (["title": "Start engine"] as JSONValue, true, [] as JSONValue),
    ])
  func consentAsked(reply: JSONValue, consents: Bool, showMessage: JSONValue) async throws {
    var scene = try Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine", exitStatus: 1, output: "stub: no engine")
    scene.startCommand = [stub]
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(scene.environment))
    _ = try await session.request("initialize", params: ["capabilities": ["window": ["showMessage": showMessage]]])
    try await session.sendRequest(
      id: "heal", method: "heal", params: ["strategies": ["configured"], "timeoutMs": 20_000])
    let question = try await session.serverRequest("window/showMessageRequest")
    #expect(question["params"]?["actions"] == [["title": "Start engine"], ["title": "Cancel"]])
    #expect(question["params"]?["message"]?.stringValue?.contains(stub) == true)
    try await session.respond(to: question, result: reply)
    let answer = try await session.response(to: "heal")
    #expect(try await session.finish() == 0)
    if consents {
      #expect(answer["result"]?["healed"] == false)
      #expect(answer["result"]?["steps"]?[0]?["exitCode"] == 1)
      #expect(scene.stubs.invocations == [["start-engine"]])
    } else {
      #expect(answer["error"]?["code"] == -32010)
      #expect(scene.stubs.invocations.isEmpty)
    }
  }

  @Test("two concurrent heals on one host start the engine once; the second uses the first's result")
  func concurrentHeals() async throws {
    let daemon = try DaemonHome()
    var setup = try Scene(host: daemon.host)
    defer { setup.remove() }
    setup.startCommand = [try setup.daemonStartScript(for: daemon.directory)]
    let scene = setup
    let arguments = ["--yes", "--json", "--strategy", "configured", "--timeout", "90s"]
    async let first = scene.heal(arguments)
    async let second = scene.heal(arguments)
    let runs = try await [first, second]
    await daemon.stop()

    #expect(runs.map(\.0.status) == [0, 0], "\(runs.map(\.0.standardError))")
    #expect(runs.allSatisfy { $0.1?["healed"] == true })
    #expect(scene.startInvocations == 1)
    #expect(runs.compactMap { $0.1?["steps"]?.arrayValue?.count }.sorted() == [0, 1])
    #expect(try scene.actionLogEntries().count == 1)
  }

  @Test("a start command that fails: the failure names the step and shows its output, within the timeout")
  func startCommandFails() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine", exitStatus: 3, output: "cannot start: the VM image is missing")
    scene.startCommand = [stub, "--now"]
    let started = ContinuousClock.now
    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "configured", "--timeout", "20s"])
    #expect(ContinuousClock.now - started < .milliseconds(20_500))
    #expect(run.status == 1)
    #expect(outcome?["healed"] == false)
    #expect(outcome?["steps"]?[0]?["outcome"] == "failed")
    #expect(outcome?["steps"]?[0]?["exitCode"] == 3)
    #expect(outcome?["steps"]?[0]?["output"] == "cannot start: the VM image is missing")
    let message = outcome?["message"]?.stringValue ?? ""
    #expect(message.contains("configured (\(stub) --now) exited with status 3"))
    #expect(message.contains("the VM image is missing"))
    #expect(try scene.actionLogEntries().first?["exitCode"] == 3)

    let (human, _) = try await scene.heal(["--yes", "--strategy", "configured", "--timeout", "20s"])
    #expect(human.status == 1)
    #expect(human.standardOutput.contains("the VM image is missing"))
  }

  @Test("a start command that hangs is stopped at the deadline and reported as timed out")
  func startCommandHangs() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    scene.startCommand = ["sleep", "60"]
    let started = ContinuousClock.now
    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "configured", "--timeout", "1s"])
    // The deadline and the teardown's grace (SIGTERM, then SIGKILL after 2 s) — far less than the 60 s sleep.
    #expect(ContinuousClock.now - started < .seconds(20))
    #expect(run.status == 1)
    #expect(outcome?["steps"]?[0]?["outcome"] == "timed-out")
    #expect(outcome?["message"]?.stringValue?.contains("did not finish in time") == true)
  }

  @Test("$/cancelRequest stops the running step (its process is torn down) and the heal answers -32800")
  func cancelled() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    let pidFile = scene.directory.file("start.pid")
    let startedSignal = scene.directory.file("started")
    #expect(mkfifo(startedSignal, 0o600) == 0)
    let script = try scene.directory.write(
      """
      #!/bin/sh
      echo $$ > \(StubCommands.shellQuoted(pidFile))
      echo started > \(StubCommands.shellQuoted(startedSignal))
      exec sleep 60

      """, to: "hang", mode: 0o755)
    scene.startCommand = [script]
    let session = try ServeSession(
      framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(scene.environment))
    try await session.sendRequest(
      id: "heal", method: "heal", params: ["allow": true, "strategies": ["configured"], "workDoneToken": "h"])
    // The step's process runs (and has written its pid) when it says so through the FIFO.
    #expect(await Self.awaitSignal(fifo: startedSignal, timeout: .seconds(30)))
    let started = ContinuousClock.now
    try await session.notify("$/cancelRequest", params: ["id": "heal"])
    let answer = try await session.response(to: "heal")
    // SIGTERM ends `sleep` at once (SIGKILL would follow 2 s later): far less than its 60 s.
    #expect(ContinuousClock.now - started < .seconds(20))
    #expect(answer["error"]?["code"] == -32800)
    let process = try #require(ForeignProcess(pidFile: pidFile))
    #expect(await process.waitForExit(timeout: .seconds(3)))
    #expect(try await session.finish() == 0)
    // Stopped by us, not failed by itself: the step says so, in the progress and in the action log.
    let reports = await session.received.compactMap { $0["params"]?["value"]?["message"]?.stringValue }
    #expect(reports.contains { $0.hasPrefix("configured: cancelled") })
    #expect(try scene.actionLogEntries().first?["outcome"] == "cancelled")
    #expect(try scene.actionLogEntries().first?["exitCode"] == .null)
  }

  /// Waits for a line written to the FIFO at `path`. It is opened read-write, so that the writer never waits for
  /// us and we can wake our own read at the deadline. `false` when nothing came in time.
  static func awaitSignal(fifo path: String, timeout: Duration) async -> Bool {
    let descriptor = open(path, O_RDWR)
    guard descriptor >= 0 else { return false }
    let timer = Task {
      guard (try? await Task.sleep(for: timeout)) != nil else { return }
      _ = write(descriptor, "x", 1)
    }
    var input = FileDescriptorInput(descriptor: descriptor).makeAsyncIterator()
    let chunk = await input.next()
    timer.cancel()
    await timer.value
    close(descriptor)
    return chunk?.first == UInt8(ascii: "s")
  }

  @Test("dockerd missing: the dockerd step is reported as not launched, naming the program")
  func dockerdMissing() async throws {
    guard getuid() == 0 else { try Test.cancel("the dockerd step is planned only for root") }
    var scene = try Scene()
    defer { scene.remove() }
    scene.environment["PATH"] = "\(scene.stubs.binDirectory):/usr/bin:/bin"
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/dockerd")
      || FileManager.default.isExecutableFile(atPath: "/bin/dockerd")
    {
      try Test.cancel("dockerd is in /usr/bin or /bin here")
    }
    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "dockerd", "--timeout", "20s"])
    #expect(run.status == 1)
    #expect(outcome?["steps"]?[0]?["strategy"] == "dockerd")
    #expect(outcome?["steps"]?[0]?["outcome"] == "not-launched")
    #expect(outcome?["steps"]?[0]?["output"]?.stringValue?.hasPrefix("dockerd: not found on the search path") == true)
    #expect(outcome?["message"]?.stringValue?.contains("dockerd (dockerd --host") == true)
  }

  @Test("a configured command's ; $(…) and backquotes are passed literally, never to a shell")
  func literalArguments() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    let marker = scene.directory.file("marker")
    let stub = try scene.stubs.add("start-engine", exitStatus: 1)
    let arguments = ["a;b", "$(touch \(marker))", "`touch \(marker)`", "x && y", "two words", "|"]
    scene.startCommand = [stub] + arguments
    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "configured", "--timeout", "20s"])
    #expect(run.status == 1)
    #expect(scene.stubs.invocations == [["start-engine"] + arguments])
    #expect(outcome?["steps"]?[0]?["command"] == .array(([stub] + arguments).map(JSONValue.string)))
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  @Test("a malformed configuration file stops every command with exit 2, naming the file and the key")
  func malformedConfiguration() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    let file = try scene.directory.write(
      #"{"heal": {"allow": "yes"}, "timeout": "90s"}"#, to: "config/docker-preflight/config.json")
    for command in [["heal", "--dry-run"], ["check"], ["serve"]] {
      let run = try await PreflightRun.run(command, environment: scene.environment)
      #expect(run.status == 2)
      #expect(run.standardError.contains(file))
      #expect(run.standardError.contains(#""heal.allow": expected true or false"#))
    }
    _ = try scene.directory.write(
      #"{"startCommand": ["true"], "colour": "blue"}"#, to: "config/docker-preflight/config.json")
    scene.environment["PREFLIGHT_START_COMMAND"] = nil
    let (run, outcome) = try await scene.heal(["--dry-run", "--json"])
    #expect(run.status == 0)
    #expect(run.standardError.contains(#"unknown key "colour""#))
    #expect(outcome?["plan"]?[0]?["command"] == ["true"])
  }

  /// The plain cascade on this machine, against the default socket: `service docker start` fails here (its init
  /// script cannot raise the open-files limit), so the direct dockerd step must take over.
  @Test(
    "system: service docker start fails here, dockerd launched directly takes over on /var/run/docker.sock",
    .enabled(if: ProcessInfo.processInfo.environment["PREFLIGHT_SYSTEM_TESTS"] == "1"))
  func systemCascade() async throws {
    var scene = try Scene()
    defer { scene.remove() }
    scene.environment["DOCKER_HOST"] = nil
    let before = try await PreflightRun.run(["check", "--json", "--timeout", "2s"], environment: scene.environment)
    if before.status == 0 { try Test.cancel("a daemon already serves /var/run/docker.sock") }
    let pidFile = scene.directory.file("state/docker-preflight/dockerd.pid")

    let (run, outcome) = try await scene.heal(["--yes", "--json", "--timeout", "120s"], timeout: .seconds(180))
    let daemon = ForeignProcess(pidFile: pidFile)
    await daemon?.stop()
    let after = try await PreflightRun.run(["check", "--json", "--timeout", "2s"], environment: scene.environment)

    #expect(run.status == 0, "\(run.standardError)")
    let steps = outcome?["steps"]?.arrayValue ?? []
    let detail = "\(steps) \(outcome?["leftovers"] ?? .null)"
    // Under load a first dockerd may fail (its containerd slow to start) and leave files behind, which are removed
    // and the step run once more: the outcome then lists what was removed.
    let strategies = steps.compactMap { $0["strategy"]?.stringValue }
    let retried = outcome?["leftovers"]?.arrayValue?.isEmpty == false
    #expect(
      strategies == ["sysvinit", "dockerd"] || (retried && strategies == ["sysvinit", "dockerd", "dockerd"]),
      "\(detail)")
    #expect(steps.first?["outcome"] == "failed")
    #expect(steps.last?["outcome"] == "ready", "\(detail)")
    #expect(steps.last?["pid"]?.intValue == daemon.map { Int64($0.pid) })
    #expect(outcome?["report"]?["healthy"] == true)
    #expect(daemon != nil)
    #expect(after.status == 1)
  }
}
