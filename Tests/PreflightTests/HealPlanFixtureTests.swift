import EngineKit
import Foundation
import TestSupport
import Testing

@testable import Preflight

/// Heal plans for hosts this machine is not (macOS, Windows, WSL, systemd, rootless), from `HostFacts` values. Where
/// a plan's programs can be stood in for, stub commands on the search path record the argv each step really ran.
@Suite("Heal plans (fixture hosts)")
struct HealPlanFixtureTests {
  struct Host: Sendable, CustomTestStringConvertible {
    var name: String
    var os: HostFacts.OperatingSystem
    var endpoint: String
    var source: EndpointSource = .default
    var isWSL = false
    var isRoot = false
    var hasSystemd = false
    var units: Set<String> = []
    var sysvinit = false
    var rootless: String?
    var providers: Set<HostFacts.Provider> = []
    var desktopCLI = false
    var startCommand: [String]?
    /// The argv of each step, in order; `STATE` stands for the state directory, `ROOT` (here and in `endpoint`) for
    /// the fixture's system root, so that no plan or heal reads the real /var/run.
    var expected: [[String]]
    /// Whether the stubs can run the plan here (a Windows path cannot).
    var runnable = true

    var testDescription: String { name }
  }

  static let hosts: [Host] = [
    Host(
      name: "fixture macOS, Docker Desktop 4.37+", os: .macos, endpoint: "unix:///Users/me/.docker/run/docker.sock",
      providers: [.dockerDesktop], desktopCLI: true,
      expected: [["docker", "desktop", "start", "--timeout", "90"], ["open", "-a", "Docker"]]),
    Host(
      name: "fixture macOS, default socket, Docker Desktop and OrbStack installed", os: .macos,
      endpoint: "unix://ROOT/var/run/docker.sock", providers: [.dockerDesktop, .orbstack],
      expected: [["open", "-a", "Docker"], ["orb", "start"]]),
    Host(
      name: "fixture macOS, Colima default profile", os: .macos,
      endpoint: "unix:///Users/me/.colima/default/docker.sock",
      providers: [.colima], expected: [["colima", "start"]]),
    Host(
      name: "fixture macOS, Colima profile work, with a configured command first", os: .macos,
      endpoint: "unix:///Users/me/.colima/work/docker.sock", providers: [.colima],
      startCommand: ["colima", "start", "work", "--cpu", "4"],
      expected: [["colima", "start", "work", "--cpu", "4"], ["colima", "start", "--profile", "work"]]),
    Host(
      name: "fixture macOS, OrbStack", os: .macos, endpoint: "unix:///Users/me/.orbstack/run/docker.sock",
      providers: [.orbstack], expected: [["orb", "start"]]),
    Host(
      name: "fixture macOS, Rancher Desktop", os: .macos, endpoint: "unix:///Users/me/.rd/docker.sock",
      providers: [.rancherDesktop], expected: [["rdctl", "start"]]),
    Host(
      name: "fixture macOS, Podman machine", os: .macos,
      endpoint: "unix:///Users/me/.local/share/containers/podman/machine/podman.sock", providers: [.podman],
      expected: [["podman", "machine", "start"]]),
    Host(
      name: "fixture Windows, Docker Desktop", os: .windows, endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine",
      providers: [.dockerDesktop], desktopCLI: true,
      expected: [
        ["docker", "desktop", "start", "--timeout", "90"], [#"C:\Program Files\Docker\Docker\Docker Desktop.exe"#],
      ],
      runnable: false),
    Host(
      name: "fixture WSL, Docker Desktop through interop, then service docker start with sudo -n", os: .linux,
      endpoint: "unix://ROOT/var/run/docker.sock", isWSL: true, sysvinit: true, providers: [.dockerDesktop, .dockerEngine],
      expected: [["MNT/Program Files/Docker/Docker/Docker Desktop.exe"], ["sudo", "-n", "service", "docker", "start"]]),
    Host(
      name: "fixture WSL as root without Docker Desktop: service, then dockerd", os: .linux,
      endpoint: "unix://ROOT/var/run/docker.sock", isWSL: true, isRoot: true, sysvinit: true, providers: [.dockerEngine],
      expected: [
        ["service", "docker", "start"],
        ["dockerd", "--host", "unix://ROOT/var/run/docker.sock", "--pidfile", "STATE/dockerd.pid"],
      ]),
    Host(
      name: "fixture Linux systemd as root", os: .linux, endpoint: "unix://ROOT/var/run/docker.sock", isRoot: true,
      hasSystemd: true, units: ["docker.service", "docker.socket"], providers: [.dockerEngine],
      expected: [["systemctl", "start", "docker.socket", "docker.service"]]),
    Host(
      name: "fixture Linux systemd without root: sudo -n", os: .linux, endpoint: "unix://ROOT/var/run/docker.sock",
      hasSystemd: true, units: ["docker.service", "docker.socket"], providers: [.dockerEngine],
      expected: [["sudo", "-n", "systemctl", "start", "docker.socket", "docker.service"]]),
    Host(
      name: "fixture Linux systemd without a socket unit", os: .linux, endpoint: "unix://ROOT/run/docker.sock",
      isRoot: true,
      hasSystemd: true, units: ["docker.service"], providers: [.dockerEngine],
      expected: [["systemctl", "start", "docker.service"]]),
    Host(
      name: "fixture Linux rootless Docker", os: .linux, endpoint: "unix:///run/user/1000/docker.sock",
      hasSystemd: true, units: ["user:docker.service"], rootless: "/run/user/1000/docker.sock",
      providers: [.rootlessDocker], expected: [["systemctl", "--user", "start", "docker"]]),
    Host(
      name: "fixture Linux Docker Desktop", os: .linux, endpoint: "unix:///home/me/.docker/desktop/docker.sock",
      source: .context("desktop-linux"), hasSystemd: true, units: ["user:docker-desktop.service"],
      providers: [.dockerDesktop], expected: [["systemctl", "--user", "start", "docker-desktop"]]),
    Host(
      name: "fixture Linux Podman user socket", os: .linux, endpoint: "unix:///run/user/1000/podman/podman.sock",
      hasSystemd: true, providers: [.podman], expected: [["systemctl", "--user", "start", "podman.socket"]]),
    Host(
      name: "fixture Linux as root, no service manager (a container, CI)", os: .linux,
      endpoint: "unix://ROOT/var/run/docker.sock", isRoot: true, providers: [.dockerEngine],
      expected: [["dockerd", "--host", "unix://ROOT/var/run/docker.sock", "--pidfile", "STATE/dockerd.pid"]]),
    Host(
      name: "fixture remote engine: only the configured command", os: .linux, endpoint: "tcp://10.0.0.2:2376",
      isRoot: true, startCommand: ["ssh", "builder", "sudo", "systemctl", "start", "docker"],
      expected: [["ssh", "builder", "sudo", "systemctl", "start", "docker"]]),
  ]

  /// A scratch home for one fixture host: stubs for every program its plan names, and private XDG directories.
  struct Scratch {
    let directory: TemporaryDirectory
    let stubs: StubCommands
    var paths: PreflightPaths
    var windowsDrive: String { directory.file("mnt/c") }
    var systemRoot: String { directory.file("root") }

    init() throws {
      directory = try TemporaryDirectory(prefix: "host")
      stubs = try StubCommands()
      paths = PreflightPaths(environment: [
        "HOME": directory.path, "XDG_STATE_HOME": directory.file("state"), "XDG_RUNTIME_DIR": directory.file("run"),
      ])
    }

    func facts(for host: Host) throws -> HostFacts {
      let endpoint = try Endpoint(parsing: host.endpoint.replacing("ROOT", with: systemRoot), source: host.source)
      var facts = HostFacts(os: host.os, endpoint: endpoint)
      facts.systemRoot = systemRoot
      facts.isWSL = host.isWSL
      facts.isRoot = host.isRoot
      facts.hasSystemd = host.hasSystemd
      facts.systemdUnits = host.units
      facts.hasSysvinitDockerScript = host.sysvinit
      facts.rootlessSocket = host.rootless
      facts.installedProviders = host.providers
      facts.hasDockerDesktopCLI = host.desktopCLI
      facts.windowsDriveMount = windowsDrive
      facts.searchPath = [stubs.binDirectory]
      facts.executables = ["service": "\(stubs.binDirectory)/service"]
      return facts
    }

    func expected(_ host: Host) -> [[String]] {
      host.expected.map { argv in
        argv.map {
          $0.replacing("STATE", with: paths.stateDirectory).replacing("MNT", with: windowsDrive)
            .replacing("ROOT", with: systemRoot)
        }
      }
    }

    func remove() {
      directory.remove()
      stubs.remove()
    }
  }

  @Test("fixture: the plan's argv, exactly", arguments: hosts)
  func plan(host: Host) throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    var configuration = PreflightConfiguration()
    configuration.startCommand = host.startCommand
    let healer = Healer(facts: try scratch.facts(for: host), configuration: configuration, paths: scratch.paths)
    #expect(try healer.plan().map(\.command) == scratch.expected(host))
  }

  @Test("fixture: stub commands on PATH record exactly the plan's argv, in order", arguments: hosts.filter(\.runnable))
  func stubsRecordThePlan(host: Host) async throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    var configuration = PreflightConfiguration()
    configuration.startCommand = host.startCommand
    let expected = scratch.expected(host)
    // Each stub fails, so that every step runs; an absolute program path gets its stub at that path.
    for argv in expected {
      let program = argv[0]
      if program.hasPrefix("/") {
        try scratch.stubs.add(
          (program as NSString).lastPathComponent, at: program, exitStatus: 1, output: "stub failed")
      } else {
        try scratch.stubs.add(program, exitStatus: 1, output: "stub failed")
      }
    }
    var healer = Healer(facts: try scratch.facts(for: host), configuration: configuration, paths: scratch.paths)
    healer.probeEndpoint = try Endpoint(parsing: "unix://\(scratch.directory.file("nothing.sock"))", source: .flag)
    let outcome = try await healer.heal(HealRequest(allow: true, timeout: .seconds(90)))
    #expect(!outcome.healed)
    #expect(outcome.steps.map(\.command) == expected)
    #expect(outcome.steps.allSatisfy { $0.outcome == .failed && $0.exitCode == 1 && $0.output.contains("stub failed") })
    let recorded = scratch.stubs.invocations
    #expect(recorded == expected.map { [($0[0] as NSString).lastPathComponent] + $0.dropFirst() })
  }

  @Test("fixture: --strategy keeps only the named steps; an unknown name is refused with the known ones")
  func strategies() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let host = Self.hosts.first { $0.name.hasPrefix("fixture WSL as root") }!
    let healer = Healer(
      facts: try scratch.facts(for: host), configuration: PreflightConfiguration(), paths: scratch.paths)
    #expect(try healer.plan(strategies: ["dockerd"]).map(\.strategy) == [.dockerd])
    let error = #expect(throws: PreflightError.self) { try healer.plan(strategies: ["dockerd", "magic"]) }
    #expect(error?.description.contains("\"magic\"") == true)
    #expect(error?.description.contains("sysvinit") == true)
  }
}
