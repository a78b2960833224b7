import JSON
import JSONRPC
import Preflight
import Synchronization

/// `watch` params.
struct WatchParams: Codable, Sendable {
  /// An endpoint to watch instead of the configured one, as `-H` and `--context` name it.
  var host: String?
  var context: String?
  /// The longest a change may go unnoticed; 5000 when absent.
  var intervalMs: Int?
  /// Heal after a loss.
  var recover: Bool?
  /// Consent to heal without asking.
  var allow: Bool?
}

/// `watch`'s result: the state the watch starts from; `healthChanged` tells each change after it.
struct WatchResult: Encodable, Sendable {
  var status: HealthReport.Status
  var healthy: Bool
  var report: HealthReport
}

/// `healthChanged` params.
struct HealthChangedParams: Encodable, Sendable {
  var status: HealthReport.Status
  var healthy: Bool
  var previous: HealthReport.Status?
  var report: HealthReport

  init(_ transition: HealthTransition) {
    status = transition.status
    healthy = transition.healthy
    previous = transition.previous
    report = transition.report
  }
}

extension PreflightServer {
  static let defaultWatchInterval = 5000

  /// Starts following the engine's health (replacing the session's previous watch) and answers with its current
  /// state; every change after that is a `healthChanged` notification. Ends on `unwatch` or the end of the session.
  func watch(_ params: WatchParams, _ context: RequestContext) async throws -> WatchResult {
    let endpoint = try endpoint(host: params.host, context: params.context)
    let interval =
      try requestTimeout(milliseconds: params.intervalMs, field: "intervalMs", method: context.method)
      ?? .milliseconds(Self.defaultWatchInterval)
    let diagnoser = diagnoser(for: endpoint)
    let initial = await diagnoser.diagnose()
    let monitor = HealthMonitor(
      diagnoser: diagnoser, interval: interval,
      recovery: params.recover == true ? .init(healer: healing(context), allowed: params.allow ?? false) : nil)
    let client = context.client
    watches.replace(
      with: Task {
        try? await monitor.run(from: initial) { event in
          switch event {
          case .changed(let transition):
            await client.notify(
              "healthChanged", params: try? JSONValueEncoder().encode(HealthChangedParams(transition)))
          case .recovering(let attempt, let limit):
            await client.log(.info, "the engine at \(endpoint.host) is down: recovery attempt \(attempt) of \(limit)")
          case .recoveryFinished(let attempt, let outcome):
            let level: ClientChannel.LogLevel = outcome.status == .healed ? .info : .warning
            await client.log(level, "recovery attempt \(attempt): heal \(outcome.status.rawValue): \(outcome.message)")
          }
        }
      })
    return WatchResult(status: initial.status, healthy: initial.healthy, report: initial)
  }
}

/// The session's watch: at most one runs; a new `watch` replaces it.
final class WatchRegistry: Sendable {
  private let current = Mutex<Task<Void, Never>?>(nil)

  func replace(with task: Task<Void, Never>) {
    let previous = current.withLock { current in
      defer { current = task }
      return current
    }
    previous?.cancel()
  }

  /// Cancels the watch and returns once it has ended (no notification follows).
  func stop() async {
    let watch = current.withLock { current in
      defer { current = nil }
      return current
    }
    watch?.cancel()
    await watch?.value
  }
}
