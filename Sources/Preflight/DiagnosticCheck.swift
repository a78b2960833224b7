import EngineKit

/// One named check of a diagnosis. Checks run in order; each sees what earlier ones learned through the
/// ``DiagnosisState`` and may add to it (the engine's answers, the provider, …).
public protocol DiagnosticCheck: Sendable {
  /// Stable: reports and tests refer to it (`endpoint`, `connectivity`, …).
  var id: String { get }
  func run(_ state: inout DiagnosisState) async -> CheckResult
}

/// What a check concluded.
public struct CheckResult: Sendable {
  public var status: HealthReport.Check.Outcome
  public var summary: String
  public var issues: [HealthReport.Issue]

  public init(_ status: HealthReport.Check.Outcome, _ summary: String, issues: [HealthReport.Issue] = []) {
    self.status = status
    self.summary = summary
    self.issues = issues
  }

  public static func skip(_ reason: String) -> CheckResult { CheckResult(.skip, reason) }
}

/// What a diagnosis knows so far: the inputs, and what the checks found.
public struct DiagnosisState: Sendable {
  public let endpoint: Endpoint
  public let options: DiagnoseOptions
  /// Set by the connectivity check when the engine answered.
  public var ping: PingResult?
  public var version: EngineVersion?
  /// Set by the connectivity check when it did not.
  public var connectionError: EngineError?
  /// The API version calls use, once negotiated.
  public var apiVersion: APIVersion?
  public var provider: String?
  public var dockerDesktopRunning: Bool?
  public var wsl2Status: String?

  public init(endpoint: Endpoint, options: DiagnoseOptions) {
    self.endpoint = endpoint
    self.options = options
  }

  /// Whether the engine answered `_ping` and `/version`.
  public var isReachable: Bool { version != nil }
}

/// What the caller asks of a diagnosis.
public struct DiagnoseOptions: Sendable {
  /// Bounds connecting and each call to the engine (`_ping`, `/version`, …).
  public var timeout: Duration
  /// Also run a container (the smoke check).
  public var deep: Bool
  /// The image the smoke check runs a container from; it must be present already (it is never pulled).
  public var probeImage: String?
  /// Bounds the whole smoke check: create, start, wait; removal gets a bound of its own.
  public var probeTimeout: Duration
  /// Engines whose API is older fail the connectivity check with `api-too-old`.
  public var minimumAPIVersion: APIVersion
  /// How `ssh://` endpoints run ssh.
  public var ssh: SSHOptions

  public init(
    timeout: Duration = .seconds(2), deep: Bool = false, probeImage: String? = nil,
    probeTimeout: Duration = .seconds(30), minimumAPIVersion: APIVersion = .oldestSupported,
    ssh: SSHOptions = SSHOptions()
  ) {
    self.timeout = timeout
    self.deep = deep
    self.probeImage = probeImage
    self.probeTimeout = probeTimeout
    self.minimumAPIVersion = minimumAPIVersion
    self.ssh = ssh
  }

  /// Takes what the caller left open from the configuration: the probe image and the minimum API version.
  public mutating func applyDefaults(from configuration: PreflightConfiguration) {
    if probeImage == nil { probeImage = configuration.probeImage }
    if let minimum = configuration.minApiVersion.flatMap(APIVersion.init) { minimumAPIVersion = minimum }
  }

  /// A client for `endpoint` with these bounds.
  public func client(for endpoint: Endpoint) -> EngineClient {
    EngineClient(endpoint: endpoint, timeout: timeout, ssh: ssh, minimumAPIVersion: minimumAPIVersion)
  }
}
