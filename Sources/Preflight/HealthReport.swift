import JSON

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

extension HealthReport {
  /// The report as JSON: its fields in the order above, absent ones left out, as `check --json` prints it and
  /// `diagnose` answers it.
  ///
  /// Written by hand rather than synthesized: a synthesized encoding looks up every coding-keys type's conformance
  /// (a scan of all the binary's conformance records each, ~0.3 ms of a one-shot `check` in all), between the
  /// engine's last answer and the report.
  public var json: JSONValue {
    var object: JSONObject = [
      "timestamp": .string(timestamp), "healthy": .bool(healthy), "status": .string(status.rawValue),
      "endpoint": [
        "host": .string(endpoint.host), "source": .string(endpoint.source), "transport": .string(endpoint.transport),
      ],
    ]
    if let engine {
      var info: JSONObject = [
        "product": .string(engine.product), "version": .string(engine.version),
        "apiVersion": .string(engine.apiVersion),
      ]
      info["minApiVersion"] = engine.minApiVersion.map(JSONValue.string)
      info["os"] = engine.os.map(JSONValue.string)
      info["arch"] = engine.arch.map(JSONValue.string)
      object["engine"] = .object(info)
    }
    object["provider"] = provider.map(JSONValue.string)
    object["dockerDesktopRunning"] = dockerDesktopRunning.map(JSONValue.bool)
    object["daemonAccessible"] = .bool(daemonAccessible)
    object["wsl2Status"] = wsl2Status.map(JSONValue.string)
    object["checks"] = .array(
      checks.map { check in
        [
          "id": .string(check.id), "status": .string(check.status.rawValue), "summary": .string(check.summary),
          "durationMs": .int(Int64(check.durationMs)),
        ]
      })
    object["issues"] = .array(
      issues.map { issue in
        [
          "code": .string(issue.code), "message": .string(issue.message),
          "recommendation": .string(issue.recommendation),
        ]
      })
    object["recommendations"] = .array(recommendations.map(JSONValue.string))
    object["durationMs"] = .int(Int64(durationMs))
    return .object(object)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(json)
  }
}
