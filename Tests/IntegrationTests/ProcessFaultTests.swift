import Foundation
import JSON
import JSONRPC
import TestSupport
import Testing

/// docker-preflight itself stopped by a signal mid-heal or mid-wait, and heals racing each other: a daemon already
/// launched keeps running, the action log says what happened in whole lines, every request is answered, and the
/// terminal is left clean.
@Suite("Process faults: signals mid-heal, concurrent heals, an interrupted wait")
struct ProcessFaultTests {
  /// A heal whose dockerd step launches a gated wrapper: the test signals docker-preflight once the wrapper says it
  /// was launched, then releases it and checks that it becomes a daemon that answers.
  struct GatedHeal {
    let daemon: TemporaryDirectory
    var scene: HealTests.Scene
    let wrapper: DockerdWrapper
    var socket: String { daemon.file("docker.sock") }

    init() throws {
      try DockerDaemon.requireCanRun()
      daemon = try TemporaryDirectory(prefix: "dk")
      scene = try HealTests.Scene(host: "unix://\(daemon.file("docker.sock"))")
      wrapper = try DockerdWrapper(in: scene.directory, daemonDirectory: daemon, gated: true)
      scene.environment["PATH"] = wrapper.searchPath
    }

    /// Every line of the action log parses (no half-written line), in order.
    func actionLog() throws -> [JSONValue] {
      let text = try String(contentsOfFile: scene.actionLog, encoding: .utf8)
      #expect(text.hasSuffix("\n"))
      return try scene.actionLogEntries()
    }

    /// Releases the wrapper, and proves that what the heal launched became a daemon that answers, though the heal is
    /// gone; then stops it by pid.
    func releaseAndConfirm(pid: Int?) async throws {
      wrapper.release()
      let wait = try await PreflightRun.run(
        ["wait", "--timeout", "60s"], environment: scene.environment, timeout: .seconds(90))
      #expect(wait.status == 0, "the launched dockerd did not come up: \(wait.standardError)")
      if let pid { #expect(ForeignProcess(pid: pid_t(pid)).isRunning) }
    }

    func cleanUp(pid: Int?) async {
      wrapper.release()
      if let pid { await ForeignProcess(pid: pid_t(pid)).stop() }
      await ForeignProcess(pidFile: daemon.file("docker.pid"))?.stop()
      daemon.remove()
      scene.remove()
    }
  }

  @Test("heal on the command line, stopped by a signal: exit 128 + signal, dockerd left running, the log says so",
    arguments: [SIGTERM, SIGINT])
  func signalDuringCLIHeal(signal: Int32) async throws {
    let heal = try GatedHeal()
    var pid: Int?
    let result = await capture {
      let child = try ChildProcess(
        executable: PreflightBinary.path,
        arguments: ["heal", "--yes", "--json", "--strategy", "dockerd", "--timeout", "120s"],
        environment: PreflightBinary.cleanEnvironment(heal.scene.environment))
      try child.closeInput()
      _ = try await heal.wrapper.launched!.waitForLine(containing: "launched")
      child.signal(signal)
      var output: [UInt8] = []
      for await chunk in child.output { output += chunk }
      #expect(await child.exitStatus(within: .seconds(30)) == 128 + signal, "\(child.standardError)")
      let outcome = try JSONValue.parse(output)
      let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
      #expect(outcome["healed"] == false)
      #expect(outcome["message"]?.stringValue?.contains("interrupted (\(name))") == true, "\(outcome)")
      let step = outcome["steps"]?[0]
      #expect(step?["outcome"] == "cancelled")
      pid = step?["pid"]?.intValue.map(Int.init)
      #expect(pid != nil)

      let lines = try heal.actionLog()
      #expect(lines.count == 2)
      #expect(lines.first?["strategy"] == "dockerd")
      #expect(lines.first?["outcome"] == "cancelled")
      #expect(lines.last?["outcome"] == "interrupted")
      #expect(lines.last?["reason"] == .string(name))
      #expect(lines.last?["strategy"] == "dockerd")
      #expect(lines.last?["pid"]?.intValue.map(Int.init) == pid)
      try await heal.releaseAndConfirm(pid: pid)
    }
    await heal.cleanUp(pid: pid)
    try result.get()
  }

  @Test("serve, stopped by a signal mid-heal: the heal is answered -32800, dockerd left running, the log says so",
    arguments: [SIGTERM, SIGINT])
  func signalDuringServeHeal(signal: Int32) async throws {
    let heal = try GatedHeal()
    var pid: Int?
    let result = await capture {
      let session = try ServeSession(
        framing: .contentLength, environment: PreflightBinary.cleanEnvironment(heal.scene.environment))
      try await session.sendRequest(
        id: "heal", method: "heal", params: ["allow": true, "strategies": ["dockerd"], "timeoutMs": 120_000])
      _ = try await heal.wrapper.launched!.waitForLine(containing: "launched")
      session.child.signal(signal)
      let answer = try await session.response(to: "heal", timeout: .seconds(30))
      #expect(answer["error"]?["code"] == -32800, "\(answer)")
      #expect(try await session.exitStatus() == 128 + signal)
      #expect(session.child.standardError.contains("stopping (\(signal == SIGTERM ? "SIGTERM" : "SIGINT"))"))

      let lines = try heal.actionLog()
      #expect(lines.map { $0["outcome"] } == ["cancelled", "interrupted"])
      #expect(lines.last?["reason"] == .string(signal == SIGTERM ? "SIGTERM" : "SIGINT"))
      pid = lines.first?["pid"]?.intValue.map(Int.init)
      #expect(pid != nil)
      try await heal.releaseAndConfirm(pid: pid)
    }
    await heal.cleanUp(pid: pid)
    try result.get()
  }

  @Test("two serve processes healing at once: the engine is started once; the second waits for the first, healed")
  func concurrentServeHeals() async throws {
    let daemon = try HealTests.DaemonHome()
    var scene = try HealTests.Scene(host: daemon.host)
    defer { scene.remove() }
    // The start command says it was launched, then waits to be released before it starts the daemon: the second
    // heal is sent while the first holds the heal lock, and the daemon starts once the second is seen waiting.
    let launched = try NamedPipe(in: scene.directory, name: "launched.fifo")
    let writerHold = FileHold(path: launched.path, flags: O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    defer { withExtendedLifetime(writerHold) {} }
    let release = scene.directory.file("release.fifo")
    guard mkfifo(release, 0o600) == 0 else { throw FixtureError("mkfifo \(release)") }
    let arguments = DockerDaemon.arguments(in: daemon.directory).map(StubCommands.shellQuoted).joined(separator: " ")
    let log = daemon.directory.file("dockerd.log")
    scene.startCommand = [
      try scene.directory.write(
        """
        #!/bin/sh
        printf 'started\\n' >> \(StubCommands.shellQuoted(scene.invocationsPath))
        echo launched > \(StubCommands.shellQuoted(launched.path))
        read _ < \(StubCommands.shellQuoted(release))
        setsid dockerd \(arguments) > \(StubCommands.shellQuoted(log)) 2>&1 < /dev/null &
        echo "dockerd launched"

        """, to: "gated-start-engine", mode: 0o755)
    ]
    let environment = PreflightBinary.cleanEnvironment(scene.environment)
    let sessions = try [
      ServeSession(framing: .contentLength, environment: environment),
      ServeSession(framing: .newlineDelimited, environment: environment),
    ]
    let result = await capture {
      func params(_ token: JSONValue) -> JSONValue {
        ["allow": true, "strategies": ["configured"], "timeoutMs": 90_000, "workDoneToken": token]
      }
      try await sessions[0].sendRequest(id: "first", method: "heal", params: params("first"))
      _ = try await launched.waitForLine(containing: "launched")
      try await sessions[1].sendRequest(id: "second", method: "heal", params: params("second"))
      _ = try await sessions[1].take(what: "the second heal waiting for the lock") {
        $0["params"]?["value"]?["message"]?.stringValue?.hasPrefix("waiting for another heal") == true
      }
      let opened = open(release, O_WRONLY | O_CLOEXEC)
      _ = "go\n".withCString { write(opened, $0, 3) }
      close(opened)
      let answers = [
        try await sessions[0].response(to: "first", timeout: .seconds(120)),
        try await sessions[1].response(to: "second", timeout: .seconds(120)),
      ]
      #expect(answers.allSatisfy { $0["result"]?["healed"] == true }, "\(answers)")
      #expect(answers.map { $0["result"]?["steps"]?.arrayValue?.count } == [1, 0])
      #expect(answers.map { $0["result"]?["waitedForConcurrentHeal"] } == [false, true])
      for session in sessions { #expect(try await session.finish() == 0) }
    }
    await daemon.stop()
    try result.get()
    #expect(scene.startInvocations == 1)
    #expect(try scene.actionLogEntries().count == 1)
  }

  // MARK: - Clients that go wrong, with real work in flight

  @Test(
    "stdin closed mid-message while a watch and a diagnose of a real daemon are in flight: both end, exit 0",
    arguments: [Framing.contentLength, .newlineDelimited])
  func stdinClosedWithWorkInFlight(framing: Framing) async throws {
    // /info held for 2 s: the diagnose is surely in flight when stdin closes.
    try await withRelayedDockerDaemon(holding: ["/info": .seconds(2)]) { daemon, relay in
      let session = try ServeSession(
        framing: framing, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]),
        captured: false)
      #expect(try await session.request("watch", params: ["intervalMs": 500])["result"]?["status"] == "ready")
      try await session.sendRequest(
        id: "in-flight", method: "diagnose", params: ["host": .string(relay.host), "timeoutMs": 10_000])
      _ = await relay.request(containing: "/info")
      var next: [UInt8] = []
      framing.frame(Array(#"{"jsonrpc":"2.0","id":"cut","method":"diagnose"}"#.utf8), into: &next)
      try await session.sendRaw(Array(next.prefix(next.count / 2)))
      #expect(try await session.finish() == 0)
      let messages = await session.drainInbox()
      let diagnosed = messages.first { $0["id"] == "in-flight" }
      #expect(diagnosed?["result"]?["healthy"] == true, "\(messages)")
      #expect(messages.first { $0["id"] == .null }?["error"]?["code"] == -32700)
      #expect(!messages.contains { $0["id"] == "cut" })
      #expect(messages.allSatisfy { $0.objectValue != nil }, "half a message written: \(messages)")
    }
  }

  @Test(
    "a client that stops reading with daemon requests in flight: serve stalls, bounded; then answers every one",
    arguments: [Framing.contentLength, .newlineDelimited])
  func clientStopsReadingWithWorkInFlight(framing: Framing) async throws {
    try await withDockerDaemon { daemon in
      let child = try ChildProcess(
        executable: PreflightBinary.path, arguments: ["serve"],
        environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]))
      defer { Task { await child.terminate() } }
      // A watch, then 5000 requests answered at once (each echoing a 1 KiB id: 5 MB of answers, five times what
      // the server may queue), with a diagnose of the daemon every 500.
      let count = 5000
      let padding = String(repeating: "p", count: 1024)
      var bytes: [UInt8] = []
      let watch = #"{"jsonrpc":"2.0","id":"watch","method":"watch","params":{"intervalMs":500}}"#
      framing.frame(Array(watch.utf8), into: &bytes)
      for id in 0..<count {
        let body =
          id % 500 == 0
          ? #"{"jsonrpc":"2.0","id":"\#(id)-diagnose","method":"diagnose"}"#
          : #"{"jsonrpc":"2.0","id":"\#(id)-\#(padding)","method":"nope"}"#
        framing.frame(Array(body.utf8), into: &bytes)
      }
      let input = bytes
      let taken = try await offThreadPool { try child.writeUntilStalled(input, quiet: .seconds(3)) }
      #expect(taken < input.count, "the server read all \(input.count) bytes while nobody read its answers")
      let stalledMemory = child.residentMemory?.peak ?? .max
      #expect(stalledMemory < MalformedInputTests.peakMemoryLimit, "peak \(stalledMemory >> 20) MiB while stalled")

      var rest = Array(input[taken...])
      framing.frame(Array(#"{"jsonrpc":"2.0","id":"unwatch","method":"unwatch"}"#.utf8), into: &rest)
      let remaining = rest
      let writer = Task { try await offThreadPool { try child.write(remaining); try child.closeInput() } }
      var splitter = MessageSplitter(maxMessageBytes: 1 << 20)
      var answers: [String: JSONValue] = [:]
      for await chunk in child.output {
        splitter.append(chunk)
        while let event = splitter.next() {
          guard case .message(let body) = event else {
            Issue.record("not a framed message: \(event)")
            continue
          }
          let message = try JSONValue.parse(body)
          answers[message["id"]?.stringValue ?? "?"] = message
        }
      }
      try await writer.value
      #expect(answers.count == count + 2)
      #expect(answers["watch"]?["result"]?["status"] == "ready")
      #expect(answers["unwatch"]?["result"] == [:])
      let diagnosed = answers.filter { $0.key.hasSuffix("-diagnose") }.values
      #expect(diagnosed.count == count / 500)
      #expect(diagnosed.allSatisfy { $0["result"]?["healthy"] == true }, "\(Array(diagnosed))")
      #expect(await child.exitStatus(within: .seconds(30)) == 0)
    }
  }

  @Test(
    "wait on a terminal, interrupted: exit 128 + signal, the status line cleared before the last word",
    arguments: [SIGINT, SIGTERM])
  func interruptedWaitOnTerminal(signal: Int32) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let terminal = try PseudoTerminal()
    let child = try ChildProcess(
      executable: PreflightBinary.path, arguments: ["wait", "--timeout", "60s"],
      environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": "unix://\(directory.file("none.sock"))"]),
      standardErrorPath: terminal.path)
    terminal.childStarted()
    try child.closeInput()
    try await terminal.waitFor("socket missing")
    child.signal(signal)
    #expect(await child.exitStatus(within: .seconds(30)) == 128 + signal)
    let screen = try await terminal.waitForEnd()
    let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
    // The last thing drawn is the cleared line (an erase-line escape, or spaces over it without escapes), then the
    // word, on a line of its own (the terminal adds \r).
    let word = "docker-preflight: interrupted (\(name))\r\n"
    #expect(screen.hasSuffix(word), "\(screen.debugDescription)")
    let before = screen.dropLast(word.count)
    let erased = before.hasSuffix("\r\u{1B}[2K") || before.wholeMatch(of: /(?s).*\r +\r/) != nil
    #expect(erased, "the status line was not cleared: \(screen.debugDescription)")
  }
}
