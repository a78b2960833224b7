import EngineKit
import JSONRPC
import Preflight

/// `explain` params.
struct ExplainParams: Codable, Sendable {
  /// The error: a line, or a whole log excerpt.
  var text: String
  /// The endpoint to diagnose instead of the one the text names (or the server's own).
  var host: String?
  /// A docker context to diagnose instead.
  var context: String?
  var timeoutMs: Int?
}

extension PreflightServer {
  func explain(_ params: ExplainParams, _ context: RequestContext) async throws -> ExplainedError {
    let timeout = try requestTimeout(milliseconds: params.timeoutMs, method: context.method)
    let endpoint = try endpoint(host: params.host, context: params.context)
    var options = DiagnoseOptions(
      timeout: timeout ?? .seconds(1), host: HostEnvironment(environment: resolver.environment))
    options.applyDefaults(from: configuration)
    let explained = await ErrorExplainer().explainWithLiveState(
      params.text, configured: endpoint, endpointChosen: params.host != nil || params.context != nil,
      options: options)
    // A cancelled diagnosis stopped talking to the engine, and its live state would blame the engine for it.
    if Task.isCancelled { throw CancellationError() }
    return explained
  }
}
