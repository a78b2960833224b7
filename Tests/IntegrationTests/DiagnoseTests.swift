import Foundation
import JSON
import JSONRPC
import Testing
import TestSupport

@Suite("diagnose and check against a private dockerd")
struct DiagnoseTests {
  @Test("diagnose over serve reports a healthy engine with its real API version", arguments: ServeProtocolTests.framings)
  func healthyOverServe(framing: Framing) async throws {
    try await withDockerDaemon { daemon in
      let session = try ServeSession(
        framing: framing, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]))
      let report = try #require(try await session.request("diagnose")["result"])
      #expect(report["healthy"] == true)
      #expect(report["status"] == "ready")
      #expect(report["daemonAccessible"] == true)
      #expect(report["endpoint"]?["host"] == .string(daemon.host))
      #expect(report["endpoint"]?["source"] == "env DOCKER_HOST")
      #expect(report["endpoint"]?["transport"] == "unix")
      #expect(report["engine"]?["apiVersion"] == .string(try await daemon.apiVersion()))
      #expect(report["issues"] == [])
      #expect(report["timestamp"]?.stringValue?.hasSuffix("Z") == true)
      #expect(try await session.finish() == 0)
    }
  }

  @Test("check --json prints the same report and exits 0")
  func checkJSON() async throws {
    try await withDockerDaemon { daemon in
      let run = try await PreflightRun.run(["check", "--json"], environment: ["DOCKER_HOST": daemon.host])
      #expect(run.status == 0)
      let report = try JSONValue.parse(run.standardOutput)
      #expect(report["healthy"] == true)
      #expect(report["engine"]?["apiVersion"] == .string(try await daemon.apiVersion()))
    }
  }

  @Test("an engine that answers 503 is starting over serve: a result, with its progress ending 'starting'")
  func startingOverServe() async throws {
    let listener = try await FaultListener.start(.answerHTTP(status: 503))
    let session = try ServeSession(framing: .contentLength)
    let answer = try await session.request(
      "diagnose", params: ["host": .string(listener.host), "workDoneToken": "starting"])
    #expect(try await session.finish() == 0)
    await listener.stop()
    #expect(answer["result"]?["status"] == "starting")
    #expect(answer["result"]?["healthy"] == false)
    #expect(answer["result"]?["issues"]?[0]?["code"] == "engine-starting")
    let ends = await session.received.filter { $0["params"]?["value"]?["kind"] == "end" }
    #expect(ends.map { $0["params"]?["value"]?["message"] } == ["starting"])
  }

  @Test("a missing socket is a result: healthy false, the endpoint named, exit 1")
  func missingSocket() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let host = "unix://\(directory.file("nothing.sock"))"
    let run = try await PreflightRun.run(["check", "--json"], environment: ["DOCKER_HOST": host])
    #expect(run.status == 1)
    let report = try JSONValue.parse(run.standardOutput)
    #expect(report["healthy"] == false)
    #expect(report["status"] == "unreachable")
    #expect(report["daemonAccessible"] == false)
    #expect(report["issues"]?[0]?["code"] == "socket-missing")
    #expect(report["issues"]?[0]?["message"]?.stringValue?.contains(host) == true)

    let session = try ServeSession(framing: .newlineDelimited)
    let answer = try await session.request("diagnose", params: ["host": .string(host)])
    #expect(answer["result"]?["healthy"] == false)
    #expect(answer["result"]?["issues"]?[0]?["message"]?.stringValue?.contains(host) == true)
    #expect(try await session.finish() == 0)
  }

  @Test("a shell pipe into serve prints one response line with the report")
  func shellPipe() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let request = #"{"jsonrpc":"2.0","id":1,"method":"diagnose"}"#
    let run = try await PreflightRun.run(
      ["serve"], environment: ["DOCKER_HOST": "unix://\(directory.file("none.sock"))"], input: request + "\n")
    #expect(run.status == 0)
    let lines = run.standardOutput.split(separator: "\n")
    #expect(lines.count == 1)
    let response = try JSONValue.parse(String(lines[0]))
    #expect(response["id"] == 1)
    #expect(response["result"]?["healthy"] == false)
  }

  @Test("usage and configuration errors exit 2", arguments: [["check", "--bogus"], ["check", "-H", "nope://x"]])
  func usageErrors(arguments: [String]) async throws {
    let run = try await PreflightRun.run(arguments)
    #expect(run.status == 2)
    #expect(!run.standardError.isEmpty)
  }
}

extension DockerDaemon {
  /// The API version the daemon reports, read independently of docker-preflight (curl over the socket).
  func apiVersion() async throws -> String {
    let run = try await CommandRun.run(
      Executable.find("curl") ?? "/usr/bin/curl", ["-sS", "--unix-socket", socketPath, "http://localhost/version"])
    return try JSONValue.parse(run.standardOutput)["ApiVersion"]?.stringValue ?? "curl: \(run.standardError)"
  }
}
