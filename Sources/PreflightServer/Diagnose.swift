import EngineKit
import JSONRPC
import Preflight

/// `diagnose` params.
struct DiagnoseParams: Codable, Sendable {
  /// An endpoint to check instead of the configured one (`unix:///…`, `tcp://…`).
  var host: String?
  /// A docker context to check instead of the configured endpoint.
  var context: String?
  var deep: Bool?
  /// The image `deep` runs a container from (default: the configuration's `probeImage`); it must be present already.
  var probeImage: String?
  var timeoutMs: Int?
  var probeTimeoutMs: Int?
  /// A devcontainer.json, or a folder with `.devcontainer/devcontainer.json` or `.devcontainer.json`, whose needs
  /// are checked too (as `check --devcontainer PATH`); a relative path is from the server's working directory.
  var devcontainer: String?
}

extension PreflightServer {
  func diagnose(_ params: DiagnoseParams, _ context: RequestContext) async throws -> HealthReport {
    // A zero or negative bound would report a healthy engine as timed out: the request is wrong, not the engine.
    let method = context.method
    let timeout = try requestTimeout(milliseconds: params.timeoutMs, method: method)
    let probeTimeout = try requestTimeout(milliseconds: params.probeTimeoutMs, field: "probeTimeoutMs", method: method)
    let endpoint = try endpoint(host: params.host, context: params.context)
    var options = DiagnoseOptions(
      timeout: timeout ?? .seconds(2), deep: params.deep ?? false, probeImage: params.probeImage,
      probeTimeout: probeTimeout ?? .seconds(30),
      host: HostEnvironment(environment: resolver.environment))
    options.applyDefaults(from: configuration)
    if let path = params.devcontainer {
      guard !path.isEmpty else {
        throw ResponseError.invalidParams(
          "invalid params for \(method): devcontainer: expected a path to devcontainer.json or its folder, found \"\"")
      }
      options.devContainer = DevContainerPreflight.load(
        path, environment: resolver.environment, configuration: configuration)
    }
    let progress = context.progress
    await progress?.begin(title: "Diagnosing \(endpoint.host)")
    let report = await Diagnoser(endpoint: endpoint, options: options).diagnose()
    // A cancelled diagnosis stopped talking to the engine, and its report would blame the engine for it.
    if Task.isCancelled {
      await progress?.end(message: "cancelled")
      throw CancellationError()
    }
    await progress?.end(message: report.healthy ? "ready" : report.status.rawValue)
    return report
  }
}
