import EngineKit
import JSON
import JSONRPC
import Preflight

/// `heal` params.
struct HealParams: Codable, Sendable {
  /// Build and return the plan; run nothing.
  var dryRun: Bool?
  /// Only these strategies (names as in the plan).
  var strategies: [String]?
  /// Consent given up front.
  var allow: Bool?
  /// The whole heal's budget; the configuration's `timeout` (90 s) when absent.
  var timeoutMs: Int?
}

extension PreflightServer {
  func heal(_ params: HealParams, _ context: RequestContext) async throws -> HealOutcome {
    let timeout = try requestTimeout(milliseconds: params.timeoutMs, method: context.method)
    let healer = makeHealer(for: try endpoint(host: nil))
    let endpoint = healer.endpoint
    let request = HealRequest(
      dryRun: params.dryRun ?? false, strategies: params.strategies, allow: params.allow ?? false,
      timeout: timeout)
    let progress = context.progress
    let client = context.client
    await progress?.begin(title: "Healing \(endpoint.host)", cancellable: true)
    let outcome: HealOutcome
    do {
      outcome = try await healer.heal(request) { plan, report in
        await Self.askConsent(plan: plan, report: report, client: client)
      } events: { event in
        await progress?.report(event)
      }
    } catch {
      await progress?.end(message: error.description)
      switch error {
      case .healNotPermitted(let plan, let report):
        throw ResponseError(
          code: ServerError.healNotPermittedCode, message: "heal not permitted: starting the engine needs consent",
          data: try JSONValueEncoder().encode(HealNotPermittedData(plan: plan, report: report)))
      case .unknownStrategies:
        throw ResponseError.invalidParams("invalid params for heal: strategies: \(error.description)")
      case .configuration:
        throw ServerError.configuration(error.description)
      case .stateUnavailable:
        throw ResponseError.internalError(error.description)
      }
    }
    await progress?.end(message: outcome.message)
    // A cancelled heal stopped its step and returned what it had; the protocol answers -32800 all the same.
    try Task.checkCancellation()
    return outcome
  }

  /// The Healer for `endpoint`, with the server's configuration and environment.
  func makeHealer(for endpoint: Endpoint) -> Healer {
    Healer(
      facts: HostFacts.current(endpoint: endpoint, environment: resolver.environment), configuration: configuration,
      paths: PreflightPaths(environment: resolver.environment), readiness: readiness)
  }

  /// What `waitReady {heal}` and `watch {recover}` heal with: the injected healer, else the Healer as `heal` runs
  /// it, asking the person through the client when it can and consent was not given.
  func healing(_ context: RequestContext, events: @escaping @Sendable (HealEvent) async -> Void = { _ in })
    -> any EngineHealing
  {
    if let healer { return healer }
    let client = context.client
    return HealerHealing(
      makeHealer: makeHealer(for:),
      consent: { plan, report in await Self.askConsent(plan: plan, report: report, client: client) }, events: events)
  }

  /// Asks the person through the client (`window/showMessageRequest`), when the client said in `initialize` that it
  /// can show one; anything but "Start engine" is a no.
  static func askConsent(plan: [HealStep], report: HealthReport, client: ClientChannel) async -> Bool {
    guard let initialize = await client.initializeParams,
      initialize["capabilities"]?["window"]?["showMessage"]?.objectValueAllowingEmptyArray != nil
    else { return false }
    let reason = report.issues.first?.message ?? "it does not answer"
    let steps = plan.enumerated().map { "\($0.offset + 1). \($0.element.commandLine)" }.joined(separator: "  ")
    let params: JSONValue = [
      "type": 3,
      "message": .string(
        "The container engine at \(report.endpoint.host) is not running (\(reason)). Start it? "
          + "docker-preflight would run, until the engine answers: \(steps)"),
      "actions": [["title": .string(ConsentAction.start)], ["title": .string(ConsentAction.cancel)]],
    ]
    do {
      let answer = try await client.request("window/showMessageRequest", params: params)
      return answer["title"]?.stringValue == ConsentAction.start
    } catch {
      return false
    }
  }
}

/// The actions of the consent question.
enum ConsentAction {
  static let start = "Start engine"
  static let cancel = "Cancel"
}

/// `data` of the `-32010` error: what would have run, why, and how to consent.
struct HealNotPermittedData: Codable, Sendable {
  var plan: [HealStep]
  var report: HealthReport
  var consent = [
    "\"allow\": true in the heal params",
    "capabilities.window.showMessage in initialize, to be asked",
    "PREFLIGHT_HEAL=1 in the server's environment",
    "\"heal\": {\"allow\": true} in the configuration file",
  ]
}

extension ProgressReporter {
  /// One `report` per heal event.
  func report(_ event: HealEvent) async {
    switch event {
    case .planned(let plan):
      await report(message: "plan: " + plan.map(\.strategy.rawValue).joined(separator: ", "))
    case .waitingForLock(let path):
      await report(message: "waiting for another heal on this host (\(path))")
    case .stepStarted(let step, let index, let count):
      await report(
        message: "step \(index + 1)/\(count): \(step.strategy.rawValue): \(step.commandLine)",
        percentage: index * 100 / max(count, 1))
    case .waitingForReadiness(let step, let timeout):
      await report(message: "\(step.strategy.rawValue): waiting up to \(DurationText.format(timeout)) for the engine")
    case .stepFinished(let result):
      let exit = result.exitCode.map { ", exit status \($0)" } ?? ""
      await report(message: "\(result.strategy): \(result.outcome.rawValue)\(exit) after \(result.durationMs) ms")
    case .note(let text):
      await report(message: text)
    }
  }
}
