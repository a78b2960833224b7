import EngineKit
import Foundation
import TestSupport
import Testing

@Suite("Provider detection from what the engine said (recorded answers: fixtures)")
struct ProviderDetectionTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var libpod: String? = nil
    var version: String? = nil
    var info: String? = nil
    var inWSL = false
    var provider: Provider
    var instance: String? = nil
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "Debian's dockerd", version: RecordedEngineAnswers.debianVersion, info: RecordedEngineAnswers.debianInfo,
      provider: .dockerEngine),
    Case(name: "docker-ce", version: RecordedEngineAnswers.communityVersion, provider: .dockerEngine),
    Case(
      name: "rootless Docker from a recorded /info", version: RecordedEngineAnswers.debianVersion,
      info: RecordedEngineAnswers.rootlessInfo, provider: .rootlessDocker),
    Case(
      name: "Docker Desktop by its /version platform name", version: RecordedEngineAnswers.desktopVersion,
      provider: .dockerDesktop),
    Case(name: "Docker Desktop by its /info alone", info: RecordedEngineAnswers.desktopInfo, provider: .dockerDesktop),
    Case(name: "Podman by the Libpod-API-Version header", libpod: "4.3.1", provider: .podman),
    Case(
      name: "Podman by its /version component", version: RecordedEngineAnswers.podmanVersion,
      info: RecordedEngineAnswers.podmanInfo, provider: .podman),
    Case(
      name: "Colima's default profile", version: RecordedEngineAnswers.communityVersion,
      info: RecordedEngineAnswers.colimaInfo, provider: .colima, instance: "default"),
    Case(name: "a Colima profile", info: RecordedEngineAnswers.colimaProfileInfo, provider: .colima, instance: "work"),
    Case(
      name: "OrbStack", version: RecordedEngineAnswers.communityVersion, info: RecordedEngineAnswers.orbStackInfo,
      provider: .orbstack),
    Case(
      name: "Rancher Desktop's Lima VM is not Lima", info: RecordedEngineAnswers.rancherInfo,
      provider: .rancherDesktop),
    Case(name: "Rancher Desktop on Windows", info: RecordedEngineAnswers.rancherWindowsInfo, provider: .rancherDesktop),
    Case(name: "Lima", info: RecordedEngineAnswers.limaInfo, provider: .lima, instance: "default"),
    Case(
      name: "docker-ce inside WSL", version: RecordedEngineAnswers.communityVersion,
      info: RecordedEngineAnswers.wslInfo, inWSL: true, provider: .wslDockerCE),
    Case(
      name: "Docker Desktop seen from WSL stays Docker Desktop", version: RecordedEngineAnswers.desktopVersion,
      info: RecordedEngineAnswers.desktopInfo, inWSL: true, provider: .dockerDesktop),
  ]

  @Test("recorded answers name their provider", arguments: cases)
  func fromAnswers(_ fixture: Case) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let host = HostEnvironment(environment: ["HOME": directory.file("home")], systemRoot: directory.path)
    let endpoint = try Endpoint(parsing: "unix://\(directory.file("engine.sock"))", source: .flag)
    let found = ProviderDetector(host: host, inWSL: fixture.inWSL).identify(
      endpoint: endpoint,
      ping: try RecordedEngineAnswers.ping(libpod: fixture.libpod),
      version: try fixture.version.map(RecordedEngineAnswers.version),
      info: try fixture.info.map(RecordedEngineAnswers.info))
    #expect(found?.provider == fixture.provider)
    #expect(found?.instance == fixture.instance)
    #expect(found?.reason.isEmpty == false)
  }

  @Test("Debian's dockerd (component Engine, empty platform name) is named Docker Engine; others keep their name")
  func productNames() throws {
    #expect(try RecordedEngineAnswers.version(RecordedEngineAnswers.debianVersion).product == "Docker Engine")
    #expect(
      try RecordedEngineAnswers.version(RecordedEngineAnswers.communityVersion).product == "Docker Engine - Community")
    #expect(
      try RecordedEngineAnswers.version(RecordedEngineAnswers.desktopVersion).product
        == "Docker Desktop 4.37.1 (178610)")
    #expect(try RecordedEngineAnswers.version(RecordedEngineAnswers.podmanVersion).product == "Podman Engine")
  }

  struct AddressCase: Sendable, CustomTestStringConvertible {
    var name: String
    var os: HostOS = .linux
    /// Relative to the fixture HOME unless it starts with `/` or `npipe:`.
    var address: String
    var context: String? = nil
    var provider: Provider?
    var instance: String? = nil
    var testDescription: String { name }
  }

  static let addresses: [AddressCase] = [
    AddressCase(
      name: "Docker Desktop on macOS", os: .macOS, address: ".docker/run/docker.sock", provider: .dockerDesktop),
    AddressCase(name: "Docker Desktop on Linux", address: ".docker/desktop/docker.sock", provider: .dockerDesktop),
    AddressCase(
      name: "Docker Desktop's Linux engine pipe", os: .windows, address: "npipe:////./pipe/dockerDesktopLinuxEngine",
      provider: .dockerDesktop),
    AddressCase(
      name: "context desktop-linux", address: "/somewhere/else.sock", context: "desktop-linux",
      provider: .dockerDesktop),
    AddressCase(
      name: "Colima's default profile", os: .macOS, address: ".colima/default/docker.sock", provider: .colima,
      instance: "default"),
    AddressCase(name: "a Colima profile", address: ".colima/work/docker.sock", provider: .colima, instance: "work"),
    AddressCase(name: "Rancher Desktop", os: .macOS, address: ".rd/docker.sock", provider: .rancherDesktop),
    AddressCase(name: "OrbStack", os: .macOS, address: ".orbstack/run/docker.sock", provider: .orbstack),
    AddressCase(
      name: "a Lima instance", os: .macOS, address: ".lima/dev/sock/docker.sock", provider: .lima,
      instance: "dev"),
    AddressCase(name: "rootless Docker", address: "/run/user/1000/docker.sock", provider: .rootlessDocker),
    AddressCase(name: "Podman's rootless socket", address: "/run/user/1000/podman/podman.sock", provider: .podman),
    AddressCase(name: "an unknown socket", address: "/tmp/elsewhere.sock", provider: nil),
  ]

  @Test("an endpoint that does not answer is attributed by its address", arguments: addresses)
  func fromAddress(_ fixture: AddressCase) throws {
    let home = "/home/dev"
    let host = HostEnvironment(
      os: fixture.os, environment: ["HOME": home, "XDG_RUNTIME_DIR": "/run/user/1000"], systemRoot: "")
    let address =
      fixture.address.hasPrefix("npipe:")
      ? fixture.address
      : "unix://" + (fixture.address.hasPrefix("/") ? fixture.address : "\(home)/\(fixture.address)")
    let source: EndpointSource = fixture.context.map { .context($0) } ?? .environment
    let endpoint = try Endpoint(parsing: address, source: source)
    let found = ProviderDetector(host: host).identify(endpoint: endpoint)
    #expect(found?.provider == fixture.provider)
    #expect(found?.instance == fixture.instance)
  }

  @Test("a socket that links to another provider's belongs to the one it links to (Colima's path, OrbStack's socket)")
  func symlinkedSocket() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let home = directory.file("home")
    let orbstack = try UnixSocketFile(listeningAt: "\(home)/.orbstack/run/docker.sock")
    defer { orbstack.close() }
    try FileManager.default.createDirectory(atPath: "\(home)/.colima/default", withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      atPath: "\(home)/.colima/default/docker.sock", withDestinationPath: orbstack.path)
    let host = HostEnvironment(os: .macOS, environment: ["HOME": home], systemRoot: directory.path)
    let endpoint = try Endpoint(parsing: "unix://\(home)/.colima/default/docker.sock", source: .environment)
    #expect(ProviderDetector(host: host).identify(endpoint: endpoint)?.provider == .orbstack)
  }

  @Test("every provider has a display name and a start hint for every platform")
  func hints() {
    for provider in Provider.allCases {
      #expect(!provider.displayName.isEmpty)
      for os in HostOS.allCases { #expect(!provider.startHint(on: os).isEmpty) }
    }
    #expect(Provider.colima.startHint(on: .macOS, instance: "work") == "colima start --profile work")
    #expect(Provider.lima.startHint(on: .macOS, instance: "dev") == "limactl start dev")
  }
}
