import Foundation
import JSON
import TestSupport
import Testing

/// The docker-path shim through the built binary, in front of the real docker CLI.
@Suite("docker shim: the engine readied, docker's own output untouched")
struct DockerShimTests {
  /// A directory with the shim as a link named `docker`, private XDG directories, and the environment to run it in.
  struct Shim {
    let directory: TemporaryDirectory
    var environment: [String: String]
    var link: String { directory.file("shim/docker") }
    var runtimeDirectory: String { directory.file("run/docker-preflight") }
    static var realDocker: String { Executable.find("docker") ?? "/usr/bin/docker" }

    init(host: String) throws {
      directory = try TemporaryDirectory(prefix: "shim")
      try FileManager.default.createDirectory(atPath: directory.file("shim"), withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(
        atPath: directory.file("shim/docker"), withDestinationPath: PreflightBinary.path)
      let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
      environment = [
        "HOME": directory.path, "XDG_CONFIG_HOME": directory.file("config"), "XDG_STATE_HOME": directory.file("state"),
        "XDG_RUNTIME_DIR": directory.file("run"), "DOCKER_HOST": host,
        // The link first: `docker` on PATH is the shim, which must find the real one after it.
        "PATH": "\(directory.file("shim")):\(path)",
      ]
    }

    func run(_ arguments: [String], as program: String? = nil) async throws -> CommandRun {
      try await CommandRun.run(
        program ?? link, arguments, environment: PreflightBinary.cleanEnvironment(environment))
    }

    func runReal(_ arguments: [String]) async throws -> CommandRun {
      try await CommandRun.run(Self.realDocker, arguments, environment: PreflightBinary.cleanEnvironment(environment))
    }

    func configure(_ json: String) throws {
      _ = try directory.write(json, to: "config/docker-preflight/config.json")
    }
  }

  @Test(
    "with a healthy engine: stdout, stderr and exit status are docker's, through the link and `docker-preflight docker`"
  )
  func outputUnchanged() async throws {
    try await withDockerDaemon { daemon in
      let shim = try Shim(host: daemon.host)
      defer { shim.directory.remove() }
      let commands = [
        ["ps", "-q"], ["ps", "-a", "--format", "{{.Names}}"], ["version", "--format", "{{.Server.Version}}"],
        ["inspect", "nope"], ["-H", daemon.host, "info", "--format", "{{.Containers}}"], ["--version"],
        ["image", "ls", "--quiet"], ["definitely-not-a-command"],
      ]
      for command in commands {
        let real = try await shim.runReal(command)
        let throughLink = try await shim.run(command)
        let throughSubcommand = try await shim.run(["docker"] + command, as: PreflightBinary.path)
        for run in [throughLink, throughSubcommand] {
          #expect(run.status == real.status, "\(command)")
          #expect(run.standardOutput == real.standardOutput, "\(command)")
          #expect(run.standardError == real.standardError, "\(command)")
        }
      }
      #expect(try await shim.runReal(["inspect", "nope"]).status == 1)
    }
  }

  @Test("a second call within the cache window asks the engine nothing: the socket gone, docker still runs at once")
  func cachedFastPath() async throws {
    try await withDockerDaemon { daemon in
      let shim = try Shim(host: daemon.host)
      defer { shim.directory.remove() }
      let stubs = try StubCommands()
      defer { stubs.remove() }
      let stubDocker = try stubs.add("docker", exitStatus: 0)

      let first = try await shim.run(["ps", "-q"])
      #expect(first.status == 0)
      #expect(first.standardError.isEmpty)
      // The record: one 0600 file in a 0700 directory, naming the endpoint.
      let records = try FileManager.default.contentsOfDirectory(atPath: shim.runtimeDirectory)
        .filter { $0.hasPrefix("ready-") }
      #expect(records.count == 1)
      let record = shim.runtimeDirectory + "/" + (records.first ?? "")
      #expect(try String(contentsOfFile: record, encoding: .utf8) == daemon.host)
      #expect(try FileManager.default.attributesOfItem(atPath: record)[.posixPermissions] as? Int == 0o600)
      #expect(
        try FileManager.default.attributesOfItem(atPath: shim.runtimeDirectory)[.posixPermissions] as? Int == 0o700)

      // The socket goes away; any question to the engine would now fail and be explained on stderr.
      let moved = daemon.directory.file("moved.sock")
      #expect(rename(daemon.socketPath, moved) == 0)
      defer { rename(moved, daemon.socketPath) }
      try shim.configure(#"{"dockerPath": "\#(stubDocker)"}"#)
      // Fresh, whatever the machine's load did to the time since the first call.
      try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: record)
      let cached = try await shim.run(["ps", "-q"])
      #expect(cached.status == 0)
      #expect(cached.standardError.isEmpty)
      #expect(stubs.invocations == [["docker", "ps", "-q"]])

      // Without the record, the shim asks, finds no engine, says so — and still runs docker.
      try FileManager.default.removeItem(atPath: record)
      let asked = try await shim.run(["ps", "-q"])
      #expect(asked.status == 0)
      #expect(
        asked.standardError.contains("docker-preflight: the engine at \(daemon.host) does not answer: socket-missing"))
      #expect(stubs.invocations.count == 2)
      #expect(!FileManager.default.fileExists(atPath: record))
    }
  }

  @Test("engine down, no consent: the shim explains on stderr, then docker fails exactly as it would have")
  func downWithoutConsent() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let shim = try Shim(host: "unix://\(directory.file("none.sock"))")
    defer { shim.directory.remove() }
    let real = try await shim.runReal(["ps", "-q"])
    let run = try await shim.run(["ps", "-q"])
    #expect(run.status == real.status)
    #expect(real.status == 1)
    #expect(run.standardOutput == real.standardOutput)
    #expect(run.standardError.hasSuffix(real.standardError))
    #expect(run.standardError.hasPrefix("docker-preflight: the engine at unix://\(directory.file("none.sock"))"))
    #expect(run.standardError.contains("PREFLIGHT_HEAL=1"))
  }

  @Test(
    "commands that need no engine pass straight through, with the engine down",
    arguments: [["--version"], ["-v"], ["context", "ls"], ["help"], ["ps", "--help"], ["--bogus-flag", "ps"]])
  func passThrough(command: [String]) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let shim = try Shim(host: "unix://\(directory.file("none.sock"))")
    defer { shim.directory.remove() }
    let real = try await shim.runReal(command)
    let run = try await shim.run(command)
    #expect(run.status == real.status)
    #expect(run.standardOutput == real.standardOutput)
    #expect(run.standardError == real.standardError)
  }

  @Test("with PREFLIGHT_HEAL=1 the shim heals a stopped engine, then docker answers; progress only on stderr")
  func heals() async throws {
    let daemon = try HealTests.DaemonHome()
    var scene = try HealTests.Scene(host: daemon.host)
    defer { scene.remove() }
    scene.startCommand = [try scene.daemonStartScript(for: daemon.directory)]
    var shim = try Shim(host: daemon.host)
    defer { shim.directory.remove() }
    shim.environment["PREFLIGHT_START_COMMAND"] = scene.environment["PREFLIGHT_START_COMMAND"]
    shim.environment["PREFLIGHT_HEAL"] = "1"
    let run = await capture { try await shim.run(["version", "--format", "{{.Server.Os}}"]) }
    let again = await capture { try await shim.run(["version", "--format", "{{.Server.Os}}"]) }
    await daemon.stop()
    let healed = try run.get()

    #expect(healed.status == 0, "\(healed.standardError)")
    #expect(healed.standardOutput == "linux\n")
    #expect(healed.standardError.contains("engine down, healing"))
    #expect(healed.standardError.contains("engine ready after"))
    #expect(scene.startInvocations == 1)
    // Ready now, and remembered: nothing more on stderr.
    #expect(try again.get().standardError.isEmpty)
    #expect(try again.get().standardOutput == "linux\n")
  }

  @Test("a loop back to the shim is stopped, and dockerPath pointing at the shim is refused")
  func loops() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    var shim = try Shim(host: "unix://\(directory.file("none.sock"))")
    defer { shim.directory.remove() }
    // A `docker` wrapper script that calls the shim: the shim finds it as "the real docker", which calls the shim…
    let wrapper = try shim.directory.write(
      "#!/bin/sh\nexec \(StubCommands.shellQuoted(PreflightBinary.path)) docker \"$@\"\n", to: "wrapper/docker",
      mode: 0o755)
    shim.environment["PATH"] = "\(shim.directory.file("wrapper")):\(shim.environment["PATH"] ?? "")"
    let looped = try await shim.run(["ps"], as: wrapper)
    #expect(looped.status == 1)
    #expect(looped.standardError.contains("leads back to docker-preflight"))

    try shim.configure(#"{"dockerPath": "\#(shim.link)"}"#)
    let refused = try await shim.run(["ps"])
    #expect(refused.status == 127)
    #expect(refused.standardError.contains("is docker-preflight itself"))
  }
}
