import Foundation
import JSON
import TestSupport
import Testing

@Suite("Providers of real engines, told through a real diagnose")
struct ProviderTests {
  @Test("Podman's API service is detected as Podman")
  func podman() async throws {
    try await withPodmanService { podman in
      let run = try await PreflightRun.run(
        ["check", "--json", "--timeout", "30s"], environment: ["DOCKER_HOST": podman.host])
      let report = try JSONValue.parse(run.standardOutput)
      #expect(run.status == 0, "\(run.standardError)")
      #expect(report["provider"] == "podman")
      #expect(report["engine"]?["product"] == "Podman Engine")
      let provider = report["checks"]?.arrayValue?.first { $0["id"] == "provider" }
      #expect(provider?["summary"]?.stringValue?.contains("Libpod-API-Version") == true)
      #expect(report["checks"]?.arrayValue?.first { $0["id"] == "disk-space" }?["status"] == "pass")
    }
  }

  @Test("a private dockerd is Docker Engine, in the JSON report and in check's text")
  func dockerEngine() async throws {
    try await withDockerDaemon { daemon in
      let json = try await PreflightRun.run(
        ["check", "--json", "--timeout", "30s"], environment: ["DOCKER_HOST": daemon.host])
      let report = try JSONValue.parse(json.standardOutput)
      #expect(report["provider"] == "docker-engine")
      #expect(report["engine"]?["product"] == "Docker Engine")
      #expect(report["wsl2Status"] == "not-wsl")
      let text = try await PreflightRun.run(["check", "--timeout", "30s"], environment: ["DOCKER_HOST": daemon.host])
      #expect(text.status == 0)
      #expect(text.standardOutput.contains("provider: Docker Engine"))
    }
  }
}

@Suite("docker-preflight endpoints")
struct EndpointsCommandTests {
  /// A machine root for discovery, so that the listing never looks at this machine's own sockets.
  static func environment(_ root: TemporaryDirectory, host: String) -> [String: String] {
    [
      "DOCKER_HOST": host, "HOME": root.file("home"), "XDG_RUNTIME_DIR": root.file("run"),
      "PREFLIGHT_HOST_ROOT": root.path,
    ]
  }

  @Test("--json lists the configured dockerd answering, docker contexts, and a stale socket found in HOME")
  func privateDaemon() async throws {
    let root = try TemporaryDirectory(prefix: "ep")
    defer { root.remove() }
    let colima = try UnixSocketFile.stale(at: root.file("home/.colima/default/docker.sock"))
    let rancher = try UnixSocketFile.stale(at: root.file("home/.rd/docker.sock"))
    let config = root.file("config")
    try await withDockerDaemon { daemon in
      // Contexts made by the real docker CLI: one for the same daemon (listed once), one for Colima's socket.
      for (name, host) in [("private", daemon.host), ("colima", "unix://\(colima)")] {
        let created = try await CommandRun.run(
          Executable.find("docker") ?? "/usr/bin/docker", ["context", "create", name, "--docker", "host=\(host)"],
          environment: PreflightBinary.cleanEnvironment(["DOCKER_CONFIG": config]))
        #expect(created.status == 0, "\(created.standardError)")
      }
      let damaged = try root.write("{", to: "config/contexts/meta/0123abcd/meta.json")
      var environment = Self.environment(root, host: daemon.host)
      environment["DOCKER_CONFIG"] = config
      let run = try await PreflightRun.run(["endpoints", "--json", "--timeout", "30s"], environment: environment)
      #expect(run.status == 0)
      let listing = try JSONValue.parse(run.standardOutput)
      let endpoints = try #require(listing["endpoints"]?.arrayValue)
      #expect(
        endpoints.map { $0["host"]?.stringValue ?? "" } == [daemon.host, "unix://\(colima)", "unix://\(rancher)"])
      let configured = endpoints[0]
      #expect(configured["source"] == "env DOCKER_HOST")
      #expect(configured["current"] == true)
      #expect(configured["answers"] == true)
      #expect(configured["provider"] == "docker-engine")
      #expect(configured["engine"]?["apiVersion"] == .string(try await daemon.apiVersion()))
      let context = endpoints[1]
      #expect(context["source"] == "context colima")
      #expect(context["provider"] == "colima")
      #expect(context["answers"] == false)
      #expect(context["error"]?["code"] == "connection-refused")
      #expect(endpoints[2]["source"] == "discovered rancher-desktop")
      #expect(listing["problems"]?.arrayValue?.contains { $0.stringValue?.contains(damaged) == true } == true)
    }
  }

  @Test("a missing socket is listed as not answering, with its reason; the command still exits 0")
  func missingSocket() async throws {
    let root = try TemporaryDirectory(prefix: "ep")
    defer { root.remove() }
    let host = "unix://\(root.file("missing.sock"))"
    let run = try await PreflightRun.run(["endpoints", "--json"], environment: Self.environment(root, host: host))
    #expect(run.status == 0)
    let endpoints = try #require(try JSONValue.parse(run.standardOutput)["endpoints"]?.arrayValue)
    #expect(endpoints.count == 1)
    #expect(endpoints[0]["host"] == .string(host))
    #expect(endpoints[0]["answers"] == false)
    #expect(endpoints[0]["error"]?["code"] == "socket-missing")
    #expect(endpoints[0]["error"]?["message"]?.stringValue?.contains(host) == true)

    let text = try await PreflightRun.run(["endpoints"], environment: Self.environment(root, host: host))
    #expect(text.status == 0)
    #expect(text.standardOutput.contains("* \(host)"))
    #expect(text.standardOutput.contains("socket-missing"))
  }

  @Test("a malformed DOCKER_HOST is reported in the listing, not as a crash")
  func configurationError() async throws {
    let root = try TemporaryDirectory(prefix: "ep")
    defer { root.remove() }
    let run = try await PreflightRun.run(
      ["endpoints", "--json"], environment: Self.environment(root, host: "nope://x"))
    #expect(run.status == 0)
    let listing = try JSONValue.parse(run.standardOutput)
    #expect(listing["problems"]?[0]?.stringValue?.contains("nope://x") == true)
    #expect(listing["endpoints"] == [])
  }

  @Test("probes run at once: every silent listener is connected to before the first probe's timeout")
  func concurrent() async throws {
    let root = try TemporaryDirectory(prefix: "ep")
    defer { root.remove() }
    // Listeners that never answer: probed one after another, the second would be reached only after the first
    // probe's 60 s timeout.
    let silent = try [
      "home/.rd/docker.sock", "run/docker.sock", "run/podman/podman.sock", "home/.docker/desktop/docker.sock",
    ]
    .map { try UnixSocketFile(listeningAt: root.file($0)) }
    defer { silent.forEach { $0.close() } }
    let child = try ChildProcess(
      executable: PreflightBinary.path, arguments: ["endpoints", "--json", "--timeout", "60s"],
      environment: PreflightBinary.cleanEnvironment(Self.environment(root, host: "unix://\(silent[0].path)")))
    var accepted: [Int32] = []
    for listener in silent {
      if let client = await listener.acceptConnection(within: .seconds(30)) { accepted.append(client) }
    }
    #expect(accepted.count == silent.count, "only \(accepted.count) of \(silent.count) endpoints were probed at once")
    // Hanging up ends every probe at once.
    accepted.forEach(UnixSocketFile.hangUp)
    var output: [UInt8] = []
    for await chunk in child.output { output += chunk }
    #expect(await child.exitStatus(within: .seconds(30)) == 0)
    let endpoints = try #require(try JSONValue.parse(String(decoding: output, as: UTF8.self))["endpoints"]?.arrayValue)
    #expect(endpoints.count == silent.count)
    #expect(endpoints.allSatisfy { $0["answers"] == false })
  }
}
