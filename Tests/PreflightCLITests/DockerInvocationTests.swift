import Testing

@testable import PreflightCLI

@Suite("The docker shim reads docker's command line as docker does")
struct DockerInvocationTests {
  @Test(
    "global options choose the engine; the command starts after them",
    arguments: [
      (["ps", "-q"], nil, nil, ["ps", "-q"]),
      (["-H", "unix:///x.sock", "ps"], "unix:///x.sock", nil, ["ps"]),
      (["--host=tcp://h:2375", "ps"], "tcp://h:2375", nil, ["ps"]),
      (["--host", "tcp://h:2375", "run", "-H", "x"], "tcp://h:2375", nil, ["run", "-H", "x"]),
      (["-Hunix:///y.sock", "info"], "unix:///y.sock", nil, ["info"]),
      (["-H=unix:///y.sock", "info"], "unix:///y.sock", nil, ["info"]),
      (["--context", "remote", "ps"], nil, "remote", ["ps"]),
      (["-c", "remote", "ps"], nil, "remote", ["ps"]),
      (["--context=remote", "-D", "ps"], nil, "remote", ["ps"]),
      (["-D", "-l", "debug", "ps"], nil, nil, ["ps"]),
      (["--log-level=debug", "--", "ps"], nil, nil, ["ps"]),
      (["-DH", "unix:///z.sock", "ps"], "unix:///z.sock", nil, ["ps"]),
    ] as [([String], String?, String?, [String])])
  func globalOptions(arguments: [String], host: String?, context: String?, command: [String]) {
    let invocation = DockerInvocation(arguments: arguments)
    #expect(invocation.host == host)
    #expect(invocation.context == context)
    #expect(invocation.command == command)
    #expect(!invocation.malformed)
  }

  @Test(
    "commands that need no engine go straight through",
    arguments: [
      [], ["-v"], ["--version"], ["--help"], ["-h"], ["help"], ["help", "run"], ["context", "ls"],
      ["--context", "x", "context", "show"], ["completion", "bash"], ["compose", "version"], ["buildx", "version"],
      ["ps", "--help"], ["container", "ls", "--help"], ["compose", "up", "--help"],
      // docker rejects these itself, before it asks any engine
      ["--bogus", "ps"], ["-H"],
    ])
  func withoutEngine(arguments: [String]) {
    #expect(!DockerInvocation(arguments: arguments).needsEngine)
  }

  @Test(
    "everything else readies the engine first",
    arguments: [
      ["ps", "-q"], ["version"], ["version", "--format", "{{.Server.Version}}"], ["info"], ["run", "img", "--help"],
      ["run", "-h", "host", "img"], ["compose", "up"], ["-H", "unix:///x", "ps"], ["login"], ["inspect", "nope"],
      ["run", "--rm", "img", "docker", "--version"],
    ])
  func withEngine(arguments: [String]) {
    #expect(DockerInvocation(arguments: arguments).needsEngine)
  }

  @Test("--config, --tls and --tlsverify reach the endpoint as DOCKER_CONFIG, DOCKER_TLS, DOCKER_TLS_VERIFY")
  func environment() {
    let invocation = DockerInvocation(
      arguments: ["--config", "/cfg", "--tlsverify", "--tlscacert", "/c/ca.pem", "-H", "tcp://h:2376", "ps"])
    let environment = invocation.applied(to: ["PATH": "/bin"])
    #expect(environment == ["PATH": "/bin", "DOCKER_CONFIG": "/cfg", "DOCKER_TLS_VERIFY": "1"])
    #expect(invocation.caCertificate == "/c/ca.pem")
    #expect(DockerInvocation(arguments: ["--tls", "ps"]).applied(to: [:]) == ["DOCKER_TLS": "1"])
  }

  @Test(
    "started as the shim: `docker-preflight docker ARGS` or a program named docker",
    arguments: [
      (["/usr/bin/docker-preflight", "docker", "ps", "-q"], ["ps", "-q"] as [String]?),
      (["/opt/shim/docker", "ps", "-q"], ["ps", "-q"]),
      (["docker"], []),
      (["docker-preflight", "docker"], []),
      (["docker-preflight", "check", "docker"], nil),
      (["/usr/bin/docker-preflight", "wait"], nil),
      (["/usr/bin/dockerd"], nil),
    ] as [([String], [String]?)])
  func shimInvocation(commandLine: [String], arguments: [String]?) {
    #expect(DockerShim.dockerArguments(of: commandLine) == arguments)
  }

  @Test(
    "the devcontainer.config_file label of a run or create names the Dev Container's configuration",
    arguments: [
      (["run", "-d", "--label", "devcontainer.config_file=/w/.devcontainer/devcontainer.json", "img"],
       "/w/.devcontainer/devcontainer.json"),
      (["-H", "unix:///s", "container", "create", "-l", "devcontainer.config_file=/c.json", "img"], "/c.json"),
      (["run", "--label=devcontainer.config_file=/c.json", "img"], "/c.json"),
      (["ps", "-q", "--filter", "label=devcontainer.config_file=/c.json"], nil),
      (["run", "--label", "devcontainer.local_folder=/w", "img"], nil),
      (["run", "--label", "devcontainer.config_file=", "img"], nil),
    ] as [([String], String?)])
  func devContainerLabel(arguments: [String], expected: String?) {
    #expect(DockerInvocation(arguments: arguments).devContainerConfigFile == expected)
  }
}

@Suite("Global options before the subcommand")
struct GlobalOptionOrderTests {
  @Test(
    "are moved after it, as the parser wants them",
    arguments: [
      (["-H", "unix:///x", "check", "--json"], ["check", "-H", "unix:///x", "--json"]),
      (["--context", "c", "--log-level", "debug", "wait"], ["wait", "--context", "c", "--log-level", "debug"]),
      (["--config=/d", "endpoints"], ["endpoints", "--config=/d"]),
      (["-Hunix:///x", "exec", "--", "true"], ["exec", "-Hunix:///x", "--", "true"]),
      (["-H", "unix:///x", "docker", "ps"], ["docker", "-H", "unix:///x", "ps"]),
      (["check", "-H", "unix:///x"], ["check", "-H", "unix:///x"]),
      (["-H", "unix:///x"], ["-H", "unix:///x"]),
      (["-H", "unix:///x", "--help"], ["-H", "unix:///x", "--help"]),
      (["--version"], ["--version"]),
    ] as [([String], [String])])
  func moved(arguments: [String], expected: [String]) {
    #expect(GlobalOptions.movedAfterSubcommand(arguments) == expected)
  }
}

@Suite("What stderr can show")
struct TerminalStyleTests {
  @Test(
    "a terminal gets a live line; escapes unless NO_COLOR or TERM=dumb; Unicode only with a UTF-8 locale",
    arguments: [
      (true, ["TERM": "xterm", "LANG": "en_US.UTF-8"], TerminalStyle(liveLine: true, escapes: true, unicode: true)),
      (
        true, ["TERM": "xterm", "LANG": "C.utf8", "NO_COLOR": ""], .init(liveLine: true, escapes: false, unicode: true)
      ),
      (true, ["TERM": "dumb", "LANG": "C.UTF-8"], .init(liveLine: false, escapes: false, unicode: true)),
      (true, ["TERM": "xterm"], .init(liveLine: true, escapes: true, unicode: false)),
      (
        true, ["TERM": "xterm", "LC_ALL": "C", "LANG": "en_US.UTF-8"],
        .init(liveLine: true, escapes: true, unicode: false)
      ),
      (true, ["LC_CTYPE": "de_DE.UTF-8", "LANG": "C"], .init(liveLine: true, escapes: true, unicode: true)),
      (false, ["TERM": "xterm", "LANG": "C.UTF-8"], .init(liveLine: false, escapes: false, unicode: true)),
    ] as [(Bool, [String: String], TerminalStyle)])
  func style(isTerminal: Bool, environment: [String: String], expected: TerminalStyle) {
    #expect(TerminalStyle(isTerminal: isTerminal, environment: environment) == expected)
  }

  @Test("in ASCII, marks and punctuation have plain stand-ins")
  func ascii() {
    let ascii = TerminalStyle(liveLine: true, escapes: false, unicode: false)
    #expect(ascii.text("✔ ready · 1 s … → next ✘") == "ok ready - 1 s ... -> next FAILED")
    #expect(ascii.mark(succeeded: true) == "ok")
    #expect(ascii.spinnerFrames.allSatisfy { $0.allSatisfy(\.isASCII) })
    let colour = TerminalStyle(liveLine: true, escapes: true, unicode: true)
    #expect(colour.mark(succeeded: false) == "\u{1B}[31m✘\u{1B}[0m")
  }
}
