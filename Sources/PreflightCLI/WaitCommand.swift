import ArgumentParser
import EngineKit
import JSON
import Preflight

/// `docker-preflight wait`: block until the engine is ready, showing how it gets there.
struct WaitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wait",
    abstract: "Wait until the engine is ready, with progress on stderr.",
    discussion: """
      Connects the moment the engine's socket appears (inotify on Linux), then backs off between attempts from \
      5 ms to 100 ms; a daemon that answers but is still starting counts as not ready. Progress goes to stderr: a \
      single updating line on a terminal, timestamped lines otherwise. The result goes to stdout.

      Examples:
        docker-preflight wait --timeout 30s && docker compose up -d
        docker-preflight wait --json | jq .elapsedMs
        docker-preflight wait --heal --yes

      Exit codes: 0 ready, 1 gave up (timeout, or the engine could not be healed), 2 usage or configuration error, \
      130 interrupted.
      """
  )

  @OptionGroup var global: GlobalOptions

  @Option(help: "How long to wait, e.g. 90s, 500ms, 2m (default: the configuration's timeout, 90s).")
  var timeout: TimeoutValue?

  @Flag(
    help: """
      Heal once if the engine is down, as `heal` does. Needs consent: --yes, PREFLIGHT_HEAL=1, or \
      "heal": {"allow": true} in the configuration; wait never asks.
      """)
  var heal = false

  @Flag(name: [.customShort("y"), .long], help: "Consent to heal without asking.")
  var yes = false

  @Flag(help: "Print {ready, elapsedMs, report, heal?} as JSON on stdout.")
  var json = false

  func run() async throws {
    global.bootstrapLogging()
    let configuration = try global.loadConfiguration()
    let endpoint = try global.resolveEndpoint()
    let environment = global.environment
    let timeout = timeout?.duration ?? configuration.timeout
    let display = makeStatusDisplay(subject: endpoint.host)
    let healer = HealerHealing(
      makeHealer: { endpoint in
        Healer(
          facts: HostFacts.current(endpoint: endpoint, environment: environment), configuration: configuration,
          paths: PreflightPaths(environment: environment))
      },
      events: { event in
        let line = HealRenderer().progressLine(event).trimmingWhitespace
        if !line.isEmpty { display.update(line) }
      })
    var options = DiagnoseOptions(host: HostEnvironment(environment: environment))
    options.applyDefaults(from: configuration)
    let waiter = ReadinessWaiter(
      diagnoser: Diagnoser(endpoint: endpoint, options: options), timeout: timeout,
      healing: heal ? .init(healer: healer, allowed: yes) : nil)
    let (result, interrupted) = await InterruptSignal.cancelling {
      display.update("waiting")
      return try await waiter.wait { display.update($0.summary) }
    }
    display.finish()

    guard case .success(let outcome) = result else {
      FileHandleStream.standardError.write(
        interrupted ? "docker-preflight: interrupted\n" : "docker-preflight: \(result)\n")
      throw ExitCode(interrupted ? ExitStatus.interrupted : ExitStatus.unhealthy)
    }
    if json {
      var output = try JSONValueEncoder().encode(outcome).serialized()
      output.append(UInt8(ascii: "\n"))
      FileHandleStream.standardOutput.write(String(decoding: output, as: UTF8.self))
    } else {
      FileHandleStream.standardOutput.write(
        headline(outcome, timeout: timeout) + "\n" + ReportRenderer().render(outcome.report))
    }
    if !outcome.ready { throw ExitCode(ExitStatus.unhealthy) }
  }

  private func headline(_ outcome: ReadinessOutcome, timeout: Duration) -> String {
    let elapsed = DurationText.format(outcome.elapsed)
    switch outcome.ending {
    case .ready:
      return "ready after \(elapsed)" + (outcome.heal.map { " (healed: \($0.message))" } ?? "")
    case .timedOut:
      return "gave up after \(elapsed): not ready within \(DurationText.format(timeout))"
    case .healFailed:
      return "gave up after \(elapsed): \(outcome.heal?.message ?? "the engine could not be healed")"
    }
  }
}
