import Foundation
import JSON
import TestSupport
import Testing

/// Each Dev Container launch mode end to end, with the Dev Containers CLI from PyPI (`devcontainer-rs`, command
/// `devcontainer`), the example configurations in devcontainer/examples, and a private dockerd that a heal starts
/// (its data root prepared with a busybox image made by `docker import`: nothing is pulled).
@Suite("Dev Containers: every launch mode with a real Dev Containers CLI", .serialized)
struct DevContainerTests {
  /// How the engine is when `devcontainer up` begins.
  enum Engine {
    /// Answering, with the image.
    case running
    /// Stopped; the configured start command launches it (on its socket, with its data root and image).
    case stopped
    /// Stopped, and the configured start command fails.
    case unstartable
  }

  /// A workspace made from an example, a daemon directory, private XDG directories, the shim as a link named
  /// `docker`, and a recording `docker-preflight` first on PATH (it appends its arguments to `calls`, then runs the
  /// real binary), so that a test can see what ran in which order.
  struct Scene {
    var heal: HealTests.Scene
    let daemonHome: HealTests.DaemonHome
    /// The daemon the test started itself (`.running`), stopped by the test.
    let runningDaemon: DockerDaemon?
    let workspace: TemporaryDirectory
    let devcontainer: String
    var environment: [String: String] { heal.environment }
    var host: String { daemonHome.host }
    var shim: String { heal.directory.file("shim/docker") }
    var callsPath: String { heal.invocationsPath }
    /// The start command's launches (`started`), `docker-preflight` runs and the shim's docker calls, in order.
    var calls: [String] {
      ((try? String(contentsOfFile: callsPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static let image = "preflight-probe:latest"

    init(example: String, engine: Engine) async throws {
      devcontainer = try Self.requireDevcontainer()
      daemonHome = try HealTests.DaemonHome()
      heal = try HealTests.Scene(host: daemonHome.host)
      workspace = try TemporaryDirectory(prefix: "ws")
      var running: DockerDaemon?
      if engine != .unstartable {
        let prepared = try await DockerDaemon.start(in: daemonHome.directory)
        try await prepared.importProbeImage(named: Self.image)
        if engine == .running {
          running = prepared
        } else {
          await prepared.shutDown()
        }
      }
      runningDaemon = running
      switch engine {
      case .running, .stopped: heal.startCommand = [try heal.daemonStartScript(for: daemonHome.directory)]
      case .unstartable:
        heal.startCommand = [
          try heal.directory.write(
            "#!/bin/sh\nprintf 'started\\n' >> \(StubCommands.shellQuoted(callsPath))\n"
              + "echo 'start-engine: the engine VM is damaged' >&2\nexit 3\n", to: "start-engine", mode: 0o755)
        ]
      }
      try FileManager.default.createDirectory(atPath: heal.directory.file("shim"), withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(atPath: shim, withDestinationPath: PreflightBinary.path)
      let recorder = try heal.directory.write(
        """
        #!/bin/sh
        printf 'docker-preflight %s\\n' "$*" >> \(StubCommands.shellQuoted(callsPath))
        exec \(StubCommands.shellQuoted(PreflightBinary.path)) "$@"

        """, to: "bin/docker-preflight", mode: 0o755)
      let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
      heal.environment["PATH"] = "\((recorder as NSString).deletingLastPathComponent):\(path)"
      try Self.writeConfiguration(of: example, to: workspace)
      try configure()
    }

    /// docker-preflight's configuration file: healing only by the configured start command, whatever else `extra`
    /// sets (as root, a heal would otherwise fall back to launching a dockerd of its own).
    func configure(_ extra: JSONObject = [:]) throws {
      var configuration = extra
      configuration["heal"] = ["strategies": ["configured"]]
      _ = try heal.directory.write(
        JSONValue.object(configuration).description, to: "config/docker-preflight/config.json")
    }

    /// The example's devcontainer.json, with the local image and what a busybox container needs.
    static func writeConfiguration(of example: String, to workspace: TemporaryDirectory) throws {
      let source = "\(repositoryRoot)/devcontainer/examples/\(example)/.devcontainer/devcontainer.json"
      guard case .object(var configuration) = try JSONValue.parse(String(contentsOfFile: source, encoding: .utf8))
      else { throw FixtureError("\(source) is not a JSON object") }
      configuration["image"] = .string(image)
      configuration["overrideCommand"] = true
      configuration["updateRemoteUserUID"] = false
      _ = try workspace.write(JSONValue.object(configuration).description, to: ".devcontainer/devcontainer.json")
    }

    static var repositoryRoot: String {
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    }

    /// `devcontainer` on PATH; skips the test (or, when engines are required, fails it) without it.
    static func requireDevcontainer() throws -> String {
      if let found = Executable.find("devcontainer") { return found }
      if DockerDaemon.isRequired { throw FixtureError("devcontainer not found: pip install devcontainer-rs") }
      try Test.cancel("devcontainer (pip install devcontainer-rs) is not installed")
    }

    func devcontainerUp(_ extra: [String] = [], through wrapper: [String] = []) async throws -> CommandRun {
      let up = [devcontainer, "up", "--workspace-folder", workspace.path] + extra
      let command = wrapper.isEmpty ? up : wrapper + up
      return try await CommandRun.run(
        command[0], Array(command.dropFirst()), environment: PreflightBinary.cleanEnvironment(environment),
        timeout: .seconds(240))
    }

    func docker(_ arguments: [String]) async throws -> CommandRun {
      try await CommandRun.run(
        Executable.find("docker") ?? "/usr/bin/docker", ["--host", host] + arguments,
        environment: PreflightBinary.cleanEnvironment())
    }

    /// The containers `devcontainer up` made for this workspace, and whether each is running.
    func containers() async throws -> [String: Bool] {
      let listed = try await docker([
        "ps", "-a", "--filter", "label=devcontainer.local_folder=\(workspace.path)", "--format",
        "{{.ID}} {{.State}}",
      ])
      return Dictionary(
        uniqueKeysWithValues: listed.standardOutput.split(separator: "\n").map { line in
          let fields = line.split(separator: " ")
          return (String(fields[0]), fields.count > 1 && fields[1] == "running")
        })
    }

    /// Removes the containers (a busybox `sh` as PID 1 ignores SIGTERM: left running, each would hold up the
    /// daemon's shutdown), stops whichever daemon runs, and removes the directories.
    func remove() async {
      if let ids = try? await containers().keys, !ids.isEmpty { _ = try? await docker(["rm", "-f"] + ids) }
      if let runningDaemon { await runningDaemon.stop() }
      await daemonHome.stop()
      heal.remove()
      workspace.remove()
    }
  }

  @Test("wrapper: engine stopped, exec --heal --yes -- devcontainer up starts it, then the container runs")
  func wrapper() async throws {
    let scene = try await Scene(example: "wrapper", engine: .stopped)
    let run = await capture {
      try await scene.devcontainerUp(through: [
        PreflightBinary.path, "exec", "--heal", "--yes", "--timeout", "120s", "--",
      ])
    }
    let containers = (try? await scene.containers()) ?? [:]
    let calls = scene.calls
    await scene.remove()
    let up = try run.get()

    #expect(up.status == 0, "\(up.standardError)")
    #expect(try JSONValue.parse(up.standardOutput)["outcome"] == "success")
    #expect(containers.count == 1)
    #expect(containers.values.allSatisfy { $0 })
    #expect(calls == ["started"])
    // It had to wait: the progress and the summary are on stderr, before devcontainer's own.
    #expect(up.standardError.contains("engine down, healing"))
    #expect(up.standardError.contains("engine ready after"))
  }

  @Test("docker-path shim: engine stopped, it heals before the CLI's first docker ps; docker's output unchanged")
  func dockerPathShim() async throws {
    var scene = try await Scene(example: "docker-path", engine: .stopped)
    // Behind the shim, a docker that logs its arguments into the same record as the start command's launches.
    let docker = Executable.find("docker") ?? "/usr/bin/docker"
    let logging = try scene.heal.directory.write(
      """
      #!/bin/sh
      printf 'docker %s\\n' "$*" >> \(StubCommands.shellQuoted(scene.callsPath))
      exec \(StubCommands.shellQuoted(docker)) "$@"

      """, to: "real/docker", mode: 0o755)
    try scene.configure(["dockerPath": .string(logging)])
    scene.heal.environment["PREFLIGHT_HEAL"] = "1"
    let results = await capture {
      let up = try await scene.devcontainerUp(["--docker-path", scene.shim])
      let commands = [
        ["ps", "-q"], ["version", "--format", "{{.Server.APIVersion}}"], ["inspect", "nope"],
        ["images", "--format", "{{.Repository}}:{{.Tag}}"],
      ]
      var compared: [(CommandRun, CommandRun)] = []
      for command in commands {
        let throughShim = try await CommandRun.run(
          scene.shim, command, environment: PreflightBinary.cleanEnvironment(scene.environment))
        let direct = try await CommandRun.run(
          docker, command, environment: PreflightBinary.cleanEnvironment(scene.environment))
        compared.append((throughShim, direct))
      }
      return (up, compared)
    }
    let containers = (try? await scene.containers()) ?? [:]
    let calls = scene.calls
    await scene.remove()
    let (up, compared) = try results.get()

    #expect(up.status == 0, "\(up.standardError)")
    #expect(try JSONValue.parse(up.standardOutput)["outcome"] == "success")
    #expect(containers.count == 1)
    #expect(containers.values.allSatisfy { $0 })
    #expect(calls.first == "started", "\(calls)")
    #expect(calls.dropFirst().first?.hasPrefix("docker ps -q --filter label=") == true, "\(calls)")
    #expect(calls.contains { $0.hasPrefix("docker run -d ") })
    #expect(calls.filter { $0 == "started" }.count == 1)
    for (throughShim, direct) in compared {
      #expect(throughShim.status == direct.status)
      #expect(throughShim.standardOutput == direct.standardOutput)
      #expect(throughShim.standardError == direct.standardError)
    }
    #expect(compared[2].1.status == 1)
    #expect(compared[3].1.standardOutput.contains(Scene.image))
  }

  @Test(
    "initializeCommand runs and passes with the engine healthy: array, string and object forms, and with --id-label",
    arguments: [
      ("initialize-command", false), ("initialize-command-string", false), ("initialize-command-object", false),
      ("id-label", true),
    ])
  func initializeCommandHealthy(example: String, idLabel: Bool) async throws {
    let scene = try await Scene(example: example, engine: .running)
    let run = await capture {
      try await scene.devcontainerUp(
        idLabel ? ["--id-label", "devcontainer.local_folder=\(scene.workspace.path)"] : [])
    }
    let containers = (try? await scene.containers()) ?? [:]
    let calls = scene.calls
    await scene.remove()
    let up = try run.get()

    #expect(up.status == 0, "\(up.standardError)")
    #expect(containers.count == 1)
    #expect(containers.values.allSatisfy { $0 })
    #expect(calls == ["docker-preflight wait --heal --timeout 120s"])
  }

  @Test("CI bootstrap: engine stopped, the example job script starts it, brings the container up and runs in it")
  func ciJob() async throws {
    var scene = try await Scene(example: "ci", engine: .stopped)
    let report = scene.heal.directory.file("report.json")
    scene.heal.environment["PREFLIGHT_REPORT"] = report
    let script = "\(Scene.repositoryRoot)/devcontainer/examples/ci/ci-job.sh"
    let run = await capture {
      try await CommandRun.run(
        script, [scene.workspace.path, "sh", "-c", "echo inside: $(cat /proc/1/comm)"],
        environment: PreflightBinary.cleanEnvironment(scene.environment), timeout: .seconds(240))
    }
    let containers = (try? await scene.containers()) ?? [:]
    let calls = scene.calls
    let written = try? JSONValue.parse(String(contentsOfFile: report, encoding: .utf8))
    await scene.remove()
    let job = try run.get()

    #expect(job.status == 0, "\(job.standardError)")
    #expect(job.standardOutput.hasSuffix("inside: sh\n"))
    #expect(containers.count == 1)
    #expect(calls.first == "docker-preflight wait --heal --timeout 3m --json")
    #expect(calls.filter { $0 == "started" }.count == 1)
    #expect(written?["ready"] == true)
    #expect(written?["heal"] != nil)
    // Not a terminal: the wait's progress is timestamped lines in the job's log.
    #expect(!job.standardError.contains("\u{1B}"))
    let waitLines = job.standardError.split(separator: "\n").filter { $0.contains(scene.host + ": ") }
    #expect(waitLines.contains { $0.contains("socket missing (") })
    #expect(waitLines.allSatisfy { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .*/) != nil })
  }

  @Test("initializeCommand with the engine stopped: devcontainer-rs fails at its own docker ps, before the hook runs")
  func initializeCommandStopped() async throws {
    var scene = try await Scene(example: "initialize-command", engine: .stopped)
    // Consent and a start command: had the hook run, it would have started the engine.
    scene.heal.environment["PREFLIGHT_HEAL"] = "1"
    let run = await capture { try await scene.devcontainerUp() }
    let socketAppeared = FileManager.default.fileExists(atPath: scene.daemonHome.directory.file("docker.sock"))
    let calls = scene.calls
    await scene.remove()
    let up = try run.get()

    #expect(up.status == 1)
    #expect(up.standardError.contains("Cannot connect to the Docker daemon at \(scene.host)"))
    #expect(calls.isEmpty)
    #expect(!socketAppeared)
  }

  @Test("engine unstartable, through the wrapper: devcontainer up is not run; docker-preflight says why")
  func unstartableThroughWrapper() async throws {
    let scene = try await Scene(example: "wrapper", engine: .unstartable)
    let run = await capture {
      try await scene.devcontainerUp(through: [
        PreflightBinary.path, "exec", "--heal", "--yes", "--timeout", "60s", "--",
      ])
    }
    let calls = scene.calls
    await scene.remove()
    let up = try run.get()

    #expect(up.status == 1)
    #expect(up.standardOutput.isEmpty)
    #expect(calls == ["started"])
    #expect(up.standardError.contains("docker-preflight: the engine at \(scene.host) is not ready"))
    #expect(up.standardError.contains("the engine VM is damaged"))
    #expect(up.standardError.contains("docker-preflight: not running \(scene.devcontainer) up"))
  }

  @Test("engine unstartable, through the shim: devcontainer up fails and shows docker-preflight's explanation")
  func unstartableThroughShim() async throws {
    var scene = try await Scene(example: "docker-path", engine: .unstartable)
    scene.heal.environment["PREFLIGHT_HEAL"] = "1"
    let run = await capture { try await scene.devcontainerUp(["--docker-path", scene.shim]) }
    let calls = scene.calls
    await scene.remove()
    let up = try run.get()

    #expect(up.status == 1)
    #expect(calls == ["started"])
    #expect(up.standardError.contains("docker-preflight: the engine at \(scene.host) is not ready"))
    #expect(up.standardError.contains("the engine VM is damaged"))
    // Then docker ran, and failed as it would have.
    #expect(up.standardError.contains("Cannot connect to the Docker daemon at \(scene.host)"))
  }
}
