import EngineKit
import Testing

@testable import Preflight

/// What a heal plans for a hung engine, by who runs it: hosts this machine is not (macOS, systemd), from
/// `HostFacts` values, named so.
@Suite("Restarting a hung engine (fixture hosts)")
struct HungRestartPlanFixtureTests {
  struct Host: Sendable, CustomTestStringConvertible {
    var name: String
    var os: HostFacts.OperatingSystem
    var endpoint: String
    var isRoot = false
    var hasSystemd = false
    var units: Set<String> = []
    var desktopCLI = false
    var startCommand: [String]?
    /// The strategy and argv of each step, in order.
    var expected: [(String, [String])]
    var testDescription: String { name }
  }

  static let hung = EngineProcess(
    status: ProcessStatus(pid: 4242, state: "T", parentPid: 1, name: "dockerd", startTicks: 1), arguments: ["dockerd"])

  static let hosts: [Host] = [
    Host(
      name: "fixture macOS, Docker Desktop 4.37+: docker desktop restart, then its start steps", os: .macos,
      endpoint: "unix:///Users/me/.docker/run/docker.sock", desktopCLI: true,
      expected: [
        ("docker-desktop-cli", ["docker", "desktop", "restart"]),
        ("docker-desktop-cli", ["docker", "desktop", "start", "--timeout", "90"]),
        ("docker-desktop", ["open", "-a", "Docker"]),
      ]),
    Host(
      name: "fixture macOS, Colima profile work: colima restart", os: .macos,
      endpoint: "unix:///Users/me/.colima/work/docker.sock",
      expected: [
        ("colima", ["colima", "restart", "--profile", "work"]), ("colima", ["colima", "start", "--profile", "work"]),
      ]),
    Host(
      name: "fixture macOS, OrbStack: orb restart", os: .macos, endpoint: "unix:///Users/me/.orbstack/run/docker.sock",
      expected: [("orbstack", ["orb", "restart"]), ("orbstack", ["orb", "start"])]),
    Host(
      name: "fixture macOS, Podman machine: stop, then start", os: .macos,
      endpoint: "unix:///Users/me/.local/share/containers/podman/machine/podman.sock",
      expected: [
        ("podman-machine", ["podman", "machine", "stop"]), ("podman-machine", ["podman", "machine", "start"]),
      ]),
    Host(
      name: "fixture macOS, Rancher Desktop: shutdown, then start", os: .macos,
      endpoint: "unix:///Users/me/.rd/docker.sock",
      expected: [("rancher-desktop", ["rdctl", "shutdown"]), ("rancher-desktop", ["rdctl", "start"])]),
    Host(
      name: "fixture Linux with systemd, as a user: sudo -n systemctl restart docker.service", os: .linux,
      endpoint: "unix:///var/run/docker.sock", hasSystemd: true, units: ["docker.service", "docker.socket"],
      expected: [
        ("systemd", ["sudo", "-n", "systemctl", "restart", "docker.service"]),
        ("systemd", ["sudo", "-n", "systemctl", "start", "docker.socket", "docker.service"]),
      ]),
    Host(
      name: "Linux, a socket nothing manages, as root: stop by pid, the configured command, then dockerd", os: .linux,
      endpoint: "unix:///tmp/engine/docker.sock", isRoot: true, startCommand: ["start-engine"],
      expected: [
        ("stop-engine", ["kill", "-TERM", "4242"]), ("configured", ["start-engine"]),
        (
          "dockerd",
          [
            "dockerd", "--host", "unix:///tmp/engine/docker.sock", "--pidfile",
            "/state/dockerd-tmp_engine_docker.sock.pid",
            "--data-root", "/state/engines/\(SHA256Digest.hex(of: "/tmp/engine/docker.sock").prefix(12))/data",
            "--exec-root", "/state/engines/\(SHA256Digest.hex(of: "/tmp/engine/docker.sock").prefix(12))/exec",
          ]
        ),
      ]),
  ]

  @Test("a hung engine is restarted first, by whoever runs it; the start steps follow", arguments: hosts)
  func restartPlan(host: Host) throws {
    var facts = HostFacts(os: host.os, endpoint: try Endpoint(parsing: host.endpoint, source: .default))
    facts.isRoot = host.isRoot
    facts.hasSystemd = host.hasSystemd
    facts.systemdUnits = host.units
    facts.hasDockerDesktopCLI = host.desktopCLI
    var configuration = PreflightConfiguration()
    configuration.startCommand = host.startCommand
    var planner = HealPlanner(facts: facts, configuration: configuration, stateDirectory: "/state")
    planner.hung = Self.hung
    let plan = try planner.plan()
    #expect(plan.map(\.strategy.rawValue) == host.expected.map(\.0))
    #expect(plan.map(\.command) == host.expected.map(\.1))
    let stop = plan.first { $0.launch == .stop }
    #expect(stop.map { $0.pid == 4242 && $0.strategy == .stopEngine } ?? true)
  }

  @Test("an engine that is not hung gets no restart step")
  func notHung() throws {
    var facts = HostFacts(os: .linux, endpoint: try Endpoint(parsing: "unix:///tmp/engine/docker.sock", source: .flag))
    facts.isRoot = true
    let plan = try HealPlanner(facts: facts, configuration: PreflightConfiguration(), stateDirectory: "/state").plan()
    #expect(plan.map(\.strategy) == [.dockerd])
  }
}
