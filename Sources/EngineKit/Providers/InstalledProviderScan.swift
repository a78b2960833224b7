/// What shows that a provider is installed (or was used) here.
public enum InstallEvidence: Sendable, Hashable, CustomStringConvertible {
  /// One of its sockets exists, in this state.
  case socket(path: String, state: SocketState, instance: String?)
  /// One of its programs is on PATH.
  case program(path: String)
  /// Its application is installed there.
  case installLocation(path: String)
  /// Its data directory exists (it has been set up).
  case dataDirectory(path: String)

  public var description: String {
    switch self {
    case .socket(let path, let state, _):
      switch state {
      case .listening: "socket \(path) is listening"
      case .stale: "socket \(path) is stale (nothing listens)"
      case .permissionDenied: "socket \(path) exists (no permission to connect)"
      default: "socket \(path) exists (\(state.rawValue))"
      }
    case .program(let path): "\(path) is installed"
    case .installLocation(let path): "\(path) is installed"
    case .dataDirectory(let path): "\(path) exists"
    }
  }
}

/// A provider found on this machine, and everything that showed it.
public struct InstalledProvider: Sendable, Hashable {
  public var provider: Provider
  public var evidence: [InstallEvidence]

  /// One of its sockets listens: its engine (or a socket-activation unit) is up.
  public var isListening: Bool {
    evidence.contains {
      if case .socket(_, .listening, _) = $0 { return true }
      return false
    }
  }

  /// Its sockets that exist, with their state.
  public var sockets: [(path: String, state: SocketState, instance: String?)] {
    evidence.compactMap {
      if case .socket(let path, let state, let instance) = $0 { return (path, state, instance) }
      return nil
    }
  }

  /// The Colima profile or Lima instance to start: the one whose socket exists, else `nil` (the default).
  public var instance: String? { sockets.lazy.compactMap(\.instance).first }
}

/// Finds the providers installed here, whether or not they run: their sockets in the socket table (present, live
/// or stale), their programs on PATH, their install locations and data directories. For when no endpoint answers
/// and a person needs to know what could be started.
public struct InstalledProviderScan: Sendable {
  public var host: HostEnvironment
  /// Inside WSL, `dockerd` on PATH is docker-ce in the distribution.
  public var inWSL: Bool

  public init(host: HostEnvironment, inWSL: Bool = false) {
    self.host = host
    self.inWSL = inWSL
  }

  /// What the scan found.
  public struct Result: Sendable, Hashable {
    /// In ``Provider`` order.
    public var providers: [InstalledProvider]
    /// The docker CLI, when it is on PATH.
    public var dockerCLI: String?

    public func provider(_ provider: Provider) -> InstalledProvider? { providers.first { $0.provider == provider } }
  }

  /// `probingSockets: false` leaves sockets out: no connection is made to any engine.
  public func scan(probingSockets: Bool = true) -> Result {
    scan(probingSockets: probingSockets, only: nil)
  }

  /// Whether `provider` alone is installed, from its programs, install locations and data directories: a look at
  /// what it has, not at every provider's (a healthy `check` asks it of Docker Desktop, after the engine answered,
  /// and every program of every provider was ~100 `stat` calls along PATH).
  public func installation(of provider: Provider) -> InstalledProvider? {
    scan(probingSockets: false, only: provider).provider(provider)
  }

  private func scan(probingSockets: Bool, only: Provider?) -> Result {
    // Pairs in the order found, grouped at the end: a dictionary keyed by Provider would cost a one-shot check a
    // lookup of its Hashable conformance (a scan of every conformance record in the binary).
    var evidence: [(provider: Provider, evidence: InstallEvidence)] = []
    let wanted = { (provider: Provider) in Self.includes(provider, only: only) }
    let table = ProviderSocketTable(host: host)
    for socket in probingSockets ? table.entries() : [] {
      guard let path = socket.path else { continue }
      let state = SocketProbe.state(of: path)
      guard state != .missing else { continue }
      // A link (macOS's /var/run/docker.sock) belongs to whoever it points at.
      let owner = table.attribution(of: socket.endpoint)?.provider ?? socket.provider
      evidence.append((owner, .socket(path: path, state: state, instance: socket.instance)))
    }
    let searchPath = host.searchPath
    for (program, provider) in programs where wanted(provider) {
      if let path = ExecutableSearch.find(program, in: searchPath) {
        evidence.append((provider, .program(path: path)))
      }
    }
    let dockerCLI = wanted(.dockerDesktop) ? ExecutableSearch.find("docker", in: searchPath) : nil
    if let dockerCLI, let resolved = HostFiles.resolved(dockerCLI), isDesktopCLI(resolved) {
      evidence.append((.dockerDesktop, .program(path: resolved)))
    }
    for (path, provider) in installLocations where wanted(provider) && HostFiles.exists(path) {
      evidence.append((provider, .installLocation(path: path)))
    }
    for (path, provider) in dataDirectories(only: only) where HostFiles.isDirectory(path) {
      evidence.append((provider, .dataDirectory(path: path)))
    }
    let providers = Provider.allCases.compactMap { provider in
      let found = evidence.filter { $0.provider == provider }.map(\.evidence)
      return found.isEmpty ? nil : InstalledProvider(provider: provider, evidence: found)
    }
    return Result(providers: providers, dockerCLI: dockerCLI)
  }

  /// Programs that come with a provider. `docker` alone is only a client and shows no engine.
  var programs: [(String, Provider)] {
    [
      ("dockerd", inWSL ? .wslDockerCE : .dockerEngine),
      ("dockerd-rootless.sh", .rootlessDocker),
      ("podman", .podman),
      ("colima", .colima),
      ("orb", .orbstack),
      ("rdctl", .rancherDesktop),
      ("limactl", .lima),
      ("com.docker.cli", .dockerDesktop),
    ]
  }

  var installLocations: [(String, Provider)] {
    switch host.os {
    case .macOS:
      return [
        (host.system("/Applications/Docker.app"), .dockerDesktop),
        host.home("Applications/Docker.app").map { ($0, .dockerDesktop) },
        (host.system("/Applications/OrbStack.app"), .orbstack),
        (host.system("/Applications/Rancher Desktop.app"), .rancherDesktop),
      ].compactMap { $0 }
    case .linux:
      // The Windows side, seen from WSL through the mounted system drive.
      return [
        (host.system("/opt/docker-desktop"), .dockerDesktop),
        (WSLDetector(host: host).windowsDesktopExecutable, .dockerDesktop),
        (host.system("/opt/rancher-desktop"), .rancherDesktop),
      ]
    case .windows:
      return [(#"C:\Program Files\Docker\Docker\Docker Desktop.exe"#, .dockerDesktop)]
    }
  }

  /// The data directories of every provider, or of `only`.
  func dataDirectories(only: Provider? = nil) -> [(String, Provider)] {
    let table = ProviderSocketTable(host: host)
    var directories: [(String?, Provider)] = [
      (table.colimaHome, .colima),
      (host.home(".orbstack"), .orbstack),
      (host.home(".rd"), .rancherDesktop),
    ]
    if host.os == .linux { directories.append((host.home(".docker/desktop"), .dockerDesktop)) }
    // ~/.lima holds Lima's own settings even without instances; only an instance shows Lima is set up.
    if Self.includes(.lima, only: only) && !table.limaInstances.isEmpty {
      directories.append((table.limaHome, .lima))
    }
    return directories.compactMap { path, provider in
      Self.includes(provider, only: only) ? path.map { ($0, provider) } : nil
    }
  }

  private static func includes(_ provider: Provider, only: Provider?) -> Bool { only == nil || only == provider }

  /// The docker CLI Desktop ships: in Docker.app, /opt/docker-desktop, or WSL's integration mount.
  func isDesktopCLI(_ path: String) -> Bool {
    path.containsBytes("/Docker.app/") || path.hasPrefix(host.system("/opt/docker-desktop/"))
      || path.hasPrefix(host.wslMountRoot + "/docker-desktop")
  }
}
