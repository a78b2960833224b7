import EngineKit

/// One named check of a diagnosis. Checks run in order; each sees what earlier ones learned through the
/// ``DiagnosisState`` and may add to it (the engine's answers, the provider, …).
public protocol DiagnosticCheck: Sendable {
  /// Stable: reports and tests refer to it (`endpoint`, `connectivity`, …).
  var id: String { get }
  /// What the check reads of the engine beside `_ping`: the diagnosis asks it all at once, when it begins.
  var questions: EngineProbe.Questions { get }
  /// Whether the check looks only at this host (files, sockets' owners), never at what the engine said or at what an
  /// engine check found. Such checks run first, while the engine is still answering; the report keeps the declared
  /// order.
  var readsHostOnly: Bool { get }
  func run(_ state: inout DiagnosisState) async -> CheckResult
}

extension DiagnosticCheck {
  public var questions: EngineProbe.Questions { [] }
  public var readsHostOnly: Bool { false }
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
  /// The engine's answers, asked for when the diagnosis began.
  public let probe: EngineProbe
  /// Set by the connectivity check when the engine answered: `_ping`, and `/version` when it asked.
  public var isReachable = false
  public var ping: PingResult?
  public var version: EngineVersion?
  /// Set by the connectivity check when it did not.
  public var connectionError: EngineError?
  /// Set by the connectivity check when the socket accepts but its engine is hung.
  var hung: HungEngine?
  /// The API version calls use, once negotiated.
  public var apiVersion: APIVersion?
  /// `provider`, `dockerDesktopRunning` and `wsl2Status` go into the report as they are.
  public var provider: String?
  public var dockerDesktopRunning: Bool?
  public var wsl2Status: String?
  /// Set by the provider check: whose engine it is and what showed it.
  public var providerAttribution: ProviderAttribution?
  /// Set by the WSL check.
  public var wsl: WSLFacts?
  /// Providers some check already recommended starting, so that a later check does not say it again.
  public var startRecommended: Set<Provider> = []
  private var scannedProviders: InstalledProviderScan.Result?

  public init(endpoint: Endpoint, options: DiagnoseOptions, probe: EngineProbe) {
    self.endpoint = endpoint
    self.options = options
    self.probe = probe
  }

  /// Running inside WSL: what the WSL check found, else the kernel release alone.
  public var inWSL: Bool {
    wsl?.isWSL ?? (WSLDetector(host: options.host).kernelFacts().version != nil)
  }

  /// `GET /info` (asked once, by the probe), and only of an engine that answered; `nil` when it would not say.
  public func systemInfo() async -> SystemInfo? {
    guard isReachable else { return nil }
    return await probe.systemInfo
  }

  /// The providers installed here, scanned once.
  public mutating func installedProviders() -> InstalledProviderScan.Result {
    if let scannedProviders { return scannedProviders }
    let result = InstalledProviderScan(host: options.host, inWSL: inWSL).scan()
    scannedProviders = result
    return result
  }

  /// A runner for host commands (`ps`, `tasklist.exe`, `wsl.exe`).
  public var commandRunner: HostCommandRunner { HostCommandRunner(timeout: options.commandTimeout) }
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
  /// Engines whose API is older pass, but the `api-version` check warns: Docker 20.10's API (1.41) is what Compose v2
  /// and Dev Containers expect. Below ``minimumAPIVersion`` the connectivity check fails instead.
  public var recommendedAPIVersion: APIVersion
  /// Less free space than this under the engine's data root is a warning.
  public var minFreeDiskBytes: Int64
  /// The machine the checks look at (sockets, processes, WSL); a fixture tree in tests.
  public var host: HostEnvironment
  /// Bounds each host command (`ps`, `tasklist.exe`, `wsl.exe`): Windows programs reached through WSL interop take
  /// a second or more when Windows is busy.
  public var commandTimeout: Duration
  /// An engine process that has run this long, and whose socket accepts but does not answer, is hung; a younger
  /// one is still starting (dockerd opens its socket before it serves, and loading many containers takes time).
  public var hungAfter: Duration = .seconds(60)
  /// A Dev Container to preflight too (`check --devcontainer`): its checks follow the engine's.
  public var devContainer: DevContainerPreflight?

  public static let defaultRecommendedAPIVersion = APIVersion(1, 41)
  public static let defaultMinFreeDiskBytes: Int64 = 5 << 30

  public init(
    timeout: Duration = .seconds(2), deep: Bool = false, probeImage: String? = nil,
    probeTimeout: Duration = .seconds(30), minimumAPIVersion: APIVersion = .oldestSupported,
    ssh: SSHOptions = SSHOptions(), recommendedAPIVersion: APIVersion = defaultRecommendedAPIVersion,
    minFreeDiskBytes: Int64 = defaultMinFreeDiskBytes, host: HostEnvironment = .current,
    commandTimeout: Duration = .seconds(5)
  ) {
    self.timeout = timeout
    self.deep = deep
    self.probeImage = probeImage
    self.probeTimeout = probeTimeout
    self.minimumAPIVersion = minimumAPIVersion
    self.ssh = ssh
    self.recommendedAPIVersion = recommendedAPIVersion
    self.minFreeDiskBytes = minFreeDiskBytes
    self.host = host
    self.commandTimeout = commandTimeout
  }

  /// Takes what the caller left open from the configuration: the probe image and the minimum API version.
  public mutating func applyDefaults(from configuration: PreflightConfiguration) {
    if probeImage == nil { probeImage = configuration.probeImage }
    if let minimum = configuration.minApiVersion.flatMap(APIVersion.init) { minimumAPIVersion = minimum }
    if let hungAfter = configuration.hungAfter { self.hungAfter = hungAfter }
  }

  /// A client for `endpoint` with these bounds.
  public func client(for endpoint: Endpoint) -> EngineClient {
    EngineClient(endpoint: endpoint, timeout: timeout, ssh: ssh, minimumAPIVersion: minimumAPIVersion)
  }
}
