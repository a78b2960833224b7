import ArgumentParser

/// `docker-preflight docker ARGS…`: the docker-path shim. `main` runs it before the argument parser when `docker` is
/// the first argument (or the program is called `docker`); this command is what `help` and the completion scripts
/// show, and what runs when global options come first (`docker-preflight -H unix:///x docker ps` is
/// `docker -H unix:///x ps`).
struct DockerShimCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "docker",
    abstract: "Ready the engine (healing only with standing consent), then run the real docker CLI with ARGS.",
    discussion: """
      A drop-in for the docker CLI: point `devcontainer up --docker-path`, VS Code's dev.containers.dockerPath, or \
      PATH (a link named `docker`, e.g. from `make install SHIM=1`) at it. It finds the engine docker will use (its \
      -H/--host, -c/--context, --config and --tls* options in ARGS, DOCKER_HOST, DOCKER_CONTEXT, the current \
      context), asks it `_ping`, and once it answers replaces itself with the real docker CLI: "dockerPath" in the \
      configuration, else the next `docker` on PATH that is not this program. ARGS are passed untouched; docker's \
      output and exit status are its own.

      A ready engine is remembered for 3 s, so a burst of docker commands asks it once. When it does not answer: \
      with PREFLIGHT_HEAL=1 or "heal": {"allow": true} in the configuration the shim heals and waits (progress on \
      stderr), else it explains on stderr why docker is about to fail; either way docker then runs. Commands that \
      need no engine go straight through: docker, -v/--version, --help, help, context, completion, compose version, \
      buildx version, and `docker COMMAND --help`.

      Examples:
        PREFLIGHT_HEAL=1 docker-preflight docker ps
        ln -s "$(command -v docker-preflight)" ~/.local/libexec/docker-preflight/docker
        devcontainer up --docker-path ~/.local/libexec/docker-preflight/docker --workspace-folder .

      Exit codes: docker's own; 127 no docker CLI found (other than this program), 130 / 143 interrupted (SIGINT / \
      SIGTERM) while waiting.
      """
  )

  @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The docker CLI's arguments.", valueName: "args"))
  var arguments: [String] = []

  func run() async throws {
    guard let shim = DockerShim.prepare(commandLine: ["docker"] + arguments) else { return }
    await shim.run()
  }
}
