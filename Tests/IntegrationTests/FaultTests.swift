import Foundation
import JSON
import TestSupport
import Testing

/// `docker-preflight check` against endpoints that fail in each way a person meets, and configuration that is
/// wrong: every failure is classified, names the endpoint or the file, and ends in bounded time.
@Suite("check: faults are classified")
struct FaultTests {
  @Test("a socket the user may not open is permission-denied, with the docker group hint")
  func permissionDenied() async throws {
    try #require(getuid() == 0, "needs root to run the check as nobody")
    let setpriv = try #require(Executable.find("setpriv"), "needs setpriv (util-linux)")
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    // The folder is open to all; the socket, as dockerd makes it, only to root and its group.
    chmod(directory.path, 0o755)
    let socket = directory.file("root-only.sock")
    let listener = try await FaultListener.start(.neverAnswer, unixSocket: socket)
    defer { Task { await listener.stop() } }
    chmod(socket, 0o660)
    let run = try await CommandRun.run(
      setpriv, ["--reuid=nobody", "--regid=nogroup", "--clear-groups", PreflightBinary.path, "check", "--json"],
      environment: nobodysEnvironment(["DOCKER_HOST": "unix://\(socket)"]))
    #expect(run.status == 1, "\(run.standardError)")
    let report = try JSONValue.parse(run.standardOutput)
    #expect(report["issues"]?[0]?["code"] == "permission-denied")
    #expect(report["issues"]?[0]?["message"]?.stringValue?.contains(socket) == true)
    #expect(report["issues"]?[0]?["recommendation"]?.stringValue?.contains("\"docker\" group") == true)
  }

  @Test(
    "a listener that accepts and never answers is a timeout, reported within the --timeout + 0.5 s",
    arguments: [false, true])
  func blackHole(onUnixSocket: Bool) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let listener = try await FaultListener.start(
      .neverAnswer, unixSocket: onUnixSocket ? directory.file("silent.sock") : nil)
    defer { Task { await listener.stop() } }
    // Measured by the check itself, so that the start-up of a debug binary is not counted; the best of three runs,
    // for a machine shared with other builds can stall any process for a while, while a check that waits longer than
    // its bound does so every time.
    var durations: [Int64] = []
    for _ in 0..<3 {
      let run = try await PreflightRun.run(["check", "--json", "--timeout", "700ms", "-H", listener.host])
      #expect(run.status == 1)
      let report = try JSONValue.parse(run.standardOutput)
      #expect(report["issues"]?[0]?["code"] == "timeout")
      #expect(report["issues"]?[0]?["message"]?.stringValue?.contains("within 700 ms") == true)
      let connectivity = report["checks"]?.arrayValue?.first { $0["id"] == "connectivity" }
      let milliseconds = try #require(connectivity?["durationMs"]?.intValue)
      #expect(milliseconds >= 700)
      durations.append(milliseconds)
      if milliseconds < 1200 { break }
    }
    #expect(durations.contains { $0 < 1200 }, "the check took \(durations) ms")
  }

  @Test("an HTTP server that is not an engine is not-an-engine")
  func notAnEngine() async throws {
    let listener = try await FaultListener.start(.answerHTTP(status: 404))
    defer { Task { await listener.stop() } }
    let run = try await PreflightRun.run(["check", "--json", "-H", listener.host])
    #expect(run.status == 1)
    let report = try JSONValue.parse(run.standardOutput)
    #expect(report["issues"]?[0]?["code"] == "not-an-engine")
    #expect(report["issues"]?[0]?["message"]?.stringValue?.contains(listener.host) == true)
  }

  @Test(
    "configuration errors exit 2 and name the file, the key or the context",
    arguments: [
      (["check"], "config.json", "{\"currentContext\": ", "config.json"),
      (["check"], "config.json", "{\"currentContext\": 7}", "currentContext"),
      (["check", "--context", "nowhere"], nil, "", "context \"nowhere\" does not exist"),
      (["check", "-H", "unix:///x.sock", "--context", "nowhere"], nil, "", "cannot specify both --host and --context"),
    ] as [([String], String?, String, String)])
  func configuration(arguments: [String], file: String?, contents: String, named: String) async throws {
    let config = try TemporaryDirectory(prefix: "dcfg")
    defer { config.remove() }
    if let file { _ = try config.write(contents, to: file) }
    let run = try await PreflightRun.run(arguments, environment: ["DOCKER_CONFIG": config.path])
    #expect(run.status == 2)
    #expect(run.standardError.contains(named), "\(run.standardError)")
    #expect(run.standardOutput.isEmpty)
  }

  @Test("a context that does not exist, asked for over serve, is invalid params")
  func missingContextOverServe() async throws {
    let config = try TemporaryDirectory(prefix: "dcfg")
    defer { config.remove() }
    let session = try ServeSession(
      framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(["DOCKER_CONFIG": config.path]))
    let answer = try await session.request("diagnose", params: ["context": "nowhere"])
    #expect(answer["error"]?["code"] == -32602)
    #expect(answer["error"]?["message"]?.stringValue?.contains("nowhere") == true)
    #expect(try await session.finish() == 0)
  }

  /// The environment `nobody` would have: its own (nonexistent) home, so that it does not trip over root's files.
  private func nobodysEnvironment(_ overrides: [String: String]) -> [String: String] {
    var environment = PreflightBinary.cleanEnvironment(overrides.merging(["HOME": "/nonexistent"]) { $1 })
    for key in environment.keys where key.hasPrefix("XDG_") { environment[key] = nil }
    return environment
  }
}
