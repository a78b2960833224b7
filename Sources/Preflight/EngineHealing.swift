import EngineKit

/// What waiting and watching need of healing: start the engine at an endpoint, and say how that went.
///
/// The ``ReadinessWaiter`` and the ``HealthMonitor`` call it when the engine is down and the caller asked for
/// healing. ``HealerHealing`` is the real one (the ``Healer`` with its plan, consent, lock and action log); tests
/// inject their own.
public protocol EngineHealing: Sendable {
  /// Starts the engine at `endpoint`, which is down for `reason` (the issue found, for people). `allowed` is the
  /// caller's consent (`--yes`, `allow: true`); without it a healer may ask, or refuse.
  func heal(endpoint: Endpoint, reason: String, allowed: Bool) async -> HealAttempt

  /// The engine at `endpoint` was seen ready: a healer may note which process serves it, so that after a crash it
  /// knows what was left behind and whether something will restart it.
  func engineSeenReady(endpoint: Endpoint) async
}

extension EngineHealing {
  public func engineSeenReady(endpoint: Endpoint) async {}
}

/// How a heal asked for by a wait or a watch went.
public struct HealAttempt: Sendable, Hashable, Codable {
  public enum Status: String, Sendable, Hashable, Codable {
    /// A step ran and the engine answered after it (or it already did).
    case healed
    /// No step brought the engine up; `message` names the steps and their output.
    case failed
    /// The caller did not consent; `plan` is what would have run.
    case notPermitted = "not-permitted"
  }

  public var status: Status
  /// One line for people.
  public var message: String
  /// What the heal would run, in order.
  public var plan: [HealStep]
  /// The steps that ran.
  public var steps: [HealStepResult]

  public init(status: Status, message: String, plan: [HealStep] = [], steps: [HealStepResult] = []) {
    self.status = status
    self.message = message
    self.plan = plan
    self.steps = steps
  }
}

/// The ``Healer`` behind the seam, as `heal` runs it: the configured plan, the host's lock, the action log;
/// consent asked through `consent` when neither the caller nor the configuration gave it.
public struct HealerHealing: EngineHealing {
  public var makeHealer: @Sendable (Endpoint) -> Healer
  public var consent: @Sendable ([HealStep], HealthReport) async -> Bool
  public var events: @Sendable (HealEvent) async -> Void

  public init(
    makeHealer: @escaping @Sendable (Endpoint) -> Healer,
    consent: @escaping @Sendable ([HealStep], HealthReport) async -> Bool = { _, _ in false },
    events: @escaping @Sendable (HealEvent) async -> Void = { _ in }
  ) {
    self.makeHealer = makeHealer
    self.consent = consent
    self.events = events
  }

  public func engineSeenReady(endpoint: Endpoint) async {
    makeHealer(endpoint).rememberEngine()
  }

  public func heal(endpoint: Endpoint, reason: String, allowed: Bool) async -> HealAttempt {
    do {
      let outcome = try await makeHealer(endpoint).heal(HealRequest(allow: allowed), consent: consent, events: events)
      return HealAttempt(
        status: outcome.healed ? .healed : .failed, message: outcome.message, plan: outcome.plan, steps: outcome.steps)
    } catch {
      if case .healNotPermitted(let plan, _) = error {
        return HealAttempt(status: .notPermitted, message: error.description, plan: plan)
      }
      return HealAttempt(status: .failed, message: error.description)
    }
  }
}
