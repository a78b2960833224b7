import EngineKit
import Preflight
import TestSupport
import Testing

@Suite("Diagnoser")
struct DiagnoserTests {
  @Test("an unreachable engine is a report, not an error: the endpoint, its source and the classified issue")
  func unreachable() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let endpoint = try Endpoint(parsing: "unix://\(directory.file("none.sock"))", source: .environment)
    let report = await Diagnoser(endpoint: endpoint).diagnose()
    #expect(!report.healthy)
    #expect(report.status == .unreachable)
    #expect(report.endpoint.source == "env DOCKER_HOST")
    // The connectivity issue comes first; the provider check may add installed providers after it.
    #expect(report.issues.first?.code == "socket-missing")
    #expect(report.recommendations == report.issues.map(\.recommendation))
    #expect(report.checks.first { $0.id == "connectivity" }?.status == .fail)
  }

  @Test("a private dockerd is ready, with its engine described")
  func ready() async throws {
    try await withDockerDaemon { daemon in
      // A bound far above any answer: this test is about readiness, on a machine that may be busy.
      let report = await Diagnoser(
        endpoint: try Endpoint(parsing: daemon.host, source: .flag), options: DiagnoseOptions(timeout: .seconds(30))
      ).diagnose()
      #expect(report.healthy)
      #expect(report.status == .ready)
      #expect(report.engine?.os == "linux")
      #expect(report.issues.isEmpty)
    }
  }

  @Test("an engine below the minimum API version answers but is degraded: api-too-old")
  func apiTooOld() async throws {
    try await withDockerDaemon { daemon in
      let options = DiagnoseOptions(timeout: .seconds(30), minimumAPIVersion: APIVersion(1, 99))
      let report = await Diagnoser(endpoint: try Endpoint(parsing: daemon.host, source: .flag), options: options)
        .diagnose()
      #expect(report.status == .degraded)
      #expect(!report.healthy)
      #expect(report.daemonAccessible)
      #expect(report.issues.map(\.code) == ["api-too-old"])
      #expect(report.issues.first?.message.contains("1.99") == true)
    }
  }

  @Test(
    "the smoke check runs only when asked, with an image, against an engine that answers",
    arguments: [
      (false, "busybox", "not asked for"), (true, nil, "no probe image given"),
      (true, "busybox", "not reachable"),
    ] as [(Bool, String?, String)])
  func smokeSkipped(deep: Bool, image: String?, reason: String) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let endpoint = try Endpoint(parsing: "unix://\(directory.file("none.sock"))", source: .flag)
    let report = await Diagnoser(endpoint: endpoint, options: DiagnoseOptions(deep: deep, probeImage: image)).diagnose()
    let smoke = report.checks.first { $0.id == "smoke" }
    #expect(smoke?.status == .skip)
    #expect(smoke?.summary.contains(reason) == true)
  }
}
