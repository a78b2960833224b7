import ArgumentParser
import EngineKit
import Preflight

/// The options of a wait, shared by `wait` and `exec`.
struct WaitingOptions: ParsableArguments {
  @Option(help: "How long to wait, e.g. 90s, 500ms, 2m (default: the configuration's timeout, 90s).")
  var timeout: TimeoutValue?

  @Flag(
    help: """
      Heal once if the engine is down, as `heal` does. Needs consent: --yes, PREFLIGHT_HEAL=1, or \
      "heal": {"allow": true} in the configuration; nobody is asked.
      """)
  var heal = false

  @Flag(name: [.customShort("y"), .long], help: "Consent to heal without asking.")
  var yes = false
}

/// The wait behind `wait`, `exec` and the docker shim: the ``ReadinessWaiter`` at an endpoint, healing once when
/// asked to (with the consent given — nobody is asked), its progress on a ``StatusDisplay``, Ctrl-C ending it.
struct ReadinessRun {
  var endpoint: Endpoint
  var configuration: PreflightConfiguration
  var environment: [String: String]
  var timeout: Duration
  /// Heal once if the engine is down.
  var heal: Bool
  /// Consent to heal (`--yes`); the configuration's `heal.allow` and `PREFLIGHT_HEAL=1` count too.
  var consent: Bool
  var display: any StatusDisplay
  /// What confirms readiness: `wait --json` prints the whole report; the others only need to know.
  var confirmation: ReadinessWaiter.Confirmation = .ping

  enum Ending {
    case finished(ReadinessOutcome)
    /// SIGINT (Ctrl-C) or SIGTERM.
    case interrupted(signal: Int32)
    case failed(any Error)
  }

  func run() async -> Ending {
    let environment = environment
    let configuration = configuration
    let display = display
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
      healing: heal ? .init(healer: healer, allowed: consent) : nil, confirmation: confirmation)
    let (result, signal) = await InterruptSignal.cancelling {
      display.update("waiting")
      return try await waiter.wait { display.update($0.summary) }
    }
    if let signal { return .interrupted(signal: signal) }
    switch result {
    case .success(let outcome): return .finished(outcome)
    case .failure(let error): return .failed(error)
    }
  }
}

extension ReadinessRun.Ending {
  /// When the wait ended without an outcome: says why on stderr and gives the exit status (128 + the signal when
  /// interrupted, else 1).
  func saySoWithoutOutcome() -> Int32 {
    switch self {
    case .finished(let outcome): return outcome.ready ? ExitStatus.healthy : ExitStatus.unhealthy
    case .interrupted(let signal):
      FileHandleStream.standardError.write("docker-preflight: interrupted (\(ProcessInterruption.name(of: signal)))\n")
      return ExitStatus.interrupted(by: signal)
    case .failed(let error):
      FileHandleStream.standardError.write("docker-preflight: \(error)\n")
      return ExitStatus.unhealthy
    }
  }
}

/// Words for how a wait ended.
struct ReadinessRenderer {
  var timeout: Duration

  /// `ready after 1.2 s (healed: …)`, `gave up after 90 s: not ready within 90 s`.
  func headline(_ outcome: ReadinessOutcome) -> String {
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

  /// The summary a status display ends with.
  func summary(_ outcome: ReadinessOutcome) -> StatusSummary {
    StatusSummary(succeeded: outcome.ready, text: outcome.ready ? "engine \(headline(outcome))" : headline(outcome))
  }

  /// For a person whose command did not run (or will fail) because the engine is not ready: which endpoint, what is
  /// wrong with it and what to do next. `consentHint` says how to let a heal happen, when none was allowed.
  func explanation(_ outcome: ReadinessOutcome, consentHint: String) -> String {
    let report = outcome.report
    var lines = ["docker-preflight: the engine at \(report.endpoint.host) is not ready: \(headline(outcome))"]
    for issue in report.issues {
      lines.append("  \(issue.code): \(issue.message)")
      lines.append("  → \(issue.recommendation)")
    }
    if outcome.heal == nil || outcome.heal?.status == .notPermitted {
      lines.append("  → to let docker-preflight start it: \(consentHint); `docker-preflight heal --dry-run` shows how")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
