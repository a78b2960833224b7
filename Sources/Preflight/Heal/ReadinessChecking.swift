import EngineKit

/// How a heal confirms that a step worked: wait until the engine answers, or give up at the timeout.
///
/// A seam: ``WaitingReadiness`` (the event-driven ``ReadinessWaiter``) by default.
public protocol ReadinessChecking: Sendable {
  /// The report once the engine at `endpoint` answers `_ping` and `/version`; `nil` when it does not within
  /// `timeout`, or when the calling task is cancelled.
  func waitUntilReady(_ endpoint: Endpoint, timeout: Duration) async -> HealthReport?
}
