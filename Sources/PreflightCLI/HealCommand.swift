import ArgumentParser
import Dispatch
import EngineKit
import Preflight
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `docker-preflight heal`: start the engine by the right means for this host, confirming readiness after each step.
struct HealCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "heal",
    abstract: "Start the engine if it does not answer, and confirm it is ready.",
    discussion: """
      Tries, in order until the engine answers: the configured start command (startCommand in the configuration \
      file, or PREFLIGHT_START_COMMAND as a JSON array), the provider's own start command (docker desktop start, \
      open -a Docker, colima start, orb start, rdctl start, podman machine start, …), the service manager \
      (systemctl, service; with sudo -n when not root), and, as root where nothing manages the engine, dockerd \
      itself, detached. Every step is logged to $XDG_STATE_HOME/docker-preflight/actions.log.

      Healing needs consent: --yes, PREFLIGHT_HEAL=1, or "heal": {"allow": true} in the configuration file; on a \
      terminal you are asked.

      Examples:
        docker-preflight heal --dry-run
        docker-preflight heal --yes --strategy dockerd
        PREFLIGHT_START_COMMAND='["colima","start"]' docker-preflight heal --yes --json
        docker-preflight heal --yes --quiet && docker compose up -d

      Exit codes: 0 healed or already ready (or a dry run), 1 could not heal or not permitted, 2 usage or \
      configuration error, 130 interrupted (SIGINT), 143 stopped (SIGTERM).
      """
  )

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print the plan; run nothing.")
  var dryRun = false

  @Flag(name: [.customShort("y"), .long], help: "Consent to starting the engine without being asked.")
  var yes = false

  @Option(
    name: .customLong("strategy"),
    help: ArgumentHelp(
      "Only this strategy (repeatable): \(HealStep.Strategy.allCases.map(\.rawValue).joined(separator: ", ")).",
      valueName: "name"))
  var strategies: [String] = []

  @Flag(help: "Print the outcome as JSON on stdout.")
  var json = false

  @Flag(name: [.customShort("q"), .long], help: "No progress and no summary; only a failure is explained.")
  var quiet = false

  @Option(help: "How long the whole heal may take, e.g. 90s, 2m (default: the configuration's timeout, 90s).")
  var timeout: TimeoutValue?

  func run() async throws {
    global.bootstrapLogging()
    let configuration = try global.loadConfiguration()
    let endpoint = try global.resolveEndpoint()
    let environment = global.environment
    let healer = Healer(
      facts: HostFacts.current(endpoint: endpoint, environment: environment), configuration: configuration,
      paths: PreflightPaths(environment: environment))
    let request = HealRequest(
      dryRun: dryRun, strategies: strategies.isEmpty ? nil : strategies, allow: yes, timeout: timeout?.duration)
    let renderer = HealRenderer()
    let outcome: HealOutcome
    // SIGINT and SIGTERM stop the heal in order: the running step is stopped (a daemon launched detached is left
    // running), its line and an `interrupted` line go to the action log, then the outcome is printed.
    let (result, signal) = await InterruptSignal.cancelling { () async throws(PreflightError) -> HealOutcome in
      try await healer.heal(request, consent: HealCommand.askOnTerminal) { [quiet] event in
        if !quiet { FileHandleStream.standardError.write(renderer.progressLine(event)) }
      }
    }
    do {
      outcome = try result.get()
    } catch let error as PreflightError {
      switch error {
      case .healNotPermitted(let plan, let report):
        let configFile = PreflightPaths(environment: environment).configFile
        FileHandleStream.standardError.write(renderer.notPermitted(plan: plan, report: report, configFile: configFile))
        if json {
          try FileHandleStream.standardOutput.writeJSON(
            NotPermitted(message: error.description, plan: plan, report: report))
        }
        throw ExitCode(ExitStatus.unhealthy)
      case .unknownStrategies, .configuration:
        FileHandleStream.standardError.write("docker-preflight: \(error)\n")
        throw ExitCode(ExitStatus.usage)
      case .stateUnavailable:
        FileHandleStream.standardError.write("docker-preflight: \(error)\n")
        throw ExitCode(signal.map(ExitStatus.interrupted(by:)) ?? ExitStatus.unhealthy)
      }
    }
    for warning in outcome.warnings { FileHandleStream.standardError.write("docker-preflight: warning: \(warning)\n") }
    if json {
      try FileHandleStream.standardOutput.writeJSON(outcome)
    } else if !quiet || outcome.dryRun || !outcome.healed {  // a plan, or a failure, is still said
      FileHandleStream.standardOutput.write(renderer.render(outcome))
    }
    if let signal { throw ExitCode(ExitStatus.interrupted(by: signal)) }
    if !outcome.dryRun && !outcome.healed { throw ExitCode(ExitStatus.unhealthy) }
  }

  /// On a terminal, asks y/N on stderr; without one (scripts, hooks), nobody can answer: no.
  @Sendable static func askOnTerminal(plan: [HealStep], report: HealthReport) async -> Bool {
    guard isatty(0) == 1, isatty(2) == 1 else { return false }
    FileHandleStream.standardError.write(HealRenderer().question(plan: plan, report: report))
    // A blocking read, kept off Swift's cooperative threads; Ctrl-C (cancellation) is a no at once, the read left
    // to end with the process.
    let waiter = Mutex<CheckedContinuation<String?, Never>?>(nil)
    let answer: String? = await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        waiter.withLock { $0 = continuation }
        if Task.isCancelled { waiter.withLock { $0.take() }?.resume(returning: nil) }
        DispatchQueue(label: "consent-prompt").async {
          let line = readLine()
          waiter.withLock { $0.take() }?.resume(returning: line)
        }
      }
    } onCancel: {
      waiter.withLock { $0.take() }?.resume(returning: nil)
    }
    return ["y", "yes"].contains(answer?.trimmingWhitespace.lowercased() ?? "")
  }
}

/// The `--json` answer when consent was refused.
private struct NotPermitted: Encodable {
  var healed = false
  var permitted = false
  var message: String
  var plan: [HealStep]
  var report: HealthReport
}

/// Heal output for people: progress lines on stderr, the outcome on stdout.
struct HealRenderer {
  func progressLine(_ event: HealEvent) -> String {
    switch event {
    case .planned: ""
    case .waitingForLock(let path): "… another heal on this host is running; waiting for it (\(path))\n"
    case .stepStarted(let step, let index, let count):
      "→ [\(index + 1)/\(count)] \(step.strategy.rawValue): \(step.commandLine)\n"
    case .waitingForReadiness(_, let timeout): "  … waiting up to \(DurationText.format(timeout)) for the engine\n"
    case .stepFinished(let result):
      "  \([.ready, .stopped].contains(result.outcome) ? "✔" : "✘") \(result.outcome.rawValue)"
        + (result.exitCode.map { ", exit status \($0)" } ?? "") + " after \(result.durationMs) ms\n"
    case .note(let text): "  … \(text)\n"
    }
  }

  func render(_ outcome: HealOutcome) -> String {
    var lines: [String] = []
    if outcome.dryRun {
      lines.append(outcome.message)
      lines += planLines(outcome.plan)
      lines.append("(dry run: nothing was run)")
    } else {
      lines.append("\(outcome.healed ? "✔" : "✘") \(outcome.message)")
      for step in outcome.steps where step.outcome != .ready && !step.output.isEmpty {
        lines.append("  \(step.strategy) said:")
        lines += step.output.split(separator: "\n", omittingEmptySubsequences: false).suffix(10).map { "    \($0)" }
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  func question(plan: [HealStep], report: HealthReport) -> String {
    (["The engine at \(report.endpoint.host) does not answer. Starting it would run, until it answers:"]
      + planLines(plan)).joined(separator: "\n") + "\nStart the engine? [y/N] "
  }

  func notPermitted(plan: [HealStep], report: HealthReport, configFile: String) -> String {
    (["docker-preflight: the engine at \(report.endpoint.host) does not answer; healing it would run:"]
      + planLines(plan)
      + [
        "Not permitted: consent with --yes, PREFLIGHT_HEAL=1, or \"heal\": {\"allow\": true} in \(configFile)."
      ]).joined(separator: "\n") + "\n"
  }

  func planLines(_ plan: [HealStep]) -> [String] {
    plan.enumerated().map { index, step in
      let detached = step.launch == .detached ? "  (detached\(step.logFile.map { ", log \($0)" } ?? ""))" : ""
      return "  \(index + 1). \(step.strategy.rawValue.padding(toLength: 18)) \(step.commandLine)\(detached)"
    }
  }
}

extension String {
  var trimmingWhitespace: String {
    String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}
