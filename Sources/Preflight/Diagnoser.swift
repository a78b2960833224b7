import EngineKit

/// Runs the checks against one endpoint and builds the ``HealthReport``.
///
/// An engine that cannot be reached is a finding, not a failure: the report says why and what to do.
public struct Diagnoser: Sendable {
  public var endpoint: Endpoint
  public var timeout: Duration

  public init(endpoint: Endpoint, timeout: Duration = .seconds(2)) {
    self.endpoint = endpoint
    self.timeout = timeout
  }

  public func diagnose() async -> HealthReport {
    let clock = ContinuousClock()
    let started = clock.now
    var checks: [HealthReport.Check] = [
      HealthReport.Check(
        id: "endpoint", status: .pass, summary: "\(endpoint.host) (from \(endpoint.source))", durationMs: 0)
    ]
    var issues: [HealthReport.Issue] = []
    var engine: HealthReport.EngineInfo?
    var status = HealthReport.Status.unreachable

    let probeStarted = clock.now
    do {
      let (ping, version) = try await EngineClient(endpoint: endpoint, timeout: timeout).withSession { session in
        (try await session.ping(), try await session.version())
      }
      let elapsed = (clock.now - probeStarted).milliseconds
      checks.append(
        .init(
          id: "connectivity", status: .pass, summary: "answers _ping (API \(ping.apiVersion ?? "?"))",
          durationMs: elapsed))
      checks.append(
        .init(
          id: "version", status: .pass, summary: "\(version.product) \(version.version), API \(version.apiVersion)",
          durationMs: 0))
      engine = HealthReport.EngineInfo(
        product: version.product, version: version.version, apiVersion: version.apiVersion,
        minApiVersion: version.minAPIVersion, os: version.os, arch: version.arch)
      status = .ready
    } catch {
      checks.append(
        .init(id: "connectivity", status: .fail, summary: error.message, durationMs: (clock.now - probeStarted).milliseconds))
      issues.append(.init(code: error.code, message: error.message, recommendation: error.recommendation))
      if error.kind == .engineStarting { status = .starting }
    }

    return HealthReport(
      timestamp: currentTimestamp(),
      healthy: status == .ready,
      status: status,
      endpoint: .init(host: endpoint.host, source: endpoint.source.description, transport: endpoint.transportName),
      engine: engine,
      provider: nil,
      dockerDesktopRunning: nil,
      daemonAccessible: engine != nil,
      wsl2Status: nil,
      checks: checks,
      issues: issues,
      recommendations: issues.map(\.recommendation),
      durationMs: (clock.now - started).milliseconds)
  }
}

extension Endpoint {
  /// `unix`, `tcp`, `tcp+tls`, `ssh`, `npipe`.
  public var transportName: String {
    if case .tcp = transport, tls != nil { return "tcp+tls" }
    return transport.name
  }
}
