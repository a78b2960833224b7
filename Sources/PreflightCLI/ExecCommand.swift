import ArgumentParser
import EngineKit
import Preflight

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `docker-preflight exec -- CMD ARGS…`: wait until the engine is ready (healing it if asked), then become CMD.
struct ExecCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exec",
    abstract: "Wait until the engine is ready (healing it with --heal), then run a command in place of this process.",
    discussion: """
      Waits as `wait` does, then replaces itself with CMD (found on PATH as a shell would): CMD gets the same pid, \
      stdin, stdout and stderr, and its exit status is exec's. If the engine is ready at once, nothing is printed; \
      if it had to wait, the progress and a ✔ summary go to stderr. If the engine never becomes ready, CMD is not \
      run: stderr says which endpoint, what is wrong with it and what to do next.

      When CMD is `devcontainer up` (or `npx @devcontainers/cli up`), what it will need from this host is checked \
      first, as `check --devcontainer` does, on the devcontainer.json its --override-config, --config or \
      --workspace-folder names: a failed check stops it with the findings (exit 1); warnings are printed and it runs.

      Examples:
        docker-preflight exec --heal --yes -- devcontainer up --workspace-folder .
        PREFLIGHT_HEAL=1 docker-preflight exec --heal -- docker compose up -d
        docker-preflight -H ssh://build-host exec --timeout 2m -- make images

      Exit codes: CMD's status once it runs; 1 the engine did not become ready (timeout, or it could not be healed), \
      or a Dev Container check failed; 2 usage or configuration error, 126 CMD is not executable, 127 CMD was not \
      found, 130 interrupted (SIGINT) or 143 stopped (SIGTERM) while waiting.
      """
  )

  @OptionGroup var global: GlobalOptions

  @OptionGroup var waiting: WaitingOptions

  @Flag(name: [.customShort("q"), .long], help: "No progress on stderr; only a failure is explained.")
  var quiet = false

  @Flag(help: "When the engine does not become ready, print {ready, elapsedMs, report, heal?} as JSON on stdout.")
  var json = false

  @Flag(
    help: ArgumentHelp(
      "Run CMD even when it is `devcontainer up` and what it needs from this host is missing.",
      discussion: "Without it, `devcontainer up` runs only when the checks of check --devcontainer fail none."))
  var noDevcontainerChecks = false

  @Argument(
    parsing: .captureForPassthrough,
    help: ArgumentHelp("The command to run once the engine is ready, after --.", valueName: "command"))
  var command: [String] = []

  /// The command without the `--` that ends exec's own options.
  var commandLine: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

  func validate() throws {
    // The command is captured as it is written, so exec's own --help arrives as its first word.
    if ["--help", "-h"].contains(command.first) { throw CleanExit.helpRequest(self) }
    if commandLine.isEmpty { throw ValidationError("Name the command to run after --, e.g. exec -- devcontainer up") }
  }

  func run() async throws {
    // Before the wait opens any: what CMD may inherit.
    let inherited = ProcessReplacement.openDescriptors()
    global.bootstrapLogging()
    let configuration = try global.loadConfiguration()
    let endpoint = try global.resolveEndpoint()
    let timeout = waiting.timeout?.duration ?? configuration.timeout
    let display = makeStatusDisplay(subject: endpoint.host, quiet: quiet, environment: global.environment)
    let renderer = ReadinessRenderer(timeout: timeout)
    let waited = WaitObserver(display)
    let ending = await ReadinessRun(
      endpoint: endpoint, configuration: configuration, environment: global.environment, timeout: timeout,
      heal: waiting.heal, consent: waiting.yes, display: waited
    ).run()
    guard case .finished(let outcome) = ending else {
      display.finish(nil)
      throw ExitCode(ending.saySoWithoutOutcome())
    }
    guard outcome.ready else {
      display.finish(renderer.summary(outcome))
      FileHandleStream.standardError.write(
        renderer.explanation(
          outcome, consentHint: "exec --heal --yes, PREFLIGHT_HEAL=1, or \"heal\": {\"allow\": true}")
          + "docker-preflight: not running \(commandLine.joined(separator: " "))\n")
      if json {
        try FileHandleStream.standardOutput.writeJSON(outcome)
      }
      throw ExitCode(ExitStatus.unhealthy)
    }
    // Ready at the first look: say nothing, CMD's output is all there is.
    display.finish(waited.hadToWait ? renderer.summary(outcome) : nil)
    if !noDevcontainerChecks, let up = DevContainerUp(commandLine) {
      try await preflight(up, endpoint: endpoint, configuration: configuration)
    }
    let error = ProcessReplacement.replaceSearchingPath(arguments: commandLine, keeping: inherited)
    FileHandleStream.standardError.write(
      "docker-preflight: cannot run \(commandLine[0]): \(String(cString: strerror(error)))\n")
    throw ExitCode(ProcessReplacement.exitStatus(forFailure: error))
  }

  /// What `devcontainer up` will need from this host, checked before it runs: a failed check stops it (exit 1) with
  /// the findings on stderr; warnings are printed and it runs.
  func preflight(_ up: DevContainerUp, endpoint: Endpoint, configuration: PreflightConfiguration) async throws {
    let (report, findings) = await devContainerFindings(
      up.preflight(environment: global.environment, configuration: configuration), endpoint: endpoint,
      environment: global.environment, configuration: configuration)
    let failed = findings.contains { $0.status == .fail }
    if failed || (!quiet && !findings.isEmpty) {
      FileHandleStream.standardError.write(ReportRenderer().renderFindings(report, of: findings))
    }
    guard failed else { return }
    FileHandleStream.standardError.write(
      "docker-preflight: not running \(commandLine.joined(separator: " ")): it would fail on the above; fix it, or "
        + "pass --no-devcontainer-checks\n")
    if json { try FileHandleStream.standardOutput.writeJSON(report) }
    throw ExitCode(ExitStatus.unhealthy)
  }
}
