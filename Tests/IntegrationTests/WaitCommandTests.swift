import Foundation
import JSON
import TestSupport
import Testing

/// `docker-preflight wait` as a person or a script runs it.
@Suite("wait on the command line")
struct WaitCommandTests {
  @Test("wait started before the daemon exits 0 once it is ready, printing {ready, elapsedMs, report}")
  func readyAfterStart() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let host = "unix://\(directory.file("docker.sock"))"
    let clock = ContinuousClock()
    let started = clock.now
    let child = try ChildProcess(
      executable: PreflightBinary.path, arguments: ["wait", "--json", "--timeout", "60s"],
      environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": host]))
    try child.closeInput()
    let daemon = try await startDaemon(in: directory, after: .seconds(1)) { await child.terminate() }
    let result = await capture {
      var output: [UInt8] = []
      for await chunk in child.output { output += chunk }
      return (await child.exitStatus(within: .seconds(60)), String(decoding: output, as: UTF8.self))
    }
    let measured = clock.now - started
    await daemon.stop()
    let (status, output) = try result.get()
    #expect(status == 0, "stderr: \(child.standardError)")
    let answer = try JSONValue.parse(output)
    #expect(answer["ready"] == true)
    #expect(answer["report"]?["healthy"] == true)
    // The wait began once the process had started (a few ms; more on a loaded machine) and ended after the daemon
    // was started, 1 s after the process.
    let elapsedMs = try #require(answer["elapsedMs"]?.intValue)
    #expect(elapsedMs <= Int64(measured.milliseconds))
    #expect(elapsedMs >= 500)
    // Not a terminal: one timestamped line per phase, the last one ready.
    let lines = child.standardError.split(separator: "\n")
    #expect(lines.contains { $0.hasSuffix(")") && $0.contains("socket missing") })
    #expect(lines.last?.contains("engine ready after") == true)
    #expect(lines.allSatisfy { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z unix:\/\/\/.*/) != nil })
    #expect(!child.standardError.contains("\u{1B}"))
  }

  @Test(
    "a plain wait is ready when _ping answers, even with /version held; wait --json waits for /version and every check")
  func confirmation() async throws {
    try await withRelayedDockerDaemon(holding: ["/version": .seconds(60)]) { daemon, relay in
      let plain = try await PreflightRun.run(["wait", "--timeout", "30s"], environment: ["DOCKER_HOST": relay.host])
      #expect(plain.status == 0, "\(plain.standardError)")
      #expect(plain.standardOutput.hasPrefix("ready after"))
      #expect(plain.standardOutput.contains("answers _ping (API "))
      #expect(!plain.standardOutput.contains("disk-space"))
      #expect(
        !relay.requestsSoFar.contains { $0.contains("/version") || $0.contains("/info") }, "\(relay.requestsSoFar)")

      let held = try await PreflightRun.run(
        ["wait", "--json", "--timeout", "1s"], environment: ["DOCKER_HOST": relay.host])
      #expect(held.status == 1)
      #expect(try JSONValue.parse(held.standardOutput)["ready"] == false)

      let json = try await PreflightRun.run(
        ["wait", "--json", "--timeout", "30s"], environment: ["DOCKER_HOST": daemon.host])
      #expect(json.status == 0, "\(json.standardError)")
      let checks = try JSONValue.parse(json.standardOutput)["report"]?["checks"]?.arrayValue ?? []
      let ids = checks.compactMap { $0["id"]?.stringValue }
      #expect(ids.starts(with: ["endpoint", "connectivity"]))
      #expect(ids.contains("disk-space") && ids.contains("provider"), "\(ids)")
    }
  }

  @Test("wait gives up with exit 1 within the timeout + 0.5 s, the report saying why")
  func timeout() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let clock = ContinuousClock()
    let started = clock.now
    let run = try await PreflightRun.run(
      ["wait", "--timeout", "500ms"], environment: ["DOCKER_HOST": "unix://\(directory.file("none.sock"))"])
    // From outside, process start included, a shared machine may add seconds: the bound proves the end.
    #expect(clock.now - started < .seconds(60))
    #expect(run.status == 1)
    #expect(run.standardOutput.hasPrefix("gave up after"))
    #expect(run.standardOutput.contains("socket-missing"))

    // From inside, the wait and its closing report take the timeout + 0.5 s at most.
    let json = try await PreflightRun.run(
      ["wait", "--json", "--timeout", "500ms"], environment: ["DOCKER_HOST": "unix://\(directory.file("none.sock"))"])
    let elapsedMs = try #require(try JSONValue.parse(json.standardOutput)["elapsedMs"]?.intValue)
    #expect(elapsedMs >= 500 && elapsedMs < 1000)
  }

  @Test("wait --json on timeout prints ready false with the report")
  func timeoutJSON() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let run = try await PreflightRun.run(
      ["wait", "--json", "--timeout", "0"], environment: ["DOCKER_HOST": "unix://\(directory.file("none.sock"))"])
    #expect(run.status == 1)
    let answer = try JSONValue.parse(run.standardOutput)
    #expect(answer["ready"] == false)
    #expect(answer["report"]?["status"] == "unreachable")
  }

  /// `wait` under a pseudo-terminal (script(1)): what its stderr showed there. Only stderr reaches the terminal's
  /// output unless `stdoutToTerminal`: stdout goes to /dev/null inside it.
  static func onTerminal(
    _ arguments: [String], environment: [String: String], stdoutToTerminal: Bool = false
  ) async throws -> CommandRun {
    let script = try #require(Executable.find("script"), "script(1) from util-linux gives the command a terminal")
    let command = ([PreflightBinary.path] + arguments).map(StubCommands.shellQuoted).joined(separator: " ")
    return try await CommandRun.run(
      script, ["-qec", command + (stdoutToTerminal ? "" : " > /dev/null"), "/dev/null"],
      environment: terminalEnvironment(environment))
  }

  /// The test's environment without what decides the terminal's style (swift test may set NO_COLOR, a CI runner
  /// LC_ALL), then `overrides`: each test says what it runs under.
  static func terminalEnvironment(_ overrides: [String: String]) -> [String: String] {
    var environment = PreflightBinary.cleanEnvironment().filter {
      !["NO_COLOR", "TERM", "LANG", "LC_ALL", "LC_CTYPE"].contains($0.key)
    }
    environment.merge(overrides) { $1 }
    return environment
  }

  @Test("on a terminal, progress is one line redrawn in place, then a ✘ summary in red")
  func terminalStatusLine() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let host = "unix://\(directory.file("none.sock"))"
    let run = try await Self.onTerminal(
      ["wait", "--timeout", "300ms"], environment: ["DOCKER_HOST": host, "TERM": "xterm", "LANG": "C.UTF-8"])
    #expect(run.status == 1)
    let clear = "\r\u{1B}[2K"
    #expect(run.standardOutput.contains(clear + "⠋ waiting"))
    #expect(run.standardOutput.contains("socket missing · "))
    // One line in all: the summary's end (the terminal turns \n into \r\n).
    #expect(run.standardOutput.filter { $0 == "\n" || $0 == "\r\n" }.count == 1)
    #expect(run.standardOutput.contains(clear + "\u{1B}[31m✘\u{1B}[0m gave up after "))
    #expect(run.standardOutput.hasSuffix("not ready within 300ms · \(host)\r\n"))
  }

  @Test(
    "NO_COLOR and TERM=dumb: no escape sequences at all; a non-UTF-8 locale: ASCII only",
    arguments: [
      ["NO_COLOR": "1", "TERM": "xterm", "LANG": "C.UTF-8"], ["TERM": "dumb", "LANG": "C.UTF-8"],
      ["TERM": "xterm", "LANG": "C"],
    ])
  func terminalWithoutEscapes(environment: [String: String]) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    var environment = environment
    environment["DOCKER_HOST"] = "unix://\(directory.file("none.sock"))"
    let run = try await Self.onTerminal(["wait", "--timeout", "300ms"], environment: environment)
    #expect(run.status == 1)
    #expect(run.standardOutput.contains("socket missing"))
    if environment["LANG"] == "C" {
      let ascii = run.standardOutput.unicodeScalars.allSatisfy { $0.isASCII }
      #expect(ascii)
      #expect(run.standardOutput.contains("\u{1B}[31mFAILED\u{1B}[0m gave up after"))
    } else {
      #expect(!run.standardOutput.contains("\u{1B}"))
      #expect(run.standardOutput.contains("✘ gave up after"))
    }
    if environment["TERM"] == "dumb" {
      // Plain lines, as for a log: each timestamped.
      let lines = run.standardOutput.split(separator: "\r\n")
      #expect(lines.count >= 3)
      #expect(lines.allSatisfy { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .*/) != nil })
    }
  }

  @Test("on a terminal with a ready engine: a ✔ summary; --quiet prints nothing at all on success")
  func terminalReady() async throws {
    try await withDockerDaemon { daemon in
      let environment = ["DOCKER_HOST": daemon.host, "TERM": "xterm", "LANG": "C.UTF-8"]
      let run = try await Self.onTerminal(["wait", "--timeout", "30s"], environment: environment)
      #expect(run.status == 0)
      #expect(run.standardOutput.contains("\u{1B}[32m✔\u{1B}[0m engine ready after "))
      #expect(run.standardOutput.hasSuffix(" · \(daemon.host)\r\n"))

      // Both streams on the terminal: the headline on stdout is the summary, said once.
      let both = try await Self.onTerminal(
        ["wait", "--timeout", "30s"], environment: environment, stdoutToTerminal: true)
      #expect(both.status == 0)
      #expect(both.standardOutput.contains("ready after "))
      #expect(!both.standardOutput.contains("engine ready after "))

      let quiet = try await Self.onTerminal(
        ["wait", "--quiet", "--timeout", "30s"], environment: environment, stdoutToTerminal: true)
      #expect(quiet.status == 0)
      #expect(quiet.standardOutput.isEmpty)
      let quietPiped = try await PreflightRun.run(["wait", "-q"], environment: ["DOCKER_HOST": daemon.host])
      #expect(quietPiped.status == 0)
      #expect(quietPiped.standardOutput.isEmpty)
      #expect(quietPiped.standardError.isEmpty)
    }
  }

  @Test("SIGINT interrupts wait: exit 130, said on its own line")
  func interrupt() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let standardError = try NamedPipe(in: directory)
    let child = try ChildProcess(
      executable: PreflightBinary.path, arguments: ["wait", "--timeout", "60s"],
      environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": "unix://\(directory.file("none.sock"))"]),
      standardErrorPath: standardError.path)
    try child.closeInput()
    _ = try await standardError.waitForLine(containing: "socket missing")
    child.signal(SIGINT)
    #expect(await child.exitStatus(within: .seconds(5)) == 130)
    let said = try await standardError.waitForLine(containing: "interrupted", timeout: .seconds(5))
    #expect(said.hasSuffix("docker-preflight: interrupted (SIGINT)\n"))
  }

  @Test("wait --heal --yes runs the configured start command and exits 0 once the engine it starts is ready")
  func healed() async throws {
    let daemon = try HealTests.DaemonHome()
    var scene = try HealTests.Scene(host: daemon.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: daemon.directory)]
    let run = try await PreflightRun.run(
      ["wait", "--heal", "--yes", "--json", "--timeout", "90s"], environment: scene.environment, timeout: .seconds(120))
    await daemon.stop()
    #expect(run.status == 0, "\(run.standardError)")
    let answer = try JSONValue.parse(run.standardOutput)
    #expect(answer["ready"] == true)
    #expect(answer["heal"]?["status"] == "healed")
    #expect(answer["heal"]?["steps"]?[0]?["outcome"] == "ready")
    #expect(scene.startInvocations == 1)
    #expect(run.standardError.contains("engine down, healing"))
  }

  @Test("wait --heal without consent gives up at once with the plan and how to consent; nothing runs")
  func healNotPermitted() async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine")
    scene.startCommand = [stub]
    let run = try await PreflightRun.run(["wait", "--heal", "--timeout", "60s"], environment: scene.environment)
    #expect(run.status == 1)
    #expect(run.standardOutput.contains("heal not permitted"))
    #expect(run.standardOutput.contains("--yes"))
    #expect(run.standardOutput.contains(stub))
    #expect(scene.stubs.invocations.isEmpty)
  }
}
