import EngineKit

/// Where a wait for the engine stands, as a person would follow it: the socket appears, the daemon accepts
/// connections, answers "starting", then ready.
public enum ReadinessPhase: String, Sendable, Hashable, Codable, CaseIterable {
  /// No socket (or pipe) at the endpoint's path.
  case socketMissing = "socket-missing"
  /// The socket has just appeared.
  case socketPresent = "socket-present"
  /// The socket exists, but nothing accepts connections on it (yet).
  case refused
  /// The daemon answers, but not ready: a 5xx, or `_ping` without `/version`.
  case starting
  /// Any other failure: permission denied, not an engine, timed out, TLS, …
  case unreachable
  /// The socket accepts, but its engine's process is stopped or has run too long to be starting
  /// (``HealthReport/Status/hung``).
  case hung
  /// `_ping` answers OK and `/version` parses.
  case ready

  /// The phase an attempt's failure means.
  public init(_ error: EngineError) { self.init(error.kind) }

  public init(_ kind: EngineError.Kind) {
    switch kind {
    case .socketMissing, .pipeMissing: self = .socketMissing
    case .connectionRefused: self = .refused
    case .engineStarting: self = .starting
    default: self = .unreachable
    }
  }

  /// For status lines: `socket missing`, `connection refused`, …
  public var summary: String {
    switch self {
    case .socketMissing: "socket missing"
    case .socketPresent: "socket present"
    case .refused: "connection refused"
    case .starting: "engine starting"
    case .unreachable: "unreachable"
    case .hung: "engine hung"
    case .ready: "ready"
    }
  }

  /// Whether the engine is down in a way healing addresses (not merely slow to start).
  var isDown: Bool { self == .socketMissing || self == .refused || self == .unreachable || self == .hung }
}

/// Something that happened during a wait, with the time since it began.
public struct ReadinessEvent: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// The wait entered a new phase.
    case phase(ReadinessPhase)
    /// The engine was down and healing was asked for: a heal starts.
    case healing
    /// The heal finished.
    case healed(HealAttempt)
  }

  public var kind: Kind
  public var elapsed: Duration
  /// What the last attempt saw (the engine's error), when there is something to say.
  public var detail: String?

  public init(_ kind: Kind, elapsed: Duration, detail: String? = nil) {
    self.kind = kind
    self.elapsed = elapsed
    self.detail = detail
  }

  /// One line for a person: `connection refused (Cannot connect to …)`.
  public var summary: String {
    switch kind {
    case .phase(let phase): detail.map { "\(phase.summary): \($0)" } ?? phase.summary
    case .healing: "engine down, healing"
    case .healed(let outcome): "heal \(outcome.status.rawValue): \(outcome.message)"
    }
  }
}

/// How a wait ended, with the report that says what the engine looks like now.
public struct ReadinessOutcome: Sendable, Hashable, Encodable {
  public enum Ending: String, Sendable, Hashable {
    case ready
    /// The deadline passed first.
    case timedOut = "timed-out"
    /// A heal failed or was not permitted: waiting on would not bring the engine up.
    case healFailed = "heal-failed"
  }

  public var ending: Ending
  /// From the start of the wait to its end (the final report included).
  public var elapsed: Duration
  /// The Diagnoser's report: the one that confirmed readiness, or the last one.
  public var report: HealthReport
  /// How the heal went, when one ran.
  public var heal: HealAttempt?

  public init(ending: Ending, elapsed: Duration, report: HealthReport, heal: HealAttempt? = nil) {
    self.ending = ending
    self.elapsed = elapsed
    self.report = report
    self.heal = heal
  }

  public var ready: Bool { ending == .ready }
  public var elapsedMs: Int { elapsed.milliseconds }

  enum CodingKeys: String, CodingKey { case ready, elapsedMs, report, heal }

  /// `{ready, elapsedMs, report, heal?}`: the `waitReady` result and `wait --json`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(ready, forKey: .ready)
    try container.encode(elapsedMs, forKey: .elapsedMs)
    try container.encode(report, forKey: .report)
    try container.encodeIfPresent(heal, forKey: .heal)
  }
}

/// Decides which observations are phase changes worth reporting: each phase once when entered, and "socket
/// present" only when the socket appears after having been missing.
struct ReadinessPhaseTracker {
  private(set) var current: ReadinessPhase?

  /// `true` when `phase` differs from the current one (and becomes it).
  mutating func enter(_ phase: ReadinessPhase) -> Bool {
    guard phase != current else { return false }
    current = phase
    return true
  }

  /// The socket exists: `true` when that is news (it was missing).
  mutating func socketSeen() -> Bool {
    guard current == .socketMissing else { return false }
    return enter(.socketPresent)
  }
}
