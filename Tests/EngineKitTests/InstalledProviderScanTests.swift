import EngineKit
import Foundation
import TestSupport
import Testing

@Suite("Installed providers found from sockets, programs and install locations")
struct InstalledProviderScanTests {
  @Test("socket states: listening, stale, missing, not a socket")
  func socketStates() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let live = try UnixSocketFile(listeningAt: directory.file("live.sock"))
    defer { live.close() }
    let stale = try UnixSocketFile.stale(at: directory.file("stale.sock"))
    let plain = try directory.write("x", to: "plain.sock")
    #expect(SocketProbe.state(of: live.path) == .listening)
    #expect(SocketProbe.state(of: stale) == .stale)
    #expect(SocketProbe.state(of: directory.file("none.sock")) == .missing)
    #expect(SocketProbe.state(of: plain) == .notASocket)
  }

  @Test("a fake HOME with live and stale sockets, programs on PATH and an app: each provider with its evidence")
  func fakeHome() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let home = directory.file("home")
    let orbstack = try UnixSocketFile(listeningAt: "\(home)/.orbstack/run/docker.sock")
    defer { orbstack.close() }
    try UnixSocketFile.stale(at: "\(home)/.colima/work/docker.sock")
    try UnixSocketFile.stale(at: "\(home)/.docker/run/docker.sock")
    try FileManager.default.createDirectory(atPath: "\(home)/.colima/_lima", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(
      atPath: directory.file("Applications/Docker.app/Contents"), withIntermediateDirectories: true)
    let commands = try FakeCommands(in: directory)
    for program in ["colima", "limactl", "docker"] { try commands.add(program, printing: "") }
    let host = HostEnvironment(
      os: .macOS, environment: ["HOME": home, "PATH": commands.directory], systemRoot: directory.path)

    let scan = InstalledProviderScan(host: host).scan()
    #expect(scan.providers.map(\.provider) == [.dockerDesktop, .colima, .orbstack, .lima])
    #expect(scan.dockerCLI == "\(commands.directory)/docker")

    let colima = try #require(scan.provider(.colima))
    #expect(!colima.isListening)
    #expect(colima.instance == "work")
    #expect(colima.sockets.map(\.state) == [.stale])
    #expect(colima.evidence.contains(.program(path: "\(commands.directory)/colima")))
    #expect(colima.evidence.contains(.dataDirectory(path: "\(home)/.colima")))

    let desktop = try #require(scan.provider(.dockerDesktop))
    #expect(!desktop.isListening)
    #expect(desktop.evidence.contains(.installLocation(path: directory.file("Applications/Docker.app"))))
    #expect(desktop.evidence.contains(.socket(path: "\(home)/.docker/run/docker.sock", state: .stale, instance: nil)))

    #expect(scan.provider(.orbstack)?.isListening == true)
    // limactl alone (no instance directory) still shows Lima is installed.
    #expect(scan.provider(.lima)?.evidence == [.program(path: "\(commands.directory)/limactl")])
  }

  @Test("nothing installed: nothing found, and the docker CLI alone is not an engine")
  func nothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let commands = try FakeCommands(in: directory)
    try commands.add("docker", printing: "")
    let host = HostEnvironment(
      os: .linux,
      environment: [
        "HOME": directory.file("home"), "PATH": commands.directory,
        "XDG_RUNTIME_DIR": directory.file("run"),
      ], systemRoot: directory.path)
    let scan = InstalledProviderScan(host: host).scan()
    #expect(scan.providers.isEmpty)
    #expect(scan.dockerCLI != nil)
  }

  @Test("inside WSL, dockerd on PATH is docker-ce in the distribution; Desktop is seen on the Windows drive")
  func wsl() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let commands = try FakeCommands(in: directory)
    try commands.add("dockerd", printing: "")
    _ = try directory.write("MZ", to: "mnt/c/Program Files/Docker/Docker/Docker Desktop.exe")
    let host = HostEnvironment(
      os: .linux, environment: ["HOME": directory.file("home"), "PATH": commands.directory], systemRoot: directory.path)
    let scan = InstalledProviderScan(host: host, inWSL: true).scan()
    #expect(scan.providers.map(\.provider) == [.dockerDesktop, .wslDockerCE])
  }

  @Test(
    "one provider's installation: what the whole scan says of it, without its sockets; none when it is not installed",
    arguments: [Provider.dockerDesktop, .colima, .lima, .podman])
  func installationOfOne(_ provider: Provider) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let home = directory.file("home")
    try UnixSocketFile.stale(at: "\(home)/.colima/work/docker.sock")
    try FileManager.default.createDirectory(
      atPath: directory.file("Applications/Docker.app/Contents"), withIntermediateDirectories: true)
    let commands = try FakeCommands(in: directory)
    for program in ["colima", "limactl", "com.docker.cli"] { try commands.add(program, printing: "") }
    let host = HostEnvironment(
      os: .macOS, environment: ["HOME": home, "PATH": commands.directory], systemRoot: directory.path)
    let scan = InstalledProviderScan(host: host)

    let whole = scan.scan(probingSockets: false).provider(provider)
    #expect(scan.installation(of: provider) == whole)
    #expect((whole == nil) == (provider == .podman))
  }

  @Test("candidates: configured first, discovered sockets that exist, one entry per address")
  func candidates() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let home = directory.file("home")
    let rancher = try UnixSocketFile(listeningAt: "\(home)/.rd/docker.sock")
    defer { rancher.close() }
    let host = HostEnvironment(
      os: .linux, environment: ["HOME": home, "XDG_RUNTIME_DIR": directory.file("run")], systemRoot: directory.path)
    let configured = try Endpoint(parsing: "unix://\(directory.file("configured.sock"))", source: .environment)
    let duplicate = try Endpoint(parsing: rancher.path, source: .flag)
    let survey = EndpointSurvey(configured: [configured, duplicate], host: host)
    let candidates = survey.candidates()
    #expect(candidates.map(\.endpoint.host) == [configured.host, duplicate.host])
    #expect(candidates.map(\.isCurrent) == [true, false])
    #expect(candidates.last?.attribution?.provider == .rancherDesktop)
  }
}
