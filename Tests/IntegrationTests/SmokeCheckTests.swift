import EngineKit
import Foundation
import JSON
import TestSupport
import Testing

/// `check --deep` runs a container from an image already on the engine (imported from busybox-static, never pulled)
/// and always removes it.
@Suite("the smoke check against a private dockerd")
struct SmokeCheckTests {
  @Test("check --deep runs `true` in a container from the probe image (flag or configuration) and removes it")
  func passes() async throws {
    try await withDockerDaemon { daemon in
      try await daemon.importProbeImage(named: "preflight-probe:latest")
      let run = try await PreflightRun.run(
        ["check", "--json", "--timeout", "20s", "--deep", "--probe-image", "preflight-probe:latest"],
        environment: ["DOCKER_HOST": daemon.host])
      #expect(run.status == 0, "\(run.standardOutput)")
      let smoke = try smokeCheck(in: run)
      #expect(smoke?["status"] == "pass")
      #expect(smoke?["summary"]?.stringValue?.contains("exited 0") == true)
      #expect(try await probeContainers(on: daemon).isEmpty)

      // The configuration's probeImage is the default.
      let configuration = try TemporaryDirectory(prefix: "xdg")
      defer { configuration.remove() }
      _ = try configuration.write(
        #"{"probeImage": "preflight-probe:latest"}"#, to: "docker-preflight/config.json")
      let configured = try await PreflightRun.run(
        ["check", "--json", "--timeout", "20s", "--deep"],
        environment: ["DOCKER_HOST": daemon.host, "XDG_CONFIG_HOME": configuration.path])
      #expect(try smokeCheck(in: configured)?["status"] == "pass")
    }
  }

  @Test("a probe that fails is smoke-test-failed, and its container is removed too")
  func fails() async throws {
    try await withDockerDaemon { daemon in
      try await daemon.importProbeImage(named: "preflight-probe:failing", trueExitsWith: 3)
      let run = try await PreflightRun.run(
        ["check", "--json", "--timeout", "20s", "--deep", "--probe-image", "preflight-probe:failing"],
        environment: ["DOCKER_HOST": daemon.host])
      #expect(run.status == 1)
      let report = try JSONValue.parse(run.standardOutput)
      #expect(report["status"] == "degraded")
      #expect(report["issues"]?[0]?["code"] == "smoke-test-failed")
      #expect(report["issues"]?[0]?["message"]?.stringValue?.contains("status 3") == true)
      #expect(try await probeContainers(on: daemon).isEmpty)
    }
  }

  @Test("without an image, or with one the engine does not have, the smoke check is skipped with the reason")
  func skipped() async throws {
    try await withDockerDaemon { daemon in
      for (arguments, reason) in [
        (["--deep"], "no probe image given"), (["--deep", "--probe-image", "absent:1"], "not present"),
      ] {
        let run = try await PreflightRun.run(
          ["check", "--json", "--timeout", "20s"] + arguments, environment: ["DOCKER_HOST": daemon.host])
        #expect(run.status == 0)
        let smoke = try smokeCheck(in: run)
        #expect(smoke?["status"] == "skip")
        #expect(smoke?["summary"]?.stringValue?.contains(reason) == true, "\(arguments)")
      }
    }
  }

  @Test("diagnose over serve takes deep and probeImage")
  func overServe() async throws {
    try await withDockerDaemon { daemon in
      try await daemon.importProbeImage()
      let session = try ServeSession(
        framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]))
      let report = try #require(
        try await session.request("diagnose", params: ["deep": true, "probeImage": "preflight-probe:latest"])["result"])
      let smoke = report["checks"]?.arrayValue?.first { $0["id"] == "smoke" }
      #expect(smoke?["status"] == "pass")
      #expect(try await session.finish() == 0)
      #expect(try await probeContainers(on: daemon).isEmpty)
    }
  }

  private func smokeCheck(in run: CommandRun) throws -> JSONValue? {
    try JSONValue.parse(run.standardOutput)["checks"]?.arrayValue?.first { $0["id"] == "smoke" }
  }

  /// Containers (running or not) that carry the probe label.
  private func probeContainers(on daemon: DockerDaemon) async throws -> [JSONValue] {
    let filters = #"{"label":["org.docker-preflight.probe"]}"#.addingPercentEncoding(
      withAllowedCharacters: .alphanumerics)!
    let response = try await EngineClient(endpoint: try Endpoint(parsing: daemon.host, source: .flag))
      .send(.init(.GET, "/containers/json?all=1&filters=\(filters)"))
    return try JSONValue.parse(response.body).arrayValue ?? []
  }
}

@Suite("streaming answers from a private dockerd")
struct StreamingTests {
  @Test("/events streams the probe image's events as they are read, and the session ends when the reader stops")
  func events() async throws {
    try await withDockerDaemon { daemon in
      let importedAt = Int(Date().timeIntervalSince1970)
      try await daemon.importProbeImage()
      let client = EngineClient(endpoint: try Endpoint(parsing: daemon.host, source: .flag), timeout: .seconds(10))
      let seen = try await client.withSession { session -> [JSONValue] in
        var events: [JSONValue] = []
        var pending: [UInt8] = []
        let path = try await session.versioned("/events?since=\(importedAt - 5)")
        let head = try await session.stream(EngineRequest(.GET, path)) { chunk in
          pending += chunk
          while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            events.append(try JSONValue.parse(pending[..<newline]))
            pending.removeSubrange(...newline)
          }
          return !events.contains { $0["Type"] == "image" }
        }
        #expect(head.status == 200)
        // Stopping early closed the connection: the session takes no more calls.
        await #expect(throws: (any Error).self) { try await session.ping() }
        return events
      }
      #expect(
        seen.contains { $0["Type"] == "image" && $0["Actor"]?["Attributes"]?["name"] == "preflight-probe:latest" })
    }
  }
}
