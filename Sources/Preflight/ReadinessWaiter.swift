import EngineKit

/// Waits until the engine at an endpoint is ready, says how it gets there, and confirms with the Diagnoser's report:
/// every check (ready: `_ping` answers OK and `/version` parses), or only what the docker CLI itself asks before each
/// command (ready: `_ping` answers OK, as an engine does); see ``Confirmation``.
///
/// No fixed polling. For a unix socket on Linux the socket's directory (or its nearest existing ancestor) is
/// watched with inotify, so the first connection attempt starts the moment the socket appears; between attempts
/// the wait backs off (``Backoff/readiness``: 5 ms doubling to 100 ms), starting over on every phase change and
/// whenever the socket changes. Elsewhere, and for other transports, the same back-off loop runs without the
/// watch. A 5xx, a socket that accepts but does not answer yet (dockerd before it serves), and, for a full report, a
/// daemon that answers `_ping` but not yet `/version`, are "starting". The wait stops at the
/// deadline, and ends with `CancellationError` as soon as its task is cancelled.
public struct ReadinessWaiter: Sendable {
  /// Diagnoses the endpoint once it answers (and once more when the wait gives up); its timeout bounds each
  /// connection attempt.
  public var diagnoser: Diagnoser
  /// `nil`: wait until ready or cancelled.
  public var timeout: Duration?
  public var backoff: Backoff
  /// Heal once, the first time the engine is seen down.
  public var healing: Healing?
  public var confirmation: Confirmation

  /// The report a wait that ends ready carries.
  public enum Confirmation: Sendable {
    /// Every check of ``diagnoser``.
    case fullReport
    /// ``Diagnoser/readinessChecks`` alone: the engine answers `_ping` as an engine does (200, with its API version),
    /// the docker CLI's own test before every command. For callers that only need to know that the engine is ready
    /// (a plain `wait`, `exec`, the docker shim): dockerd 20.10 takes ~8 ms more to answer `/version` (it runs
    /// `runc --version` and `docker-init --version`), and as much again for `/info`. A wait that gives up still
    /// ends with the full report.
    case ping
  }

  /// A heal to run when the engine is down, with the caller's consent.
  public struct Healing: Sendable {
    public var healer: any EngineHealing
    public var allowed: Bool
    public init(healer: any EngineHealing, allowed: Bool) {
      self.healer = healer
      self.allowed = allowed
    }
  }

  /// How long the report that closes a wait that gave up may take: the caller's deadline has already passed.
  public static let finalDiagnosisTimeout = Duration.milliseconds(300)

  public init(
    diagnoser: Diagnoser, timeout: Duration?, backoff: Backoff = .readiness, healing: Healing? = nil,
    confirmation: Confirmation = .fullReport
  ) {
    self.diagnoser = diagnoser
    self.timeout = timeout
    self.backoff = backoff
    self.healing = healing
    self.confirmation = confirmation
  }

  public var endpoint: Endpoint { diagnoser.endpoint }

  /// Waits; `onEvent` hears of every phase change and heal as it happens.
  public func wait(onEvent: (ReadinessEvent) async -> Void = { _ in }) async throws -> ReadinessOutcome {
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = timeout.map { start + $0 }
    let socketPath: String? = if case .unix(let path) = endpoint.transport { path } else { nil }
    // Made when first needed, and looked through again before it is waited on, so that nothing is missed between.
    // Dropped when the socket appears: closing an inotify descriptor waits for a kernel grace period (often 10+
    // ms), which then passes while the engine is asked, not between its answer and our exit.
    var watcher: PathWatcher?
    var watcherUnavailable = socketPath == nil
    func watching() -> PathWatcher? {
      if watcher == nil, !watcherUnavailable, let socketPath {
        watcher = PathWatcher(path: socketPath)
        watcherUnavailable = watcher == nil
      }
      return watcher
    }
    var tracker = ReadinessPhaseTracker()
    var attempt = 0
    var heal: HealAttempt?

    /// Reports `phase` if it is new and, when the engine is down and healing was asked for, heals once. Returns
    /// the outcome when the heal failed for good.
    func observe(_ phase: ReadinessPhase, detail: String?) async -> ReadinessOutcome? {
      if tracker.enter(phase) {
        attempt = 0
        await onEvent(ReadinessEvent(.phase(phase), elapsed: clock.now - start, detail: detail))
      }
      guard let healing, heal == nil, phase.isDown else { return nil }
      await onEvent(ReadinessEvent(.healing, elapsed: clock.now - start, detail: detail))
      let outcome = await healing.healer.heal(
        endpoint: endpoint, reason: detail ?? phase.summary, allowed: healing.allowed)
      heal = outcome
      attempt = 0
      await onEvent(ReadinessEvent(.healed(outcome), elapsed: clock.now - start))
      // The healer tried everything it had, or was not allowed to: waiting on would not bring the engine up.
      guard outcome.status != .healed else { return nil }
      return ReadinessOutcome(ending: .healFailed, elapsed: clock.now - start, report: await finalReport(), heal: heal)
    }

    while true {
      try Task.checkCancellation()
      // At least one look, even with no time left: `wait --timeout 0` checks once.
      if let deadline, clock.now >= deadline, tracker.current != nil { break }

      if let socketPath, !pathExists(socketPath) {
        if let failed = await observe(.socketMissing, detail: nil) { return failed }
        if watcher == nil, watching() != nil { continue }  // look again, now that a change cannot be missed
        if let watcher {
          _ = try await watcher.waitForChange(until: deadline)
        } else {
          _ = try await pause(until: nextAttempt(&attempt, deadline: deadline), watcher: nil)
        }
        continue
      }
      if tracker.socketSeen() {
        watcher = nil
        await onEvent(ReadinessEvent(.phase(.socketPresent), elapsed: clock.now - start))
      }

      let attemptTimeout = deadline.map { min(diagnoser.options.timeout, max($0 - clock.now, .milliseconds(1))) }
      let probed = await probe(timeout: attemptTimeout ?? diagnoser.options.timeout)
      // A probe cut short by cancellation says nothing about the engine.
      try Task.checkCancellation()
      switch probed {
      case .answersPing(let probe):
        let report = await confirming.diagnose(probe: probe)
        try Task.checkCancellation()
        if report.daemonAccessible {
          _ = tracker.enter(.ready)
          await onEvent(ReadinessEvent(.phase(.ready), elapsed: clock.now - start))
          return ReadinessOutcome(ending: .ready, elapsed: clock.now - start, report: report, heal: heal)
        }
        // `_ping` answered a moment ago: a daemon whose `/version` fails is half-started, unless it went again.
        let phase: ReadinessPhase =
          switch report.issues.first.flatMap({ EngineError.Kind(rawValue: $0.code) }) {
          case .socketMissing?: .socketMissing
          case .connectionRefused?: .refused
          default: .starting
          }
        if let failed = await observe(phase, detail: report.issues.first?.message) { return failed }
      case .failed(let phase, let error):
        if let failed = await observe(phase, detail: error.message) { return failed }
      }
      if try await pause(until: nextAttempt(&attempt, deadline: deadline), watcher: watching()) { attempt = 0 }
    }
    return ReadinessOutcome(ending: .timedOut, elapsed: clock.now - start, report: await finalReport(), heal: heal)
  }

  private func nextAttempt(_ attempt: inout Int, deadline: ContinuousClock.Instant?) -> ContinuousClock.Instant {
    defer { attempt += 1 }
    let next = ContinuousClock.now + backoff.delay(afterAttempt: attempt)
    return deadline.map { min($0, next) } ?? next
  }

  /// Sleeps until `instant`, or less when the socket changes (`true` then): a socket re-created by a restarting
  /// daemon is tried at once.
  private func pause(until instant: ContinuousClock.Instant, watcher: PathWatcher?) async throws -> Bool {
    if let watcher { return try await watcher.waitForChange(until: instant) }
    try await Task.sleep(until: instant, clock: .continuous)
    return false
  }

  /// The diagnoser that confirms readiness.
  private var confirming: Diagnoser {
    guard confirmation == .ping else { return diagnoser }
    return Diagnoser(endpoint: endpoint, options: diagnoser.options, checks: Diagnoser.readinessChecks)
  }

  private enum Probe {
    case answersPing(EngineProbe)
    case failed(ReadinessPhase, EngineError)
  }

  /// Asks what the confirming diagnosis will want (`_ping`; for a full report `/version` and `/info` too) at once,
  /// and waits for `_ping`'s answer. On a socket whose daemon is still starting the questions queue up, and are all
  /// answered the moment it serves: the diagnosis that follows waits for dockerd's work, not for its turn to ask.
  private func probe(timeout: Duration) async -> Probe {
    let client = EngineClient(endpoint: endpoint, timeout: timeout, ssh: diagnoser.options.ssh)
    let probe = EngineProbe.start(client, asking: confirming.questions)
    do {
      _ = try await probe.pinged()
      return .answersPing(probe)
    } catch {
      probe.cancel()
      // A unix socket connects at once; no answer in time means a daemon that accepted but does not serve yet.
      if let hung = HungEngine.assess(error, endpoint: endpoint, options: diagnoser.options) {
        return .failed(.hung, EngineError(
          kind: .timeout, endpoint: endpoint.host, message: hung.issue(endpoint, timeout: timeout).message,
          recommendation: ""))
      }
      let unansweredSocket: Bool = if case .unix = endpoint.transport { error.kind == .timeout } else { false }
      return .failed(unansweredSocket ? .starting : ReadinessPhase(error), error)
    }
  }

  private func finalReport() async -> HealthReport {
    var diagnoser = diagnoser
    diagnoser.options.timeout = min(diagnoser.options.timeout, Self.finalDiagnosisTimeout)
    return await diagnoser.diagnose()
  }
}

/// How a heal confirms that a step worked: the event-driven wait, so that a step's engine is noticed the moment its
/// socket appears.
public struct WaitingReadiness: ReadinessChecking {
  public var options: DiagnoseOptions

  public init(options: DiagnoseOptions = DiagnoseOptions()) {
    self.options = options
  }

  public func waitUntilReady(_ endpoint: Endpoint, timeout: Duration) async -> HealthReport? {
    let waiter = ReadinessWaiter(diagnoser: Diagnoser(endpoint: endpoint, options: options), timeout: timeout)
    guard let outcome = try? await waiter.wait(), outcome.ready else { return nil }
    return outcome.report
  }
}
