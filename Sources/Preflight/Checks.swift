import EngineKit

/// The endpoint in use and where it came from.
struct EndpointCheck: DiagnosticCheck {
  let id = "endpoint"
  func run(_ state: inout DiagnosisState) async -> CheckResult {
    CheckResult(.pass, "\(state.endpoint.host) (from \(state.endpoint.source))")
  }
}

/// `_ping` then `/version` on one connection: readiness means both answer.
struct ConnectivityCheck: DiagnosticCheck {
  let id = "connectivity"
  func run(_ state: inout DiagnosisState) async -> CheckResult {
    do {
      let client = EngineClient(endpoint: state.endpoint, timeout: state.options.timeout)
      let (ping, version) = try await client.withSession { session in
        (try await session.ping(), try await session.version())
      }
      state.ping = ping
      state.version = version
      return CheckResult(
        .pass, "\(version.product) \(version.version) answers (API \(ping.apiVersion ?? version.apiVersion))")
    } catch {
      state.connectionError = error
      return CheckResult(
        .fail, error.message,
        issues: [HealthReport.Issue(code: error.code, message: error.message, recommendation: error.recommendation)])
    }
  }
}
