import ArgumentParser
import EngineKit
import Preflight

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `docker-preflight wait`: block until the engine is ready, showing how it gets there.
struct WaitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wait",
    abstract: "Wait until the engine is ready, with progress on stderr.",
    discussion: """
      Connects the moment the engine's socket appears (inotify on Linux), then backs off between attempts from \
      5 ms to 100 ms; a daemon that answers but is still starting counts as not ready. Ready means the engine \
      answers _ping as an engine does, the docker CLI's own test before each command; --json also asks /version and \
      /info and reports every check of `check` (then a daemon that answers _ping but not /version is not ready). \
      Progress goes to stderr: a \
      single updating line on a terminal (ending with a ✔/✘ summary when stdout is not the terminal), timestamped \
      lines otherwise; NO_COLOR or TERM=dumb: no escape sequences; ASCII when the locale is not UTF-8. The result \
      goes to stdout.

      Examples:
        docker-preflight wait --timeout 30s && docker compose up -d
        docker-preflight wait --json | jq .elapsedMs
        docker-preflight wait --heal --yes
        docker-preflight wait --quiet --timeout 10s || echo "no engine"

      Exit codes: 0 ready, 1 gave up (timeout, or the engine could not be healed), 2 usage or configuration error, \
      130 interrupted (SIGINT), 143 stopped (SIGTERM).
      """
  )

  @OptionGroup var global: GlobalOptions

  @OptionGroup var waiting: WaitingOptions

  @Flag(help: "Print {ready, elapsedMs, report, heal?} as JSON on stdout.")
  var json = false

  @Flag(name: [.customShort("q"), .long], help: "Print nothing on success: no progress, no report.")
  var quiet = false

  func run() async throws {
    global.bootstrapLogging()
    let configuration = try global.loadConfiguration()
    let endpoint = try global.resolveEndpoint()
    let timeout = waiting.timeout?.duration ?? configuration.timeout
    let display = makeStatusDisplay(subject: endpoint.host, quiet: quiet, environment: global.environment)
    let ending = await ReadinessRun(
      endpoint: endpoint, configuration: configuration, environment: global.environment, timeout: timeout,
      heal: waiting.heal, consent: waiting.yes, display: display, confirmation: json ? .fullReport : .ping
    ).run()
    let renderer = ReadinessRenderer(timeout: timeout)
    guard case .finished(let outcome) = ending else {
      display.finish(nil)
      throw ExitCode(ending.saySoWithoutOutcome())
    }
    // A person at a terminal reads the headline on stdout; the summary on stderr is for when stdout goes elsewhere.
    let stdoutShowsHeadline = !json && isatty(1) == 1
    display.finish(stdoutShowsHeadline ? nil : renderer.summary(outcome))
    if json {
      try FileHandleStream.standardOutput.writeJSON(outcome)
    } else if !(quiet && outcome.ready) {
      FileHandleStream.standardOutput.write(
        renderer.headline(outcome) + "\n" + ReportRenderer().render(outcome.report))
    }
    if !outcome.ready { throw ExitCode(ExitStatus.unhealthy) }
  }
}
