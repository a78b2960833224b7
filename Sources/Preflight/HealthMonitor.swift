import EngineKit

/// Follows an engine's health and says whenever its status changes: ready → unreachable → ready …
///
/// While the engine answers, the monitor holds `/events` open (a daemon that stops or dies closes that stream at
/// once) and pings every `interval` (a daemon that hangs keeps the stream open). While it does not, a
/// ``ReadinessWaiter`` without deadline watches for its return: the socket's directory through inotify, and
/// connection attempts backing off up to `interval`. With ``Recovery``, a loss is healed: attempts are bounded and
/// back off, and each is reported. Runs until its task is cancelled.
public struct HealthMonitor: Sendable {
  public var diagnoser: Diagnoser
  /// The longest a change can go unnoticed: between pings while up, between connection attempts while down.
  public var interval: Duration
  public var recovery: Recovery?

  /// Healing after a loss.
  public struct Recovery: Sendable {
    public var healer: any EngineHealing
    /// The caller's consent (`allow: true`).
    public var allowed: Bool
    /// Heals per loss; the count starts over once the engine is back.
    public var maxAttempts: Int
    /// The wait after each attempt before the next, if the engine is still down.
    public var backoff: Backoff

    public init(
      healer: any EngineHealing, allowed: Bool, maxAttempts: Int = 3,
      backoff: Backoff = Backoff(initial: .seconds(5), maximum: .seconds(60))
    ) {
      self.healer = healer
      self.allowed = allowed
      self.maxAttempts = maxAttempts
      self.backoff = backoff
    }
  }

  /// What the monitor has to say.
  public enum Event: Sendable, Hashable {
    /// The status changed (or, first, what it is).
    case changed(HealthTransition)
    /// A heal starts: attempt `attempt` of at most `of`.
    case recovering(attempt: Int, of: Int)
    /// That heal finished.
    case recoveryFinished(attempt: Int, outcome: HealAttempt)
  }

  public init(diagnoser: Diagnoser, interval: Duration, recovery: Recovery? = nil) {
    self.diagnoser = diagnoser
    self.interval = interval
    self.recovery = recovery
  }

  /// Monitors until cancelled (then throws `CancellationError`). Starts from `initial` when the caller has just
  /// diagnosed; otherwise diagnoses first and reports that as the first change (from no status).
  public func run(from initial: HealthReport? = nil, onEvent: (Event) async -> Void) async throws {
    var current: HealthReport
    if let initial {
      current = initial
    } else {
      current = await diagnoser.diagnose()
      await onEvent(.changed(HealthTransition(previous: nil, report: current)))
    }
    while true {
      try Task.checkCancellation()
      let next: HealthReport
      if current.daemonAccessible {
        await recovery?.healer.engineSeenReady(endpoint: diagnoser.endpoint)
        try await untilLoss()
        next = await diagnoser.diagnose()
      } else {
        next = try await untilReturn(from: current, onEvent: onEvent)
      }
      try Task.checkCancellation()
      if next.status != current.status {
        await onEvent(.changed(HealthTransition(previous: current.status, report: next)))
      }
      current = next
    }
  }

  /// Returns when the engine may have gone: its event stream ended and a ping failed, or a periodic ping failed.
  private func untilLoss() async throws {
    let client = EngineClient(
      endpoint: diagnoser.endpoint, timeout: min(diagnoser.options.timeout, interval), ssh: diagnoser.options.ssh)
    let interval = interval
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        while true {
          // Only the daemon's own events: what matters here is that the stream ends when the daemon does.
          do {
            for try await _ in client.events(filters: ["type": ["daemon"]]) {}
          } catch {}
          try Task.checkCancellation()
          guard await client.answersPing() else { return }
          // The stream ended but the engine answers: reconnect after a pause, not in a tight loop.
          try await Task.sleep(for: interval)
        }
      }
      group.addTask {
        while true {
          try await Task.sleep(for: interval)
          guard await client.answersPing() else { return }
        }
      }
      _ = try await group.next()
      group.cancelAll()
    }
  }

  /// Returns the report of the engine back up, healing meanwhile when asked to.
  private func untilReturn(from current: HealthReport, onEvent: (Event) async -> Void) async throws -> HealthReport {
    let clock = ContinuousClock()
    var attempts = 0
    var nextHeal = clock.now
    var healing = recovery != nil
    while true {
      if let recovery, healing, attempts < recovery.maxAttempts, clock.now >= nextHeal {
        attempts += 1
        await onEvent(.recovering(attempt: attempts, of: recovery.maxAttempts))
        let reason = current.issues.first?.message ?? "the engine is \(current.status.rawValue)"
        let outcome = await recovery.healer.heal(
          endpoint: diagnoser.endpoint, reason: reason, allowed: recovery.allowed)
        await onEvent(.recoveryFinished(attempt: attempts, outcome: outcome))
        nextHeal = clock.now + recovery.backoff.delay(afterAttempt: attempts - 1)
        // Asking again would get the same answer; a failed start may succeed the next time.
        if outcome.status == .notPermitted { healing = false }
      }
      let healsLeft = healing && attempts < (recovery?.maxAttempts ?? 0)
      let waiter = ReadinessWaiter(
        diagnoser: diagnoser, timeout: healsLeft ? max(nextHeal - clock.now, .milliseconds(1)) : nil,
        backoff: Backoff(initial: Backoff.readiness.initial, maximum: interval))
      let outcome = try await waiter.wait()
      if outcome.ready { return outcome.report }
    }
  }
}

/// A change of status, with the report that shows it.
public struct HealthTransition: Sendable, Hashable {
  /// `nil` for the first report of a watch.
  public var previous: HealthReport.Status?
  public var report: HealthReport

  public init(previous: HealthReport.Status?, report: HealthReport) {
    self.previous = previous
    self.report = report
  }

  public var status: HealthReport.Status { report.status }
  public var healthy: Bool { report.healthy }
}

extension EngineClient {
  /// Whether `_ping` answers OK now.
  func answersPing() async -> Bool {
    (try? await withSession { try await $0.ping() }) != nil
  }
}
