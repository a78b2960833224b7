/// What a diagnosis found: the engine's state, each check, and what to do about each problem.
public struct HealthReport: Sendable, Hashable, Codable {
  public enum Status: String, Sendable, Hashable, Codable {
    /// Answers `_ping` and `/version`.
    case ready
    /// Answers, but not ready yet (5xx from a daemon that is coming up).
    case starting
    /// Cannot be reached.
    case unreachable
    /// Its socket accepts connections, but the engine does not answer: its process is stopped, or has run too long
    /// to be still starting.
    case hung
    /// Ready, but a check warns or fails (API too old, disk nearly full, …).
    case degraded
  }

  public struct EndpointInfo: Sendable, Hashable, Codable {
    public var host: String
    /// `flag`, `env DOCKER_HOST`, `context NAME`, `default`.
    public var source: String
    /// `unix`, `tcp`, `tcp+tls`, `ssh`, `npipe`.
    public var transport: String
  }

  public struct EngineInfo: Sendable, Hashable, Codable {
    public var product: String
    public var version: String
    public var apiVersion: String
    public var minApiVersion: String?
    public var os: String?
    public var arch: String?
  }

  public struct Check: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable { case pass, warn, fail, skip }
    public var id: String
    public var status: Outcome
    public var summary: String
    public var durationMs: Int
  }

  public struct Issue: Sendable, Hashable, Codable {
    /// Stable: scripts may branch on it (`socket-missing`, `permission-denied`, …).
    public var code: String
    public var message: String
    public var recommendation: String
  }

  /// ISO 8601, UTC, milliseconds.
  public var timestamp: String
  public var healthy: Bool
  public var status: Status
  public var endpoint: EndpointInfo
  public var engine: EngineInfo?
  public var provider: String?
  public var dockerDesktopRunning: Bool?
  public var daemonAccessible: Bool
  public var wsl2Status: String?
  public var checks: [Check]
  public var issues: [Issue]
  public var recommendations: [String]
  public var durationMs: Int
}
