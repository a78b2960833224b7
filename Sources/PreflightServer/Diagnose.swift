import JSONRPC
import Preflight

/// `diagnose` params.
struct DiagnoseParams: Codable, Sendable {
  /// An endpoint to check instead of the configured one (`unix:///…`, `tcp://…`).
  var host: String?
  var context: String?
  var deep: Bool?
  var timeoutMs: Int?
}

extension PreflightServer {
  func diagnose(_ params: DiagnoseParams, _ context: RequestContext) async throws -> HealthReport {
    let endpoint = try endpoint(host: params.host)
    let timeout = Duration.milliseconds(params.timeoutMs ?? 2000)
    let progress = context.progress
    await progress?.begin(title: "Diagnosing \(endpoint.host)")
    let report = await Diagnoser(endpoint: endpoint, options: DiagnoseOptions(timeout: timeout, deep: params.deep ?? false)).diagnose()
    await progress?.end(message: report.healthy ? "ready" : report.status.rawValue)
    return report
  }
}
