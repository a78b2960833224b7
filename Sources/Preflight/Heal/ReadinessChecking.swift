import EngineKit

/// How a heal confirms that a step worked: wait until the engine answers, or give up at the timeout.
///
/// A seam, so that the event-driven ``ReadinessWaiter`` can replace the simple default.
public protocol ReadinessChecking: Sendable {
  /// The report once the engine at `endpoint` answers `_ping` and `/version`; `nil` when it does not within
  /// `timeout`, or when the calling task is cancelled.
  func waitUntilReady(_ endpoint: Endpoint, timeout: Duration) async -> HealthReport?
}

/// The simple default: diagnose, and diagnose again after a short pause that grows from a few milliseconds to
/// 100 ms, so that a daemon is noticed soon after it answers without hammering one that is still starting.
public struct DiagnoserReadiness: ReadinessChecking {
  public var options: DiagnoseOptions

  public init(options: DiagnoseOptions = DiagnoseOptions()) {
    self.options = options
  }

  public func waitUntilReady(_ endpoint: Endpoint, timeout: Duration) async -> HealthReport? {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var pause = Duration.milliseconds(5)
    while !Task.isCancelled {
      var attempt = options
      attempt.timeout = min(options.timeout, max(deadline - clock.now, .milliseconds(50)))
      let report = await Diagnoser(endpoint: endpoint, options: attempt).diagnose()
      if report.daemonAccessible { return report }
      guard clock.now + pause < deadline else { return nil }
      do { try await Task.sleep(for: pause) } catch { return nil }
      pause = min(pause * 2, .milliseconds(100))
    }
    return nil
  }
}
