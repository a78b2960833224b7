import Foundation
import JSON
import TestSupport
import Testing

/// The security review, one test per point: no shell, `sudo -n` only, heal only with consent, no secret in any
/// output or log, the docker CLI's files only read, untrusted socket paths reported, sizes bounded.
@Suite("Security: a heal that can never be turned against its user")
struct SecurityTests {
  // MARK: - No shell

  @Test(
    "a start command is argv: shell syntax in the program or its arguments is passed literally, never run",
    arguments: [true, false])
  func noShell(fromConfigurationFile: Bool) async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let marker = scene.directory.file("marker")
    let stub = try scene.stubs.add("start-engine", exitStatus: 1)
    let arguments = ["a;b", "$(touch \(marker))", "`touch \(marker)`", "x && touch \(marker)", "| touch \(marker)"]
    for command in [[stub] + arguments, ["touch \(marker); true"], ["$(touch \(marker))"]] {
      if fromConfigurationFile {
        let json = JSONValue.object(["startCommand": .array(command.map(JSONValue.string))]).description
        _ = try scene.directory.write(json, to: "config/docker-preflight/config.json")
        scene.environment["PREFLIGHT_START_COMMAND"] = nil
      } else {
        scene.startCommand = command
      }
      let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "configured", "--timeout", "20s"])
      #expect(run.status == 1)
      #expect(outcome?["steps"]?[0]?["command"] == .array(command.map(JSONValue.string)))
      if command.first != stub {
        // A program name with shell syntax in it is looked for as a file of that name, which does not exist.
        #expect(outcome?["steps"]?[0]?["outcome"] == "not-launched")
      }
    }
    #expect(scene.stubs.invocations == [["start-engine"] + arguments])
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  // MARK: - sudo -n

  /// The privileged steps of a machine this one cannot be (systemd managing Docker, a sysvinit script, a system
  /// Podman socket), planned for a user who is not root, through a fixture host root. A stub `sudo` records its argv,
  /// whether it could prompt (a terminal on stdin, a controlling terminal to open), and fails as `sudo -n` does.
  @Test(
    "fixture: privileged steps run sudo -n, with no terminal to prompt on, even when heal has one",
    arguments: [
      ("systemd", ["sudo", "-n", "systemctl", "start", "docker.socket", "docker.service"]),
      ("sysvinit", ["sudo", "-n", "service", "docker", "start"]),
      ("podman-socket", ["sudo", "-n", "systemctl", "start", "podman.socket"]),
    ])
  func sudoNonInteractive(strategy: String, expected: [String]) async throws {
    try #require(getuid() == 0, "needs root to run the heal as nobody")
    let setpriv = try #require(Executable.find("setpriv"), "needs setpriv (util-linux)")
    let script = try #require(Executable.find("script"), "needs script (util-linux) for a terminal")
    let directory = try TemporaryDirectory(prefix: "sudo")
    defer { directory.remove() }
    let root = directory.file("root")
    var socket = "\(root)/var/run/docker.sock"
    switch strategy {
    case "systemd":
      _ = try directory.write("", to: "root/run/systemd/system/.keep")
      _ = try directory.write("[Unit]\n", to: "root/lib/systemd/system/docker.service")
      _ = try directory.write("[Unit]\n", to: "root/lib/systemd/system/docker.socket")
    case "sysvinit":
      _ = try directory.write("#!/bin/sh\n", to: "root/etc/init.d/docker", mode: 0o755)
    default:
      socket = "\(root)/run/podman/podman.sock"
    }
    try FileManager.default.createDirectory(
      atPath: (socket as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let record = directory.file("sudo.record")
    _ = try directory.write(
      """
      #!/bin/sh
      { printf '%s\\n' "$@"; printf 'stdin-tty=%s\\n' "$([ -t 0 ] && echo yes || echo no)"
        printf 'dev-tty=%s\\n' "$( (: < /dev/tty) 2>/dev/null && echo yes || echo no)"; } > \(StubCommands.shellQuoted(record))
      [ "$1" = "-n" ] || { echo "sudo: would prompt for a password" >&2; exit 99; }
      echo "sudo: a password is required" >&2
      exit 1

      """, to: "bin/sudo", mode: 0o755)
    // Everything the heal writes is nobody's.
    _ = try await CommandRun.run("/bin/chown", ["-R", "nobody:nogroup", directory.path])
    chmod(directory.path, 0o755)
    let environment = PreflightBinary.cleanEnvironment([
      "HOME": directory.path, "XDG_STATE_HOME": directory.file("state"), "XDG_RUNTIME_DIR": directory.file("run"),
      "XDG_CONFIG_HOME": directory.file("config"), "PREFLIGHT_HOST_ROOT": root, "DOCKER_HOST": "unix://\(socket)",
      "PATH": "\(directory.file("bin")):/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    ])
    let heal = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", PreflightBinary.path, "heal", "--yes",
      "--json", "--strategy", strategy, "--timeout", "20s"].map(StubCommands.shellQuoted).joined(separator: " ")
    let run = try await CommandRun.run(script, ["-qec", heal, "/dev/null"], environment: environment)
    #expect(run.status == 1, "\(run.standardOutput)")
    let recorded = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(["sudo"] + recorded.dropLast(2) == expected)
    #expect(recorded.suffix(2) == ["stdin-tty=no", "dev-tty=no"])
    #expect(run.standardOutput.contains("a password is required"))
  }

  // MARK: - Consent

  enum HealPath: String, CaseIterable, Sendable {
    case cliHeal = "heal"
    case cliWait = "wait --heal"
    case cliExec = "exec --heal"
    case cliHealWithdrawn = "heal, consent in the file withdrawn by PREFLIGHT_HEAL=0"
    case serveHeal = "serve heal"
    case serveWaitReady = "serve waitReady {heal}"
    case serveWatch = "serve watch {recover}"
  }

  /// Every command that takes `--yes` (PreflightCLITests checks that each is listed), and the protocol's healing
  /// methods. The docker-path shim takes no `--yes`: DockerShimTests proves it heals only with standing consent.
  @Test("no consent, no heal: every path refuses and runs nothing", arguments: HealPath.allCases)
  func consent(path: HealPath) async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine")
    scene.startCommand = [stub]
    switch path {
    case .cliHeal:
      let (run, _) = try await scene.heal(["--strategy", "configured"])
      #expect(run.status == 1)
      #expect(run.standardError.contains("Not permitted"))
    case .cliWait:
      let run = try await PreflightRun.run(["wait", "--heal", "--timeout", "20s"], environment: scene.environment)
      #expect(run.status == 1)
      #expect(run.standardOutput.contains("heal not permitted"))
    case .cliExec:
      let marker = scene.directory.file("ran")
      let run = try await PreflightRun.run(
        ["exec", "--heal", "--timeout", "20s", "--", "/usr/bin/touch", marker], environment: scene.environment)
      #expect(run.status == 1)
      #expect(!FileManager.default.fileExists(atPath: marker))
    case .cliHealWithdrawn:
      _ = try scene.directory.write(#"{"heal": {"allow": true}}"#, to: "config/docker-preflight/config.json")
      scene.environment["PREFLIGHT_HEAL"] = "0"
      let (run, _) = try await scene.heal(["--strategy", "configured"])
      #expect(run.status == 1)
    case .serveHeal, .serveWaitReady, .serveWatch:
      let session = try ServeSession(
        framing: .contentLength, environment: PreflightBinary.cleanEnvironment(scene.environment))
      _ = try await session.request("initialize", params: ["capabilities": [:]])
      switch path {
      case .serveHeal:
        #expect(try await session.request("heal", params: [:])["error"]?["code"] == -32010)
      case .serveWaitReady:
        let answer = try await session.request("waitReady", params: ["heal": true, "timeoutMs": 20_000])
        #expect(answer["error"]?["code"] == -32010)
      default:
        _ = try await session.request("watch", params: ["recover": true, "intervalMs": 200])
        let said = try await session.take(what: "the recovery's log message") {
          $0["method"] == "window/logMessage"
            && $0["params"]?["message"]?.stringValue?.contains("heal not-permitted") == true
        }
        #expect(said["params"]?["type"] == 2)
        _ = try await session.request("unwatch")
      }
      #expect(try await session.finish() == 0)
    }
    #expect(scene.stubs.invocations.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: scene.actionLog))
  }

  @Test("on a terminal, heal asks; anything but y is no", arguments: [("n\n", false), ("\n", false), ("y\n", true)])
  func consentOnTerminal(answer: String, runs: Bool) async throws {
    let script = try #require(Executable.find("script"), "needs script (util-linux) for a terminal")
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine", exitStatus: 1)
    scene.startCommand = [stub]
    let command = [PreflightBinary.path, "heal", "--strategy", "configured", "--timeout", "20s"]
      .map(StubCommands.shellQuoted).joined(separator: " ")
    let run = try await CommandRun.run(
      script, ["-qec", command, "/dev/null"], environment: PreflightBinary.cleanEnvironment(scene.environment),
      input: answer)
    #expect(run.standardOutput.contains("Start the engine? [y/N]"))
    #expect(run.status == 1)
    #expect(scene.stubs.invocations == (runs ? [["start-engine"]] : []))
  }

  // MARK: - Secrets

  @Test("no planted secret reaches any output, report or the action log, even from a start command that prints them")
  func secrets() async throws {
    try await TestPKI.with { pki in
      var scene = try HealTests.Scene()
      defer { scene.remove() }
      let secretValues = [
        "PREFLIGHT_TEST_SECRET": "pts-3c1f0b9e2d",
        "AWS_SECRET_ACCESS_KEY": "aws-wJalrXUtnFEMI-K7MDENG",
        "GITHUB_TOKEN": "ghp_planted0123456789",
      ]
      for (name, value) in secretValues { scene.environment[name] = value }
      // Registry credentials as `docker login` stores them: base64 of "robot:registry-pass-8d2e".
      let dockerConfig = scene.directory.file("docker-config")
      _ = try scene.directory.write(
        #"{"auths": {"registry.example": {"auth": "cm9ib3Q6cmVnaXN0cnktcGFzcy04ZDJl"}, "#
          + #""ghcr.io": {"identitytoken": "ghcr-identity-5a7c"}}}"#, to: "docker-config/config.json")
      scene.environment["DOCKER_CONFIG"] = dockerConfig
      let certificates = try pki.certificateDirectory(
        named: "secrets-\(UInt32.random(in: 0...UInt32.max))", ca: pki.caPath, certificate: pki.clientCertificatePath,
        key: pki.clientKeyPath)
      let keyText = try String(contentsOfFile: pki.clientKeyPath, encoding: .utf8)
      let keyLine = try #require(keyText.split(separator: "\n").dropFirst().first.map(String.init))
      // A start command that prints everything it can find, then fails (so that its output is reported).
      let leaky = try scene.directory.write(
        """
        #!/bin/sh
        env
        cat \(StubCommands.shellQuoted(dockerConfig + "/config.json"))
        cat \(StubCommands.shellQuoted(certificates + "/key.pem"))
        exit 1

        """, to: "leaky-start", mode: 0o755)
      scene.startCommand = [leaky]
      try scene.healOnlyByConfiguredCommand()
      let planted = Array(secretValues.values) + [
        "cm9ib3Q6cmVnaXN0cnktcGFzcy04ZDJl", "registry-pass-8d2e", "ghcr-identity-5a7c", keyLine,
      ]

      var outputs: [String] = []
      for arguments in [
        ["heal", "--yes", "--json", "--strategy", "configured", "--timeout", "20s"],
        ["heal", "--yes", "--strategy", "configured", "--timeout", "20s", "--log-level", "trace"],
        ["wait", "--heal", "--yes", "--json", "--timeout", "20s"], ["check", "--json"], ["endpoints", "--json"],
      ] {
        let run = try await PreflightRun.run(arguments, environment: scene.environment)
        outputs += [run.standardOutput, run.standardError]
      }
      // TLS with the planted key: the report of a TLS endpoint that does not answer.
      var tls = scene.environment
      tls["DOCKER_HOST"] = "tcp://127.0.0.1:9"
      tls["DOCKER_TLS_VERIFY"] = "1"
      tls["DOCKER_CERT_PATH"] = certificates
      let tlsCheck = try await PreflightRun.run(["check", "--json", "--log-level", "trace"], environment: tls)
      outputs += [tlsCheck.standardOutput, tlsCheck.standardError]

      let session = try ServeSession(
        framing: .contentLength, arguments: ["--log-level", "trace"],
        environment: PreflightBinary.cleanEnvironment(scene.environment))
      _ = try await session.request("diagnose")
      _ = try await session.request("heal", params: ["allow": true, "workDoneToken": "h"])
      _ = try await session.request("waitReady", params: ["heal": true, "allow": true, "timeoutMs": 20_000])
      #expect(try await session.finish() == 0)
      outputs += await session.received.map(\.description) + [session.child.standardError]
      let log = try String(contentsOfFile: scene.actionLog, encoding: .utf8)
      outputs.append(log)

      // The leaky command did run and print: its output is in the log, redacted.
      #expect(log.contains("[redacted]"))
      #expect(log.contains("[redacted private key]"))
      for secret in planted {
        for (index, output) in outputs.enumerated() {
          #expect(!output.contains(secret), "output \(index) holds \(secret)")
        }
      }
    }
  }

  // MARK: - The docker CLI's files are only read

  @Test("the config, contexts, TLS files and provider sockets are read, never written, by every command")
  func readOnly() async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine", exitStatus: 1)
    scene.startCommand = [stub]
    try scene.healOnlyByConfiguredCommand()
    // The docker CLI's configuration, with a context, and the places providers put their sockets.
    let config = scene.directory.file("docker-config")
    let contextName = "remote"
    let digest = try await CommandRun.run("/bin/sh", ["-c", "printf %s \(contextName) | sha256sum | cut -c1-64"])
    let folder = digest.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    _ = try scene.directory.write(#"{"currentContext": "remote", "auths": {}}"#, to: "docker-config/config.json")
    _ = try scene.directory.write(
      #"{"Name": "remote", "Metadata": {}, "Endpoints": {"docker": {"Host": "unix://\#(scene.directory.file("none.sock"))"}}}"#,
      to: "docker-config/contexts/meta/\(folder)/meta.json")
    _ = try scene.directory.write("not a certificate\n", to: "docker-config/contexts/tls/\(folder)/docker/ca.pem")
    scene.environment["DOCKER_CONFIG"] = config
    scene.environment["DOCKER_HOST"] = nil
    for socket in [".colima/default/docker.sock", ".docker/run/docker.sock", ".rd/docker.sock", "run/docker.sock"] {
      try FileManager.default.createDirectory(
        atPath: (scene.directory.file(socket) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try StaleSocket.create(at: scene.directory.file(socket))
    }
    let watched = [config, scene.directory.file(".colima"), scene.directory.file(".docker"),
      scene.directory.file(".rd"), scene.directory.file("run/docker.sock")]
    let before = try FileSnapshot(watched)

    let commands: [[String]] = [
      ["check"], ["check", "--json", "--context", contextName], ["endpoints", "--json"], ["heal", "--dry-run"],
      ["heal", "--yes", "--strategy", "configured", "--timeout", "10s"], ["wait", "--timeout", "200ms"],
    ]
    for command in commands {
      _ = try await PreflightRun.run(command, environment: scene.environment)
      #expect(try FileSnapshot(watched) == before, "\(command) changed the docker CLI's files")
    }
    let session = try ServeSession(
      framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(scene.environment))
    _ = try await session.request("diagnose", params: ["context": .string(contextName)])
    _ = try await session.request("watch", params: ["intervalMs": 100])
    _ = try await session.request("waitReady", params: ["timeoutMs": 200])
    _ = try await session.request("heal", params: ["allow": true, "timeoutMs": 10_000])
    _ = try await session.request("unwatch")
    #expect(try await session.finish() == 0)
    #expect(try FileSnapshot(watched) == before, "serve changed the docker CLI's files")
  }

  // MARK: - Untrusted sockets

  @Test("a daemon reached through a link another user owns is answered, but reported socket-untrusted")
  func untrustedLink() async throws {
    try #require(getuid() == 0, "needs root to give the link to another user")
    try await withDockerDaemon { daemon in
      let directory = try TemporaryDirectory()
      defer { directory.remove() }
      let link = directory.file("docker.sock")
      symlink(daemon.socketPath, link)
      lchown(link, 65534, 65534)
      let run = try await PreflightRun.run(["check", "--json", "-H", "unix://\(link)"])
      #expect(run.status == 1)
      let report = try JSONValue.parse(run.standardOutput)
      #expect(report["daemonAccessible"] == true)
      #expect(report["status"] == "degraded")
      let socket = report["checks"]?.arrayValue?.first { $0["id"] == "socket" }
      #expect(socket?["status"] == "fail")
      let issue = report["issues"]?.arrayValue?.first { $0["code"] == "socket-untrusted" }
      #expect(issue?["message"]?.stringValue?.contains("belongs to nobody (uid 65534)") == true, "\(report)")
      #expect(issue?["message"]?.stringValue?.contains("a symbolic link to \(daemon.socketPath)") == true)

      // The daemon's own socket, as it made it, is trusted.
      let direct = try await PreflightRun.run(["check", "--json", "-H", daemon.host])
      #expect(direct.status == 0)
      let trusted = try JSONValue.parse(direct.standardOutput)["checks"]?.arrayValue?.first { $0["id"] == "socket" }
      #expect(trusted?["status"] == "pass")
    }
  }

  @Test("heal refuses to launch dockerd on a socket in a directory anyone may write to; check says why")
  func refusesWorldWritableDirectory() async throws {
    guard getuid() == 0 else { try Test.cancel("the dockerd step is planned only for root") }
    let open = try TemporaryDirectory()
    defer { open.remove() }
    chmod(open.path, 0o777)
    var scene = try HealTests.Scene(host: "unix://\(open.file("docker.sock"))")
    defer { scene.remove() }
    try scene.stubs.add("dockerd")
    scene.environment["PATH"] = "\(scene.stubs.binDirectory):/usr/bin:/bin"
    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "dockerd", "--timeout", "20s"])
    #expect(run.status == 1)
    #expect(outcome?["steps"]?[0]?["outcome"] == "refused")
    #expect(outcome?["steps"]?[0]?["output"]?.stringValue?.contains("writable by other users") == true)
    #expect(scene.stubs.invocations.isEmpty)
    let issues = outcome?["report"]?["issues"]?.arrayValue ?? []
    #expect(issues.contains { $0["code"] == "socket-untrusted" })
  }

  // MARK: - Bounds

  @Test("configuration files past their size bound are refused with exit 2, naming the file")
  func oversizedConfiguration() async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let padding = String(repeating: " ", count: 2 << 20)
    let ours = try scene.directory.write("{" + padding + "}", to: "config/docker-preflight/config.json")
    var run = try await PreflightRun.run(["check"], environment: scene.environment)
    #expect(run.status == 2)
    #expect(run.standardError.contains(ours))
    try FileManager.default.removeItem(atPath: ours)

    // Were it read despite its size, its context does not exist: the command would stop with 2 all the same, never
    // falling back to this machine's default socket.
    let dockers = try scene.directory.write(
      #"{"currentContext": "nowhere","# + String(repeating: " ", count: 5 << 20) + "}", to: "docker-config/config.json")
    scene.environment["DOCKER_CONFIG"] = scene.directory.file("docker-config")
    scene.environment["DOCKER_HOST"] = nil
    run = try await PreflightRun.run(["check"], environment: scene.environment)
    #expect(run.status == 2)
    #expect(run.standardError.contains(dockers))
    #expect(run.standardError.contains("larger than 4 MiB"))
  }

  @Test("a context store of hundreds of contexts is listed up to its bound, and the rest named")
  func manyContexts() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let count = 300
    for index in 0..<count {
      _ = try directory.write(
        #"{"Name": "c\#(index)", "Endpoints": {"docker": {"Host": "unix://\#(directory.file("none-\(index).sock"))"}}}"#,
        to: "contexts/meta/\(String(format: "%064x", index))/meta.json")
    }
    let run = try await PreflightRun.run(
      ["endpoints", "--json", "--timeout", "200ms"],
      environment: ["DOCKER_CONFIG": directory.path, "HOME": directory.path, "DOCKER_HOST": "unix:///nonexistent.sock"],
      timeout: .seconds(120))
    #expect(run.status == 0, "\(run.standardError)")
    let listed = try JSONValue.parse(run.standardOutput)
    let contexts = listed["endpoints"]?.arrayValue?.filter {
      $0["source"]?.stringValue?.hasPrefix("context ") == true
    }
    #expect(contexts?.count == 256)
    #expect(run.standardOutput.contains("only the first 256 were read") || run.standardError.contains("only the first 256"))
  }
}

/// What a set of files and directories look like: every entry's type, mode, owner, size, modification and change
/// times, and contents. Equal snapshots mean nothing was written, created, removed, or had its mode changed.
struct FileSnapshot: Equatable {
  struct Entry: Equatable {
    var kind: UInt32
    var mode: UInt32
    var owner: UInt32
    var size: Int64
    var modified: Int
    var modifiedNanoseconds: Int
    var changed: Int
    var changedNanoseconds: Int
    var contents: [UInt8]?
  }

  var entries: [String: Entry] = [:]

  init(_ roots: [String]) throws {
    for root in roots { try add(root) }
  }

  private mutating func add(_ path: String) throws {
    var status = stat()
    guard lstat(path, &status) == 0 else { return }
    let kind = UInt32(status.st_mode & S_IFMT)
    entries[path] = Entry(
      kind: kind, mode: UInt32(status.st_mode & 0o7777), owner: status.st_uid, size: Int64(status.st_size),
      modified: status.st_mtim.tv_sec, modifiedNanoseconds: status.st_mtim.tv_nsec, changed: status.st_ctim.tv_sec,
      changedNanoseconds: status.st_ctim.tv_nsec,
      contents: kind == UInt32(S_IFREG) ? Array(try Data(contentsOf: URL(fileURLWithPath: path))) : nil)
    if kind == UInt32(S_IFDIR) {
      for name in try FileManager.default.contentsOfDirectory(atPath: path) { try add("\(path)/\(name)") }
    }
  }
}
