/// A place where a provider's engine listens when it runs.
public struct ProviderSocket: Sendable, Hashable {
  public var provider: Provider
  /// The Colima profile or Lima instance the socket belongs to.
  public var instance: String?
  /// Source `discovered <provider>`.
  public var endpoint: Endpoint

  public init(provider: Provider, instance: String? = nil, endpoint: Endpoint) {
    self.provider = provider
    self.instance = instance
    self.endpoint = endpoint
  }

  /// The socket file, for unix endpoints.
  public var path: String? {
    if case .unix(let path) = endpoint.transport { return path }
    return nil
  }
}

/// Why an endpoint is thought to belong to a provider.
public struct ProviderAttribution: Sendable, Hashable {
  public var provider: Provider
  public var instance: String?
  /// What gave it away, for reports: `socket ~/.colima/default/docker.sock`, `context desktop-linux`.
  public var reason: String
}

/// The socket table: where each provider puts its engine's socket (DESIGN §5), for discovery and for telling whose
/// an endpoint is.
public struct ProviderSocketTable: Sendable {
  public var host: HostEnvironment

  public init(host: HostEnvironment) {
    self.host = host
  }

  /// Every socket (or, on Windows, pipe) a provider would listen on here, whether it exists or not. Colima profiles
  /// and Lima instances are listed from their directories, plus Colima's `default`.
  public func entries() -> [ProviderSocket] {
    var sockets: [ProviderSocket] = []
    func add(_ provider: Provider, _ path: String?, instance: String? = nil) {
      guard let path else { return }
      let endpoint = Endpoint(
        host: "unix://\(path)", transport: .unix(path: path), source: .discovered(provider.rawValue))
      sockets.append(ProviderSocket(provider: provider, instance: instance, endpoint: endpoint))
    }
    switch host.os {
    case .windows:
      return WindowsNamedPipes.known.map {
        ProviderSocket(
          provider: $0.provider,
          endpoint: WindowsNamedPipes.endpoint($0.path, source: .discovered($0.provider.rawValue)))
      }
    case .linux:
      add(.dockerEngine, host.system("/var/run/docker.sock"))
      add(.rootlessDocker, host.runtimeDirectory.map { "\($0)/docker.sock" })
      add(.dockerDesktop, host.home(".docker/desktop/docker.sock"))
      add(.podman, host.runtimeDirectory.map { "\($0)/podman/podman.sock" })
      add(.podman, host.system("/run/podman/podman.sock"))
    case .macOS:
      add(.dockerDesktop, host.home(".docker/run/docker.sock"))
      add(.orbstack, host.home(".orbstack/run/docker.sock"))
      add(.podman, host.home(".local/share/containers/podman/machine/podman.sock"))
      add(.podman, host.home(".local/share/containers/podman/machine/qemu/podman.sock"))
      // Desktop (or OrbStack) links it to their own socket; whose it is follows from the link.
      add(.dockerDesktop, host.system("/var/run/docker.sock"))
    }
    add(.rancherDesktop, host.home(".rd/docker.sock"))
    for profile in colimaProfiles {
      add(.colima, colimaHome.map { "\($0)/\(profile)/docker.sock" }, instance: profile)
    }
    for instance in limaInstances {
      add(.lima, limaHome.map { "\($0)/\(instance)/sock/docker.sock" }, instance: instance)
    }
    return sockets
  }

  /// `$COLIMA_HOME`, else `~/.colima`.
  var colimaHome: String? { nonEmpty(host.environment["COLIMA_HOME"]) ?? host.home(".colima") }
  /// `$LIMA_HOME`, else `~/.lima`.
  var limaHome: String? { nonEmpty(host.environment["LIMA_HOME"]) ?? host.home(".lima") }

  /// `default` and every profile directory.
  var colimaProfiles: [String] {
    let found = colimaHome.map(Self.instanceDirectories) ?? []
    return ["default"] + found.filter { $0 != "default" }
  }

  var limaInstances: [String] { limaHome.map(Self.instanceDirectories) ?? [] }

  /// Instances listed per tool: people run a few; a home with thousands of folders is not worth a socket each.
  static let maximumInstances = 64

  /// The directories under a Colima or Lima home; names starting with `_` are the tool's own (`_lima`, `_config`).
  static func instanceDirectories(in home: String) -> [String] {
    Array(
      HostFiles.entries(of: home).lazy.filter {
        !$0.hasPrefix("_") && !$0.hasPrefix(".") && HostFiles.isDirectory("\(home)/\($0)")
      }.prefix(maximumInstances))
  }

  /// Whose endpoint this is, from where it points alone: its socket path (following a symbolic link one step, as
  /// macOS's /var/run/docker.sock is one), its context's name, or its pipe's name. `nil` for tcp and ssh, and for
  /// sockets no provider is known to use.
  public func attribution(of endpoint: Endpoint) -> ProviderAttribution? {
    if case .context(let name) = endpoint.source, let attribution = attribution(ofContext: name) {
      return attribution
    }
    switch endpoint.transport {
    case .unix(let path):
      if let target = HostFiles.symlinkTarget(path),
        let attribution = attribution(ofSocket: absolute(target, from: path))
      {
        return attribution
      }
      return attribution(ofSocket: path)
    case .namedPipe(let path):
      return WindowsNamedPipes.provider(of: path).map {
        ProviderAttribution(provider: $0, instance: nil, reason: "pipe \(WindowsNamedPipes.pipeName(path))")
      }
    case .tcp, .ssh:
      return nil
    }
  }

  func attribution(ofSocket path: String) -> ProviderAttribution? {
    let reason = "socket \(path)"
    if let colimaHome, let instance = instance(in: path, under: colimaHome, suffix: "/docker.sock") {
      return ProviderAttribution(provider: .colima, instance: instance, reason: reason)
    }
    if let limaHome, let instance = instance(in: path, under: limaHome, suffix: "/sock/docker.sock") {
      return ProviderAttribution(provider: .lima, instance: instance, reason: reason)
    }
    // macOS's /var/run/docker.sock is listed as Desktop's but may be anyone's link: prefer a provider's own path.
    let entries = entries().filter { $0.path == path }
    let match = entries.first { $0.path != host.system("/var/run/docker.sock") } ?? entries.first
    return match.map { ProviderAttribution(provider: $0.provider, instance: $0.instance, reason: reason) }
  }

  /// `default` from `~/.colima/default/docker.sock`.
  func instance(in path: String, under home: String, suffix: String) -> String? {
    guard path.hasPrefix(home + "/"), path.hasSuffix(suffix) else { return nil }
    let middle = path.dropFirst(home.count + 1).dropLast(suffix.count)
    return middle.isEmpty || middle.contains("/") ? nil : String(middle)
  }

  func attribution(ofContext name: String) -> ProviderAttribution? {
    let reason = "context \(name)"
    let provider: Provider?
    var instance: String?
    switch name {
    case "desktop-linux", "desktop-windows": provider = .dockerDesktop
    case "orbstack": provider = .orbstack
    case "rancher-desktop": provider = .rancherDesktop
    case "rootless": provider = .rootlessDocker
    case "colima":
      provider = .colima
      instance = "default"
    case _ where name.hasPrefix("colima-"):
      provider = .colima
      instance = String(name.dropFirst("colima-".count))
    case _ where name.hasPrefix("lima-"):
      provider = .lima
      instance = String(name.dropFirst("lima-".count))
    case _ where name.hasPrefix("podman"): provider = .podman
    default: provider = nil
    }
    return provider.map { ProviderAttribution(provider: $0, instance: instance, reason: reason) }
  }

  private func absolute(_ target: String, from link: String) -> String {
    if target.hasPrefix("/") { return target }
    guard let slash = link.lastIndex(of: "/") else { return target }
    return link[..<slash] + "/" + target
  }

  private func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
  }
}
