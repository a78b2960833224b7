import EngineKit
import Foundation
import TestSupport
import Testing

@testable import Preflight

/// A heal whose start fails for a host reason says why in its outcome. sysvinit's `service` is stood in for (this
/// machine has no docker service that may be started by a test), but the init script it runs is a real shell script
/// whose `ulimit` really fails where this process may not raise its hard limit.
@Suite("Heal: why a start failed (fixture sysvinit host)")
struct HealStartFailureFixtureTests {
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
    let outcome = try await healer.heal(HealRequest(strategies: ["sysvinit"], allow: true, timeout: .seconds(5)))

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
}
