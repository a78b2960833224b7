import EngineKit
import Foundation
import TestSupport
import Testing

@testable import Preflight

/// A heal whose start fails for a host reason says why in its outcome. `service`, `systemctl` and `journalctl` are
/// stood in for (this machine has no systemd, and no docker service a test may start), but the init script `service`
/// runs is a real shell script whose `ulimit` really fails where this process may not raise its hard limit.
@Suite("Heal: why a start failed (fixture sysvinit and systemd hosts)")
struct HealStartFailureFixtureTests {
  /// Each start fails at once; the budget only has to outlast a diagnosis on a loaded machine (in CI, 5 s did not:
  /// the heal's deadline passed before its one step).
  static let budget = Duration.seconds(60)

  @Test("fixture sysvinit host: the init script's ulimit above the hard limit fails; the heal reports service-limits")
  func serviceLimits() async throws {
    let scratch = try TemporaryDirectory(prefix: "sfh")
    defer { scratch.remove() }
    let root = scratch.file("root")
    let hard = ServiceLimit(line: "", lineNumber: 0, option: "n", requested: nil).hardLimit
    let asked = hard == .max ? "unlimited" : String(hard + 1)
    let script = try scratch.write(
      "#!/bin/sh\nset -e\ncase \"$1\" in\n  start)\n    ulimit -n \(asked)\n    echo started\n    ;;\nesac\n",
      to: "root/etc/init.d/docker")
    let service = scratch.file("bin/service")
    try FileManager.default.createDirectory(atPath: scratch.file("bin"), withIntermediateDirectories: true)
    try ChildProcess.writeExecutable("#!/bin/sh\nexec /bin/sh \(StubCommands.shellQuoted(script)) \"$2\"\n", to: service)

    var facts = HostFacts(os: .linux, endpoint: try Endpoint(parsing: "unix://\(root)/var/run/docker.sock", source: .default))
    facts.systemRoot = root
    facts.isRoot = true
    facts.hasSysvinitDockerScript = true
    facts.installedProviders = [.dockerEngine]
    facts.searchPath = [scratch.file("bin")]
    facts.executables = ["service": service]
    let paths = PreflightPaths(environment: [
      "HOME": scratch.path, "XDG_STATE_HOME": scratch.file("state"), "XDG_RUNTIME_DIR": scratch.file("run"),
    ])
    var healer = Healer(facts: facts, configuration: PreflightConfiguration(), paths: paths)
    healer.probeEndpoint = try Endpoint(parsing: "unix://\(scratch.file("nothing.sock"))", source: .flag)
    // The fixture's own (empty) /proc: a dockerd another test runs on this host is no engine of this heal's to await.
    healer.diagnoseOptions.host = HostEnvironment(environment: paths.environment, systemRoot: root)
    let outcome = try await healer.heal(HealRequest(strategies: ["sysvinit"], allow: true, timeout: Self.budget))

    #expect(!outcome.healed)
    let step = try #require(outcome.steps.first)
    // Where this process may raise its hard limit (CAP_SYS_RESOURCE) or has none, the script goes on: no cause.
    let scriptFails = hard != .max && !StartFailureDiagnosis.hasSysResourceCapability
    #expect((step.outcome == .failed) == scriptFails, "\(step)")
    let codes = outcome.report.issues.map(\.code)
    if scriptFails {
      #expect(codes.first == "service-limits", "\(codes)")
      #expect(outcome.report.recommendations.first?.contains("--strategy dockerd") == true)
      #expect(outcome.message.contains("Why: \(script):5 (`ulimit -n \(asked)`)"), "\(outcome.message)")
    } else {
      #expect(!codes.contains("service-limits"))
    }
  }

  @Test("fixture systemd host (stub systemctl and journalctl): the unit's -H fd:// beside daemon.json's hosts")
  func systemdConflict() async throws {
    let scratch = try TemporaryDirectory(prefix: "sfh")
    defer { scratch.remove() }
    let stubs = try StubCommands()
    defer { stubs.remove() }
    try stubs.add("systemctl", exitStatus: 1, output: "Job for docker.service failed because the control process exited")
    try stubs.add("journalctl", output: "unable to configure the Docker daemon with file /etc/docker/daemon.json")
    let root = scratch.file("root")
    _ = try scratch.write(
      "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n",
      to: "root/lib/systemd/system/docker.service")
    _ = try scratch.write(#"{"hosts": ["unix:///var/run/docker.sock"]}"#, to: "root/etc/docker/daemon.json")

    var facts = HostFacts(
      os: .linux, endpoint: try Endpoint(parsing: "unix://\(root)/var/run/docker.sock", source: .default))
    facts.systemRoot = root
    facts.isRoot = true
    facts.hasSystemd = true
    facts.systemdUnits = ["docker.service", "docker.socket"]
    facts.installedProviders = [.dockerEngine]
    facts.searchPath = [stubs.binDirectory]
    let paths = PreflightPaths(environment: [
      "HOME": scratch.path, "XDG_STATE_HOME": scratch.file("state"), "XDG_RUNTIME_DIR": scratch.file("run"),
    ])
    var healer = Healer(facts: facts, configuration: PreflightConfiguration(), paths: paths)
    healer.probeEndpoint = try Endpoint(parsing: "unix://\(scratch.file("nothing.sock"))", source: .flag)
    // The fixture's own (empty) /proc: a dockerd another test runs on this host is no engine of this heal's to await.
    healer.diagnoseOptions.host = HostEnvironment(environment: paths.environment, systemRoot: root)
    let outcome = try await healer.heal(HealRequest(strategies: ["systemd"], allow: true, timeout: Self.budget))

    #expect(!outcome.healed)
    let cause = try #require(outcome.report.issues.first)
    #expect(cause.code == "daemon-config-conflict", "\(outcome.report.issues)")
    #expect(cause.message.contains("ExecStart of docker.service"), "\(cause.message)")
    let journal = try #require(stubs.invocations.first { $0.first == "journalctl" })
    #expect(Array(journal.prefix(4)) == ["journalctl", "-u", "docker.service", "--since"])
    #expect(journal[4].hasPrefix("@") && Int(journal[4].dropFirst()) != nil)
  }
}
