import JSON
import JSONRPC
import Preflight

/// `waitReady` params.
struct WaitReadyParams: Codable, Sendable {
  /// An endpoint to wait for instead of the configured one, as `-H` and `--context` name it.
  var host: String?
  var context: String?
  /// How long to wait; the configuration's `timeout` (90 s) when absent.
  var timeoutMs: Int?
  /// Heal once if the engine is down.
  var heal: Bool?
  /// Consent to heal without asking.
  var allow: Bool?
}

extension PreflightServer {
  /// Waits until the engine is ready; answers `{ready, elapsedMs, report, heal?}`, or `-32001` with that object in
  /// `data` (`-32010`, with `heal`'s `plan` and `consent` added, when a heal was not permitted). Progress: `begin`
  /// naming the endpoint, a `report` on every phase change (`phase`, `elapsedMs`) and heal step, `end` with the
  /// outcome.
  func waitReady(_ params: WaitReadyParams, _ context: RequestContext) async throws -> ReadinessOutcome {
    let endpoint = try endpoint(host: params.host, context: params.context)
    let timeout =
      try requestTimeout(milliseconds: params.timeoutMs, method: context.method, range: 0...maxTimeoutMs)
      ?? configuration.timeout
    let progress = context.progress
    let healing = healing(context) { await progress?.report($0) }
    let waiter = ReadinessWaiter(
      diagnoser: diagnoser(for: endpoint), timeout: timeout,
      healing: params.heal == true ? .init(healer: healing, allowed: params.allow ?? false) : nil)
    await progress?.begin(title: "Waiting for the engine", message: endpoint.host, cancellable: true)
    let outcome: ReadinessOutcome
    do {
      outcome = try await waiter.wait { event in
        var details: JSONObject = ["elapsedMs": .int(Int64(event.elapsed.milliseconds))]
        switch event.kind {
        case .phase(let phase): details["phase"] = .string(phase.rawValue)
        case .healing: details["phase"] = "healing"
        case .healed(let heal): details["heal"] = try? JSONValueEncoder().encode(heal)
        }
        await progress?.report(message: event.summary, details: details)
      }
    } catch {
      await progress?.end(message: "cancelled")
      throw error
    }
    let summary = outcome.summary(timeout: timeout)
    await progress?.end(
      message: summary, details: ["ready": .bool(outcome.ready), "elapsedMs": .int(Int64(outcome.elapsedMs))])
    guard outcome.ready else { throw ServerError.notReady(outcome, message: summary) }
    return outcome
  }
}

extension ReadinessOutcome {
  /// One sentence: `ready after 1234 ms`, `not ready within 90000 ms: <the issue>`, `heal failed: <why>`.
  func summary(timeout: Duration) -> String {
    switch ending {
    case .ready:
      return "ready after \(elapsedMs) ms"
    case .timedOut:
      let why = report.issues.first?.message ?? "status \(report.status.rawValue)"
      return "the engine at \(report.endpoint.host) was not ready within \(timeout.milliseconds) ms: \(why)"
    case .healFailed:
      return heal?.message ?? "the engine at \(report.endpoint.host) could not be healed"
    }
  }
}
