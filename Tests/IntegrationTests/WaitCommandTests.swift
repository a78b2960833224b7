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
    #expect(lines.last?.contains("ready") == true)
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

  @Test("on a terminal, progress is one line redrawn in place and cleared at the end")
  func terminalStatusLine() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let script = try #require(Executable.find("script"), "script(1) from util-linux gives the command a terminal")
    // Only stderr reaches the terminal's output here: stdout goes to /dev/null inside the pseudo-terminal.
    let command = "\(PreflightBinary.path) wait --timeout 300ms > /dev/null"
    let run = try await CommandRun.run(
      script, ["-qec", command, "/dev/null"],
      environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": "unix://\(directory.file("none.sock"))"]))
    #expect(run.status == 1)
    let clear = "\r\u{1B}[2K"
    #expect(run.standardOutput.contains(clear + "⠋ waiting"))
    #expect(run.standardOutput.contains("socket missing · "))
    #expect(!run.standardOutput.contains("\n"))
    #expect(run.standardOutput.hasSuffix(clear))
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
    #expect(said.hasSuffix("docker-preflight: interrupted\n"))
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
