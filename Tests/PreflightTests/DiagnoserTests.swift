import EngineKit
import Preflight
import Testing
import TestSupport

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
    #expect(report.issues.map(\.code) == ["socket-missing"])
    #expect(report.recommendations == report.issues.map(\.recommendation))
    #expect(report.checks.first { $0.id == "connectivity" }?.status == .fail)
  }

  @Test("a private dockerd is ready, with its engine described")
  func ready() async throws {
    try await withDockerDaemon { daemon in
      let report = await Diagnoser(endpoint: try Endpoint(parsing: daemon.host, source: .flag)).diagnose()
      #expect(report.healthy)
      #expect(report.status == .ready)
      #expect(report.engine?.os == "linux")
      #expect(report.issues.isEmpty)
    }
  }
}
