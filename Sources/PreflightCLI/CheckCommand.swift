import ArgumentParser
import EngineKit
import Preflight

/// `docker-preflight check`: diagnose once and print the report.
struct CheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Diagnose the engine once and print the report.",
    discussion: """
      Examples:
        docker-preflight check
        docker-preflight check --json | jq .status
        DOCKER_HOST=unix:///run/user/1000/docker.sock docker-preflight check
        docker-preflight check --context remote
        docker-preflight check --deep --probe-image busybox:latest
        docker-preflight check --quiet || echo "the engine is not healthy"
        docker-preflight check --devcontainer          # also what devcontainer up needs, for ./.devcontainer
        docker-preflight check --devcontainer ~/src/app/.devcontainer/devcontainer.json --json

      Exit codes: 0 healthy, 1 unhealthy, 2 usage or configuration error.
      """
  )

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print the report as JSON on stdout.")
  var json = false

  @Flag(name: [.customShort("q"), .long], help: "Print nothing: the exit status is the answer.")
  var quiet = false

  @Option(help: "How long to wait for the engine to answer each call, e.g. 2s, 500ms.")
  var timeout: TimeoutValue = TimeoutValue(duration: .seconds(2))

  @Flag(help: "Also run a container from --probe-image (without network) and remove it.")
  var deep = false

  @Option(help: "The image --deep runs `true` in (default: the configuration's probeImage); never pulled.")
  var probeImage: String?

  @Option(help: "How long --deep may take to create, start and wait for the container.")
  var probeTimeout: TimeoutValue = TimeoutValue(duration: .seconds(30))

  @Flag(
    help: ArgumentHelp(
      "Also check what `devcontainer up` will need from this host: the devcontainer.json at PATH (a file, or a "
        + "workspace folder: .devcontainer/devcontainer.json, else .devcontainer.json; default: the current folder)."))
  var devcontainer = false

  @Argument(
    help: ArgumentHelp("With --devcontainer: the devcontainer.json, or the workspace folder.", valueName: "path"))
  var devcontainerPath: String?

  func validate() throws {
    if devcontainerPath != nil && !devcontainer {
      throw ValidationError("a path is taken only with --devcontainer (check --devcontainer PATH)")
    }
  }

  func run() async throws {
    global.bootstrapLogging()
    let configuration = try global.loadConfiguration()
    let endpoint = try global.resolveEndpoint()
    var options = DiagnoseOptions(
      timeout: timeout.duration, deep: deep, probeImage: probeImage, probeTimeout: probeTimeout.duration,
      host: HostEnvironment(environment: global.environment))
    options.applyDefaults(from: configuration)
    if devcontainer {
      options.devContainer = DevContainerPreflight.load(
        devcontainerPath, environment: global.environment, configuration: configuration)
    }
    let probe = EngineHeadStart.take(for: options.client(for: endpoint))
    let report = await Diagnoser(endpoint: endpoint, options: options).diagnose(probe: probe)
    if json {
      try FileHandleStream.standardOutput.writeJSON(report)
    } else if !quiet {
      FileHandleStream.standardOutput.write(ReportRenderer().render(report))
    }
    if !report.healthy { throw ExitCode(ExitStatus.unhealthy) }
  }
}

/// A duration written as `90s`, `500ms`, `2m` or a bare number of seconds.
struct TimeoutValue: ExpressibleByArgument, Sendable {
  var duration: Duration

  init(duration: Duration) { self.duration = duration }

  init?(argument: String) {
    guard let duration = Self.parse(argument) else { return nil }
    self.duration = duration
  }

  static func parse(_ text: String) -> Duration? { DurationText.parse(text) }
}
