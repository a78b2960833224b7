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

      Examples:
        docker-preflight exec --heal --yes -- devcontainer up --workspace-folder .
        PREFLIGHT_HEAL=1 docker-preflight exec --heal -- docker compose up -d
        docker-preflight -H ssh://build-host exec --timeout 2m -- make images

      Exit codes: CMD's status once it runs; 1 the engine did not become ready (timeout, or it could not be healed), \
      2 usage or configuration error, 126 CMD is not executable, 127 CMD was not found, 130 interrupted (SIGINT) or \
      143 stopped (SIGTERM) while waiting.
      """
  )

  @OptionGroup var global: GlobalOptions

  @OptionGroup var waiting: WaitingOptions

  @Flag(name: [.customShort("q"), .long], help: "No progress on stderr; only a failure is explained.")
  var quiet = false

  @Flag(help: "When the engine does not become ready, print {ready, elapsedMs, report, heal?} as JSON on stdout.")
  var json = false

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
    let error = ProcessReplacement.replaceSearchingPath(arguments: commandLine, keeping: inherited)
    FileHandleStream.standardError.write(
      "docker-preflight: cannot run \(commandLine[0]): \(String(cString: strerror(error)))\n")
    throw ExitCode(ProcessReplacement.exitStatus(forFailure: error))
  }
}
