import EngineKit
import Foundation
import JSON
import Testing
import TestSupport

/// `check --deep` runs a container from an image already on the engine (imported from busybox-static, never pulled)
/// and always removes it.
@Suite("the smoke check against a private dockerd")
struct SmokeCheckTests {
  @Test("check --deep runs `true` in a container from the probe image and removes it")
  func passes() async throws {
    try await withDockerDaemon { daemon in
      try await daemon.importProbeImage(named: "preflight-probe:latest")
      let run = try await PreflightRun.run(
        ["check", "--json", "--deep", "--probe-image", "preflight-probe:latest"], environment: ["DOCKER_HOST": daemon.host])
      #expect(run.status == 0, "\(run.standardOutput)")
      let smoke = try smokeCheck(in: run)
      #expect(smoke?["status"] == "pass")
      #expect(smoke?["summary"]?.stringValue?.contains("exited 0") == true)
      #expect(try await probeContainers(on: daemon).isEmpty)
    }
  }

  @Test("a probe that fails is smoke-test-failed, and its container is removed too")
  func fails() async throws {
    try await withDockerDaemon { daemon in
      try await daemon.importProbeImage(named: "preflight-probe:failing", trueExitsWith: 3)
      let run = try await PreflightRun.run(
        ["check", "--json", "--deep", "--probe-image", "preflight-probe:failing"],
        environment: ["DOCKER_HOST": daemon.host])
      #expect(run.status == 1)
      let report = try JSONValue.parse(run.standardOutput)
      #expect(report["status"] == "degraded")
      #expect(report["issues"]?[0]?["code"] == "smoke-test-failed")
      #expect(report["issues"]?[0]?["message"]?.stringValue?.contains("status 3") == true)
      #expect(try await probeContainers(on: daemon).isEmpty)
    }
  }

  @Test(
    "without an image, or with one the engine does not have, the smoke check is skipped with the reason",
    arguments: [(["--deep"], "no probe image given"), (["--deep", "--probe-image", "absent:1"], "not present")])
  func skipped(arguments: [String], reason: String) async throws {
    try await withDockerDaemon { daemon in
      let run = try await PreflightRun.run(["check", "--json"] + arguments, environment: ["DOCKER_HOST": daemon.host])
      #expect(run.status == 0)
      let smoke = try smokeCheck(in: run)
      #expect(smoke?["status"] == "skip")
      #expect(smoke?["summary"]?.stringValue?.contains(reason) == true)
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
    let filters = #"{"label":["org.docker-preflight.probe"]}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    let response = try await EngineClient(endpoint: try Endpoint(parsing: daemon.host, source: .flag))
      .send(.init(.GET, "/containers/json?all=1&filters=\(filters)"))
    return try JSONValue.parse(response.body).arrayValue ?? []
  }
}
