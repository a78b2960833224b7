import EngineKit

/// Warns when the engine's API is older than `recommendedAPIVersion` (1.41, Docker 20.10): tools that need newer
/// calls (Compose v2, Dev Containers) fail against it in ways that do not name the version. Below the hard
/// minimum the connectivity check has already failed with `api-too-old`.
struct APIVersionCheck: DiagnosticCheck {
  let id = "api-version"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let version = state.version else { return .skip("the engine did not answer") }
    guard let negotiated = state.apiVersion else {
      return .skip("below the minimum \(state.options.minimumAPIVersion): see the connectivity check")
    }
    let said = state.ping?.apiVersion ?? version.apiVersion
    let recommended = state.options.recommendedAPIVersion
    guard let engine = APIVersion(said) else {
      return CheckResult(.warn, "the engine's API version \"\(said)\" is not a version; talking \(negotiated)")
    }
    let summary = "API \(engine), talking \(negotiated) (recommended: \(recommended) or newer)"
    guard engine < recommended else { return CheckResult(.pass, summary) }
    return CheckResult(
      .warn, summary,
      issues: [
        HealthReport.Issue(
          code: "api-below-recommended",
          message: "\(version.product) \(version.version) at \(state.endpoint.host) speaks API \(engine), older than "
            + "the recommended \(recommended): newer tools (Compose v2, Dev Containers) may fail against it",
          recommendation: "Upgrade the engine (Docker 20.10 or later speaks API 1.41)")
      ])
  }
}
