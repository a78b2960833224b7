import EngineKit

/// The endpoint in use and where it came from.
struct EndpointCheck: DiagnosticCheck {
  let id = "endpoint"
  func run(_ state: inout DiagnosisState) async -> CheckResult {
    CheckResult(.pass, "\(state.endpoint.host) (from \(state.endpoint.source))")
  }
}

/// `_ping` and `/version` (asked together by the probe): the engine answers both, or, without `asksVersion`,
/// `_ping` as an engine does. Then the API version is negotiated as the docker CLI does; an engine older than the
/// minimum answers, but fails the check (`api-too-old`).
struct ConnectivityCheck: DiagnosticCheck {
  let id = "connectivity"
  var asksVersion = true
  var questions: EngineProbe.Questions { asksVersion ? [.version] : [] }

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    do {
      let ping: PingResult
      let answers: String
      if asksVersion {
        let version: EngineVersion
        (ping, version) = try await state.probe.answers()
        state.version = version
        answers = "\(version.product) \(version.version) answers (API \(ping.apiVersion ?? version.apiVersion))"
      } else {
        ping = try await state.probe.pinged()
        answers = "the engine answers _ping (API \(ping.apiVersion ?? "not said"), \(ping.osType ?? "no OS said"))"
      }
      state.ping = ping
      state.isReachable = true
      do {
        state.apiVersion = try APIVersion.negotiate(
          daemonSays: ping.apiVersion ?? state.version?.apiVersion, minimum: state.options.minimumAPIVersion,
          endpoint: state.endpoint.host)
      } catch {
        return CheckResult(.fail, "\(answers), but \(error.message)", issues: [HealthReport.Issue(error)])
      }
      return CheckResult(.pass, answers)
    } catch {
      state.connectionError = error
      if let hung = HungEngine.assess(error, endpoint: state.endpoint, options: state.options) {
        state.hung = hung
        let issue = hung.issue(state.endpoint, timeout: state.options.timeout)
        return CheckResult(.fail, issue.message, issues: [issue])
      }
      return CheckResult(.fail, error.message, issues: [HealthReport.Issue(error)])
    }
  }
}

extension HealthReport.Issue {
  /// The issue an engine error is, with its stable code.
  init(_ error: EngineError) {
    self.init(code: error.code, message: error.message, recommendation: error.recommendation)
  }
}
