/// How long to wait between attempts: doubling from `initial` up to `maximum`, starting over when something
/// changes (the caller resets its attempt count).
public struct Backoff: Sendable, Hashable {
  public var initial: Duration
  public var maximum: Duration

  public init(initial: Duration, maximum: Duration) {
    self.initial = initial
    self.maximum = max(initial, maximum)
  }

  /// Connection attempts while an engine comes up: 5 ms, 10, 20, 40, 80, then every 100 ms. The first attempts are
  /// close together because a daemon usually answers within milliseconds of creating its socket.
  public static let readiness = Backoff(initial: .milliseconds(5), maximum: .milliseconds(100))

  /// The wait after attempt number `attempt` (0 for the first).
  public func delay(afterAttempt attempt: Int) -> Duration {
    var delay = initial
    for _ in 0..<max(0, attempt) {
      guard delay < maximum else { break }
      delay *= 2
    }
    return min(delay, maximum)
  }
}
