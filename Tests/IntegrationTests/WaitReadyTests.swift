import Foundation
import JSON
import JSONRPC
import TestSupport
import Testing

/// `waitReady`, `watch` and `unwatch` over a real `serve`, against private daemons started while it waits.
@Suite("waitReady and watch over serve")
struct WaitReadyTests {
  @Test("waitReady sent before the daemon starts answers ready, with progress begin/report/end in order")
  func readyAfterStart() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let host = "unix://\(directory.file("docker.sock"))"
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": host]))
    let clock = ContinuousClock()
    let sent = clock.now
    try await session.sendRequest(
      id: "ready", method: "waitReady", params: ["timeoutMs": 60_000, "workDoneToken": "wait-1"])
    let daemon = try await startDaemon(in: directory, after: .seconds(1)) { await session.child.terminate() }
    let result = await capture { try await session.response(to: "ready", timeout: .seconds(60)) }
    let measured = clock.now - sent
    let apiVersion = try await daemon.apiVersion()
    await daemon.stop()
    let response = try result.get()

    let answer = try #require(response["result"])
    #expect(answer["ready"] == true)
    #expect(answer["report"]?["healthy"] == true)
    #expect(answer["report"]?["engine"]?["apiVersion"] == .string(apiVersion))
    let elapsedMs = try #require(answer["elapsedMs"]?.intValue)
    #expect(elapsedMs >= 1000 && elapsedMs <= Int64(measured.milliseconds))

    let messages = await session.received
    let progress = messages.filter { $0["method"] == "$/progress" && $0["params"]?["token"] == "wait-1" }
      .compactMap { $0["params"]?["value"] }
    let kinds = progress.compactMap { $0["kind"]?.stringValue }
    #expect(kinds.first == "begin")
    #expect(kinds.last == "end")
    #expect(kinds.dropFirst().dropLast().allSatisfy { $0 == "report" })
    #expect(progress.first?["message"] == .string(host))
    let phases = progress.compactMap { $0["phase"]?.stringValue }
    #expect(phases.first == "socket-missing")
    #expect(phases.contains("socket-present"))
    #expect(phases.last == "ready")
    let reportedMs = progress.compactMap { $0["elapsedMs"]?.intValue }
    #expect(reportedMs == reportedMs.sorted())
    #expect(progress.last?["ready"] == true)
    // Every progress message came before the response.
    let responseIndex = try #require(messages.firstIndex { $0["id"] == "ready" })
    #expect(messages.lastIndex { $0["method"] == "$/progress" }.map { $0 < responseIndex } == true)
    #expect(try await session.finish() == 0)
  }

  @Test("a wait that times out answers -32001 with the report and elapsedMs in data")
  func timeout() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let session = try ServeSession(framing: .newlineDelimited)
    let response = try await session.request(
      "waitReady", params: ["host": .string("unix://\(directory.file("none.sock"))"), "timeoutMs": 300])
    let error = try #require(response["error"])
    #expect(error["code"] == -32001)
    #expect(error["message"]?.stringValue?.contains("not ready within 300 ms") == true)
    #expect(error["data"]?["ready"] == false)
    #expect((error["data"]?["elapsedMs"]?.intValue ?? 0) >= 300)
    #expect(error["data"]?["report"]?["issues"]?[0]?["code"] == "socket-missing")
    #expect(try await session.finish() == 0)
  }

  @Test(
    "$/cancelRequest answers a waiting waitReady with -32800, long before its timeout",
    arguments: ServeProtocolTests.framings, [false, true])
  func cancellation(framing: Framing, staleSocket: Bool) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    // Missing: the wait sleeps on inotify. Stale: it backs off between refused connections.
    if staleSocket { try StaleSocket.create(at: directory.file("none.sock")) }
    let session = try ServeSession(framing: framing)
    // Each cancellation must end its wait, which would otherwise run for 60 s: 30 s proves the end on any machine.
    // How fast it is answered is not asserted: a shared machine stalls for longer than the answer takes.
    var latencies: [Duration] = []
    for id in 1...3 {
      try await session.sendRequest(
        id: .int(Int64(id)), method: "waitReady",
        params: [
          "host": .string("unix://\(directory.file("none.sock"))"), "timeoutMs": 60_000,
          "workDoneToken": .int(Int64(id)),
        ])
      // The request is in flight once its progress has begun.
      _ = try await session.take(what: "progress begin") {
        $0["params"]?["token"] == .int(Int64(id)) && $0["params"]?["value"]?["kind"] == "begin"
      }
      let clock = ContinuousClock()
      let cancelled = clock.now
      try await session.notify("$/cancelRequest", params: ["id": .int(Int64(id))])
      let response = try await session.response(to: .int(Int64(id)), timeout: .seconds(30))
      latencies.append(clock.now - cancelled)
      #expect(response["error"]?["code"] == -32800)
      let end = try await session.take(what: "progress end") {
        $0["params"]?["token"] == .int(Int64(id)) && $0["params"]?["value"]?["kind"] == "end"
      }
      #expect(end["params"]?["value"]?["message"] == "cancelled")
    }
    #expect(latencies.allSatisfy { $0 < .seconds(30) }, "latencies: \(latencies)")
    #expect(try await session.finish() == 0)
  }

  @Test("a client that asked for it in initialize has requests in flight cancelled at the end of its input")
  func cancelOnEndOfInput() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let session = try ServeSession(framing: .newlineDelimited)
    _ = try await session.request("initialize", params: ["initializationOptions": ["cancelOnEndOfInput": true]])
    try await session.sendRequest(
      id: "w", method: "waitReady",
      params: ["host": .string("unix://\(directory.file("none.sock"))"), "timeoutMs": 60_000])
    let clock = ContinuousClock()
    let closed = clock.now
    #expect(try await session.finish(timeout: .seconds(10)) == 0)
    #expect(clock.now - closed < .seconds(5))
    #expect(try await session.response(to: "w", timeout: .seconds(1))["error"]?["code"] == -32800)
  }

  @Test("watch follows a private daemon: killed by pid → unreachable, back on its socket → ready; unwatch ends it")
  func watch() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let first = try await DockerDaemon.start(in: directory)
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": first.host]))
    var second: DockerDaemon?
    let result = await capture {
      let watching = try #require(try await session.request("watch", params: ["intervalMs": 30_000])["result"])
      #expect(watching["status"] == "ready")
      #expect(watching["healthy"] == true)

      await first.kill()
      let lost = try await session.take(timeout: .seconds(20), what: "healthChanged") {
        $0["method"] == "healthChanged"
      }
      #expect(lost["params"]?["status"] == "unreachable")
      #expect(lost["params"]?["previous"] == "ready")
      #expect(lost["params"]?["healthy"] == false)
      #expect(lost["params"]?["report"]?["daemonAccessible"] == false)

      second = try await DockerDaemon.start(in: directory)
      let back = try await session.take(timeout: .seconds(60), what: "healthChanged") {
        $0["method"] == "healthChanged"
      }
      #expect(back["params"]?["status"] == "ready")
      #expect(back["params"]?["previous"] == "unreachable")
      #expect(back["params"]?["report"]?["healthy"] == true)

      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
      #expect(await session.drainInbox().filter { $0["method"] == "healthChanged" }.isEmpty)
    }
    await second?.stop()
    await first.stop()
    try result.get()
  }

  @Test("watch {recover, allow}: a daemon killed by pid → unreachable, recovered by the configured start command → ready")
  func watchRecovers() async throws {
    let daemon = try HealTests.DaemonHome()
    var scene = try HealTests.Scene(host: daemon.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: daemon.directory)]
    try scene.healOnlyByConfiguredCommand()
    // On a loaded machine the dockerd a heal starts sometimes gives up on its own containerd ("timeout waiting for
    // containerd to start", 14 s after it began): the heal then waits out its readiness window, and the recovery's
    // next attempt starts another. A 20 s window lets a second attempt happen within the test's bounds.
    scene.environment["PREFLIGHT_TIMEOUT"] = "20s"
    let first = try await DockerDaemon.start(in: daemon.directory)
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(scene.environment))
    let result = await capture {
      let watching = try #require(
        try await session.request("watch", params: ["intervalMs": 30_000, "recover": true, "allow": true])["result"])
      #expect(watching["status"] == "ready")

      await first.kill()
      let lost = try await session.take(timeout: .seconds(20), what: "healthChanged") {
        $0["method"] == "healthChanged"
      }
      #expect(lost["params"]?["status"] == "unreachable")
      #expect(lost["params"]?["previous"] == "ready")
      // The recovery is said in the log, then the engine it started is seen ready (perhaps starting first).
      var statuses: [String] = []
      while statuses.last != "ready" {
        let changed = try await session.take(timeout: .seconds(90), what: "healthChanged back to ready") {
          $0["method"] == "healthChanged"
        }
        statuses.append(changed["params"]?["status"]?.stringValue ?? "?")
      }
      #expect(statuses.allSatisfy { ["starting", "ready"].contains($0) }, "\(statuses)")
      let said = await session.received.filter { $0["method"] == "window/logMessage" }.compactMap {
        $0["params"]?["message"]?.stringValue
      }
      let attempts = said.filter { $0.contains("is down: recovery attempt") }.count
      #expect((1...3).contains(attempts), "\(said)")
      #expect(said.last { $0.contains("recovery attempt") }?.contains("heal healed") == true, "\(said)")
      #expect(scene.startInvocations == attempts, "one start per attempt")
      #expect(try await session.request("unwatch")["result"] == [:])
      #expect(try await session.finish() == 0)
    }
    if case .failure = result {
      // The daemon the heal started logs where the first one did; the directory goes with the daemon.
      Issue.record("dockerd's log: \(tail(of: daemon.directory.file("dockerd.log"), lines: 30))")
    }
    await first.stop()
    await daemon.stop()
    try result.get()
  }

  @Test("end of input ends a watch and the server exits 0")
  func watchEndsAtEndOfInput() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let session = try ServeSession(framing: .newlineDelimited)
    let watching = try await session.request(
      "watch", params: ["host": .string("unix://\(directory.file("none.sock"))"), "intervalMs": 50])
    #expect(watching["result"]?["status"] == "unreachable")
    #expect(try await session.finish(timeout: .seconds(5)) == 0)
  }

  @Test("waitReady {heal, allow} starts the engine with the configured start command, then answers ready")
  func healed() async throws {
    let daemon = try HealTests.DaemonHome()
    var scene = try HealTests.Scene(host: daemon.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: daemon.directory)]
    let session = try ServeSession(
      framing: .contentLength, environment: PreflightBinary.cleanEnvironment(scene.environment))
    let answer = try await session.request(
      "waitReady", params: ["heal": true, "allow": true, "timeoutMs": 90_000, "workDoneToken": "w"],
      timeout: .seconds(120))
    #expect(try await session.finish() == 0)
    await daemon.stop()

    #expect(answer["result"]?["ready"] == true, "\(answer)")
    #expect(answer["result"]?["heal"]?["status"] == "healed")
    #expect(answer["result"]?["heal"]?["steps"]?[0]?["strategy"] == "configured")
    #expect(answer["result"]?["heal"]?["steps"]?[0]?["outcome"] == "ready")
    #expect(scene.startInvocations == 1)
    #expect(try scene.actionLogEntries().count == 1)
    let phases = await session.received.compactMap { $0["params"]?["value"]?["phase"]?.stringValue }
    #expect(phases.first == "socket-missing")
    #expect(phases.dropFirst().first == "healing")
    #expect(phases.last == "ready")
  }

  @Test("waitReady {heal} without consent answers -32010 with the plan at once; nothing runs")
  func healNotPermitted() async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine")
    scene.startCommand = [stub]
    let session = try ServeSession(
      framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(scene.environment))
    let clock = ContinuousClock()
    let started = clock.now
    let answer = try await session.request("waitReady", params: ["heal": true, "timeoutMs": 60_000])
    #expect(clock.now - started < .seconds(30))
    #expect(try await session.finish() == 0)
    let error = try #require(answer["error"])
    #expect(error["code"] == -32010)
    #expect(error["message"]?.stringValue?.contains("heal not permitted") == true)
    #expect(error["data"]?["plan"]?[0]?["command"] == [.string(stub)])
    #expect(error["data"]?["consent"]?.arrayValue?.isEmpty == false)
    #expect(error["data"]?["ready"] == false)
    #expect(error["data"]?["report"]?["healthy"] == false)
    #expect(scene.stubs.invocations.isEmpty)
  }

  @Test(
    "bad waitReady and watch params are -32602",
    arguments: [
      ("waitReady", #"{"timeoutMs":-1}"#), ("watch", #"{"intervalMs":0}"#), ("watch", #"{"recover":"yes"}"#),
    ])
  func invalidParams(method: String, params: String) async throws {
    let params = try JSONValue.parse(params)
    let session = try ServeSession(framing: .newlineDelimited)
    #expect(try await session.request(method, params: params)["error"]?["code"] == -32602)
    #expect(try await session.finish() == 0)
  }
}

/// Starts a private daemon in `directory` after `delay`; if that fails, runs `onFailure` (ending what waits for it)
/// before rethrowing.
func startDaemon(in directory: TemporaryDirectory, after delay: Duration, onFailure: () async -> Void) async throws
  -> DockerDaemon
{
  do {
    try await Task.sleep(for: delay)
    return try await DockerDaemon.start(in: directory)
  } catch {
    await onFailure()
    throw error
  }
}


extension Duration {
  var milliseconds: Int {
    Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
  }
}
