/// Tells who provides an engine from what the engine said (`_ping` headers, `/version`, `/info`), where it listens,
/// and whether we run under WSL. A pure function of its inputs: fixtures of recorded answers test it.
///
/// What the engine says about itself wins over where it listens: `~/.colima/default/docker.sock` may be a link to
/// OrbStack's socket, and a context named `colima` may point anywhere.
public struct ProviderDetector: Sendable {
  public var host: HostEnvironment
  /// Running inside a WSL distribution (``WSLDetector/kernelFacts()``).
  public var inWSL: Bool

  public init(host: HostEnvironment, inWSL: Bool = false) {
    self.host = host
    self.inWSL = inWSL
  }

  /// The provider, with what gave it away; `nil` when neither the answers nor the endpoint say.
  public func identify(
    endpoint: Endpoint, ping: PingResult? = nil, version: EngineVersion? = nil, info: SystemInfo? = nil
  ) -> ProviderAttribution? {
    if let found = fromAnswers(ping: ping, version: version, info: info) { return found }
    let attribution = ProviderSocketTable(host: host).attribution(of: endpoint)
    guard version != nil || info != nil else { return attribution }
    // The engine answered as plain Docker Engine: the endpoint's owner or, failing that, where it runs.
    if let attribution, attribution.provider != .dockerEngine { return attribution }
    if inWSL, case .unix = endpoint.transport {
      return ProviderAttribution(
        provider: .wslDockerCE, instance: nil, reason: "Docker Engine on a local socket inside WSL, not Docker Desktop")
    }
    let product = version?.product ?? "an engine"
    return ProviderAttribution(provider: .dockerEngine, instance: nil, reason: "\(product) answers")
  }

  func fromAnswers(ping: PingResult?, version: EngineVersion?, info: SystemInfo?) -> ProviderAttribution? {
    func found(_ provider: Provider, _ reason: String, instance: String? = nil) -> ProviderAttribution {
      ProviderAttribution(provider: provider, instance: instance, reason: reason)
    }
    if let libpod = ping?.libpodAPIVersion {
      return found(.podman, "Libpod-API-Version \(libpod) in the _ping headers")
    }
    if let component = version?.components?.first(where: { $0.name.hasPrefix("Podman Engine") }) {
      return found(.podman, "/version component \"\(component.name)\"")
    }
    if let platform = version?.platformName, platform.hasPrefix("Docker Desktop") {
      return found(.dockerDesktop, "/version Platform.Name \"\(platform)\"")
    }
    let system = info?.operatingSystem ?? ""
    let name = info?.name ?? ""
    if system.hasPrefix("Docker Desktop") { return found(.dockerDesktop, "/info OperatingSystem \"\(system)\"") }
    if name == "docker-desktop" { return found(.dockerDesktop, "/info Name \"\(name)\"") }
    if system.hasPrefix("OrbStack") { return found(.orbstack, "/info OperatingSystem \"\(system)\"") }
    if name == "orbstack" { return found(.orbstack, "/info Name \"\(name)\"") }
    if system.hasPrefix("Rancher Desktop") { return found(.rancherDesktop, "/info OperatingSystem \"\(system)\"") }
    // Rancher Desktop's VM is a Lima instance: its name would otherwise read as Lima.
    if name.containsBytes("rancher-desktop") { return found(.rancherDesktop, "/info Name \"\(name)\"") }
    if name == "colima" { return found(.colima, "/info Name \"\(name)\"", instance: "default") }
    if name.hasPrefix("colima-") {
      return found(.colima, "/info Name \"\(name)\"", instance: String(name.dropFirst("colima-".count)))
    }
    if name.hasPrefix("lima-") {
      return found(.lima, "/info Name \"\(name)\"", instance: String(name.dropFirst("lima-".count)))
    }
    if info?.isRootless == true { return found(.rootlessDocker, "/info SecurityOptions name=rootless") }
    return nil
  }
}
