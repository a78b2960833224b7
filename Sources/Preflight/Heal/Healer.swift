import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a caller asks of a heal.
public struct HealRequest: Sendable {
  /// Build and return the plan; run nothing.
  public var dryRun = false
  /// Only these strategies (``HealStep/Strategy`` names).
  public var strategies: [String]?
  /// Consent given up front (`--yes`, `allow: true`).
  public var allow = false
  /// The whole heal's budget; the configuration's `timeout` when unset.
  public var timeout: Duration?

  public init(dryRun: Bool = false, strategies: [String]? = nil, allow: Bool = false, timeout: Duration? = nil) {
    self.dryRun = dryRun
    self.strategies = strategies
    self.allow = allow
    self.timeout = timeout
  }
}

/// What a heal reports while it runs, for progress displays.
public enum HealEvent: Sendable {
  case planned([HealStep])
  /// Another heal holds the lock at this path; waiting for it.
  case waitingForLock(String)
  case stepStarted(HealStep, index: Int, count: Int)
  case waitingForReadiness(HealStep, timeout: Duration)
  case stepFinished(HealStepResult)
  /// What the heal does beside its steps, for people: waiting for an engine process to exit, removing a stale file.
  case note(String)
}

/// Brings a stopped engine back: builds the plan for this host, asks for consent, takes the host's heal lock, then
/// runs the steps in order — each with a deadline, logged — and confirms readiness after each before moving on.
public struct Healer: Sendable {
  public var facts: HostFacts
  public var configuration: PreflightConfiguration
  public var paths: PreflightPaths
  public var readiness: any ReadinessChecking
  /// How each diagnosis talks to the engine.
  public var diagnoseOptions: DiagnoseOptions
  /// Where diagnoses and readiness checks go when not to the endpoint the plan is for: fixture tests plan for
  /// /var/run/docker.sock without ever touching this machine's engine.
  public var probeEndpoint: Endpoint?

  public init(
    facts: HostFacts, configuration: PreflightConfiguration, paths: PreflightPaths,
    readiness: (any ReadinessChecking)? = nil, diagnoseOptions: DiagnoseOptions? = nil
  ) {
    // By default, the machine and the configuration of the caller's environment (`PREFLIGHT_HOST_ROOT`, hungAfter).
    let options =
      diagnoseOptions
      ?? {
        var options = DiagnoseOptions(host: HostEnvironment(environment: paths.environment))
        options.applyDefaults(from: configuration)
        return options
      }()
    self.facts = facts
    self.configuration = configuration
    self.paths = paths
    self.readiness = readiness ?? WaitingReadiness(options: options)
    self.diagnoseOptions = options
  }

  public var endpoint: Endpoint { probeEndpoint ?? facts.endpoint }
  public var actionLog: ActionLog { ActionLog(path: configuration.actionLog ?? paths.defaultActionLog) }

  /// The steps a heal would try, in order; `timeout` is the heal's budget (the configuration's when nil), which
  /// steps with a timeout of their own (`docker desktop start --timeout`) are given.
  public func plan(
    strategies: [String]? = nil, timeout: Duration? = nil, hung: EngineProcess? = nil
  ) throws(PreflightError) -> [HealStep] {
    var configuration = configuration
    configuration.timeout = timeout ?? configuration.timeout
    var planner = HealPlanner(facts: facts, configuration: configuration, stateDirectory: paths.stateDirectory)
    planner.hung = hung
    return try planner.plan(strategies: strategies)
  }

  /// Heals the engine if it needs it. `consent` is asked only when the engine does not answer, there is something
  /// to run, and consent was not given already (request or configuration); refusing throws
  /// ``PreflightError/healNotPermitted(plan:report:)``.
  public func heal(
    _ request: HealRequest,
    consent: @Sendable ([HealStep], HealthReport) async -> Bool = { _, _ in false },
    events: @Sendable (HealEvent) async -> Void = { _ in }
  ) async throws(PreflightError) -> HealOutcome {
    let clock = ContinuousClock()
    let started = clock.now
    let budget = request.timeout ?? configuration.timeout
    let deadline = started + budget
    let report = await diagnose()
    let plan = try plan(strategies: request.strategies, timeout: budget, hung: hungEngine(report))
    var outcome = HealOutcome(
      healed: false, message: "", dryRun: request.dryRun, plan: plan, steps: [], waitedForConcurrentHeal: false,
      report: report, durationMs: 0, warnings: [], leftovers: [])
    func finish(healed: Bool, _ message: String) -> HealOutcome {
      outcome.healed = healed
      outcome.message = message
      outcome.durationMs = (clock.now - started).milliseconds
      return outcome
    }

    if request.dryRun {
      return finish(healed: outcome.report.daemonAccessible, dryRunMessage(plan, report: outcome.report))
    }
    if outcome.report.daemonAccessible {
      rememberEngine()
      return finish(healed: true, "the engine at \(endpoint.host) is ready")
    }
    await events(.planned(plan))
    guard !plan.isEmpty else { return finish(healed: false, noPlanMessage(strategies: request.strategies)) }
    if !request.allow && !configuration.healAllowed {
      guard await consent(plan, outcome.report) else { throw .healNotPermitted(plan: plan, report: outcome.report) }
    }

    let lock = try await HealLock.acquire(in: paths.runtimeDirectory) { path in await events(.waitingForLock(path)) }
    defer { lock.release() }
    // Whether or not we waited, another heal may have finished between our diagnosis and the lock.
    outcome.waitedForConcurrentHeal = lock.waited
    outcome.report = await diagnose()
    if outcome.report.daemonAccessible {
      return finish(
        healed: true,
        "the engine at \(endpoint.host) is ready" + (lock.waited ? " (another heal on this host started it)" : ""))
    }

    func logged(_ write: () throws(PreflightError) -> Void) {
      do {
        try write()
      } catch {
        if !outcome.warnings.contains(error.description) { outcome.warnings.append(error.description) }
      }
    }
    /// Removes what a crashed engine left (stale pidfiles, a dead socket), each removal logged; `true` when any was.
    func removeLeftovers(of seen: [EngineRecord]) async -> Bool {
      var removed = false
      let leftovers = crashLeftovers(plan: plan, seen: seen)
      for leftover in leftovers.survey() where leftover.stale {
        let failure = leftovers.remove(leftover)
        logged { () throws(PreflightError) in
          try actionLog.recordRemoval(leftover, failure: failure, endpoint: endpoint.host)
        }
        if let failure {
          if !outcome.warnings.contains(failure) { outcome.warnings.append(failure) }
          continue
        }
        removed = true
        outcome.leftovers.append(leftover)
        await events(.note("removed the stale \(leftover.kind.rawValue) \(leftover.path): \(leftover.reason)"))
      }
      return removed
    }

    var seen = EngineRecord.load(for: endpoint.host, in: paths.stateDirectory).map { [$0] } ?? []
    if outcome.report.status != .hung {
      switch await settling.settle(last: seen.first, deadline: deadline, note: { await events(.note($0)) }) {
      case .ready(let report, let how):
        outcome.report = report
        rememberEngine()
        return finish(healed: true, "the engine at \(endpoint.host) is ready: \(how)")
      case .stuck(let process):
        return finish(
          healed: false,
          "\(process.description) still runs but neither exits nor answers at \(endpoint.host): not starting a "
            + "second engine beside it; stop it (kill \(process.pid)), or heal again once it is seen hung")
      case .clear:
        break
      }
    }
    _ = await removeLeftovers(of: seen)

    var index = 0
    var retried: Set<Int> = []
    var attempts: [StepAttempt] = []
    let serviceLogMark = ServiceLogMark(systemRoot: facts.systemRoot)
    while index < plan.count {
      let step = plan[index]
      guard clock.now < deadline, !Task.isCancelled else { break }
      await events(.stepStarted(step, index: index, count: plan.count))
      let (result, report, started) = await execute(step, deadline: deadline, events: events)
      outcome.steps.append(result)
      attempts.append(StepAttempt(result: result, engines: started))
      logged { () throws(PreflightError) in try actionLog.record(result, endpoint: endpoint.host) }
      await events(.stepFinished(result))
      if let report { outcome.report = report }
      if result.outcome == .ready {
        rememberEngine()
        return finish(
          healed: true, "the engine at \(endpoint.host) is ready after \(step.strategy.rawValue) (\(step.commandLine))")
      }
      if Task.isCancelled { break }
      seen += started.map(EngineRecord.init)
      // A start that failed on what an earlier crash left (dockerd's "pid file found"): once cleaned, once more.
      if await removeLeftovers(of: seen), result.outcome == .failed, step.mayStartLocalDockerd,
        retried.insert(index).inserted
      {
        continue
      }
      index += 1
    }
    if Task.isCancelled && !outcome.steps.isEmpty {
      // Stopped by a signal or by the client: say so in the log, after the step's own line, naming what was left
      // running. The process may exit right after this returns; the line is written first.
      let reason = ProcessInterruption.signal.map(ProcessInterruption.name(of:)) ?? "cancelled"
      let last = outcome.steps.last
      logged { () throws(PreflightError) in
        try actionLog.recordInterruption(reason: reason, during: last, endpoint: endpoint.host)
      }
      let leftRunning = last.flatMap { step in step.pid.map { "; \(step.strategy) left running as pid \($0)" } } ?? ""
      return finish(healed: false, "the heal of \(endpoint.host) was interrupted (\(reason))\(leftRunning)")
    }
    outcome.report = await diagnose()
    let causes = outcome.report.daemonAccessible ? [] : await startFailureCauses(attempts, since: serviceLogMark)
    outcome.report.prepend(causes)
    return finish(
      healed: outcome.report.daemonAccessible,
      failureMessage(outcome.steps, notRun: index < plan.count ? plan[index] : nil, causes: causes))
  }

  /// Where the engine runs (or ran), to wait for and to clean after.
  var engineLocator: EngineProcessLocator {
    EngineProcessLocator(endpoint: endpoint, pidFiles: [], host: diagnoseOptions.host)
  }

  var settling: EngineSettling {
    let planner = HealPlanner(facts: facts, configuration: configuration, stateDirectory: paths.stateDirectory)
    var settling = EngineSettling(endpoint: endpoint, locator: engineLocator, readiness: readiness)
    switch planner.target {
    case .system:
      settling.restartPrograms = ["service", "systemctl", "sh", "bash", "dash"]
      if planner.systemdManagesDocker { settling.serviceManager = "systemd (docker.service)" }
    case .dockerDesktop: settling.restartPrograms = ["docker"]
    case .colima: settling.restartPrograms = ["colima"]
    case .orbstack: settling.restartPrograms = ["orb"]
    case .rancherDesktop: settling.restartPrograms = ["rdctl"]
    default: break
    }
    return settling
  }

  /// The live process listening on the endpoint's socket (`SO_PEERCRED`), with its command line.
  func listeningEngine() -> EngineProcess? {
    let procRoot = diagnoseOptions.host.procRoot
    guard case .unix(let socket) = endpoint.transport, let pid = SocketPeer.listenerPid(at: socket), pid > 1,
      let status = ProcessStatus.read(pid: pid, procRoot: procRoot), !status.hasExited
    else { return nil }
    return EngineProcess(status: status, arguments: EngineProcessLocator.arguments(of: pid, procRoot: procRoot))
  }

  /// The process behind a hung engine's socket, to restart it.
  func hungEngine(_ report: HealthReport) -> EngineProcess? {
    report.status == .hung ? listeningEngine() : nil
  }

  /// Records the process now serving the endpoint, so that a later heal knows its files and its parent.
  func rememberEngine() {
    listeningEngine().map { EngineRecord($0).save(for: endpoint.host, in: paths.stateDirectory) }
  }

  /// The files a crashed engine of this endpoint may have left: the pidfiles and exec roots of the dockerd steps
  /// of the plan, of the engines seen serving it, and of the system's dockerd for the system socket.
  func crashLeftovers(plan: [HealStep], seen: [EngineRecord]) -> CrashLeftovers {
    let root = facts.systemRoot
    var daemons = plan.filter { $0.strategy == .dockerd }.map { DockerdFiles(arguments: $0.command, systemRoot: root) }
    daemons += seen.compactMap(\.dockerdFiles)
    if HealPlanner(facts: facts, configuration: configuration, stateDirectory: paths.stateDirectory).target
      == .system(socket: facts.endpoint.unixSocketPath)
    {
      daemons.append(DockerdFiles(arguments: ["dockerd"], systemRoot: root))
    }
    return CrashLeftovers(
      socket: endpoint.unixSocketPath, daemons: daemons, procRoot: diagnoseOptions.host.procRoot)
  }


  /// Takes the secrets of this environment (and of the docker CLI's registry credentials) out of what commands
  /// print, before their output reaches the outcome and the action log.
  var redactor: SecretRedactor {
    let environment = paths.environment
    let configDirectory = EndpointResolver(environment: environment).configDirectory
    return SecretRedactor(environment: environment, dockerConfigDirectory: configDirectory)
  }

  func diagnose() async -> HealthReport {
    await Diagnoser(endpoint: endpoint, options: diagnoseOptions).diagnose()
  }

  // MARK: - Steps

  /// Runs one step and confirms readiness; the report is the one that confirmed it, when one did, and the engine
  /// processes seen starting (for a start that failed: their files, and why).
  func execute(
    _ step: HealStep, deadline: ContinuousClock.Instant, events: @Sendable (HealEvent) async -> Void
  ) async -> (HealStepResult, HealthReport?, [EngineProcess]) {
    let clock = ContinuousClock()
    let started = clock.now
    let redactor = self.redactor
    var result = HealStepResult(
      strategy: step.strategy.rawValue, command: step.command, exitCode: nil, durationMs: 0, output: "",
      outcome: .failed, pid: nil, logFile: step.logFile)
    var engines: [EngineProcess] = []
    func finished(_ outcome: HealStepResult.Outcome, _ report: HealthReport? = nil)
      -> (HealStepResult, HealthReport?, [EngineProcess])
    {
      result.outcome = outcome
      result.durationMs = (clock.now - started).milliseconds
      return (result, report, engines)
    }
    func readinessWindow() -> Duration { min(step.readinessTimeout, max(deadline - clock.now, .zero)) }

    switch step.launch {
    case .stop:
      let (outcome, output) = await stop(step.pid, deadline: deadline)
      result.output = output
      result.pid = step.pid
      return finished(outcome)

    case .run:
      // The engine the command launches is watched for from the launch on: one that dies at once (a broken
      // daemon.json) may be gone before the command returns.
      let locator = engineLocator
      let engineExit = Task { await Self.startedEngineExit(locator, until: deadline) }
      defer { engineExit.cancel() }
      let command = await CommandRunner(searchPath: facts.searchPath).run(step.command, timeout: deadline - clock.now)
      result.exitCode = command.exitCode
      result.output = redactor.redact(command.output)
      switch command.ending {
      case .exited(0):
        let window = readinessWindow()
        await events(.waitingForReadiness(step, timeout: window))
        // A command that launched the engine and returned: if that engine dies first, the wait ends with it.
        let readiness = readiness
        let endpoint = endpoint
        let ending = await firstOf(
          { await readiness.waitUntilReady(endpoint, timeout: window).map(StartEnding.ready) ?? .notReady },
          {
            await withTaskCancellationHandler { await engineExit.value } onCancel: { engineExit.cancel() }
          })
        switch ending {
        case .ready(let report): return finished(.ready, report)
        case .engineExited(let engine):
          engines.append(engine)
          result.output += (result.output.isEmpty ? "" : "\n") + "\(engine.description) exited before it answered"
          return finished(.failed)
        case .exited, .notReady:
          return finished(Task.isCancelled ? .cancelled : .notReady)
        }
      case .notLaunched(let reason):
        result.output = reason
        return finished(.notLaunched)
      case .cancelled:
        return finished(.cancelled)
      case .timedOut, .exited, .signalled:
        // Some start commands report failure and start the engine anyway: one look before moving on.
        let report = await diagnose()
        if report.daemonAccessible { return finished(.ready, report) }
        return finished(command.ending == .timedOut ? .timedOut : .failed)
      }

    case .detached:
      guard let program = step.command.first, let path = ExecutableSearch.resolve(program, in: facts.searchPath) else {
        result.output =
          "\(step.command.first ?? ""): not found on the search path (\(facts.searchPath.joined(separator: ":")))"
        return finished(.notLaunched)
      }
      if step.strategy == .dockerd, case .unix(let socket) = facts.endpoint.transport {
        let problems = SocketTrust.assess(socket).replacementProblems
        guard problems.isEmpty else {
          result.output =
            "refused to launch dockerd on \(socket): "
            + problems.map(\.description).joined(separator: "; ")
            + "; choose a socket in a directory only root can write (such as /run or /var/run)"
          return finished(.refused)
        }
      }
      let logFile = step.logFile ?? "/dev/null"
      if logFile != "/dev/null", let slash = logFile.lastIndex(of: "/"), slash != logFile.startIndex {
        do {
          try makePrivateDirectory(String(logFile[..<slash]))
        } catch {
          result.output = error.description
          return finished(.notLaunched)
        }
      }
      let logStart = fileSize(logFile)
      let process: DetachedProcess
      switch DetachedProcess.launch(path: path, argv: step.command, logFile: logFile) {
      case .success(let launched): process = launched
      case .failure(let failure):
        result.output = failure.reason
        return finished(.notLaunched)
      }
      result.pid = Int(process.pid)
      let window = readinessWindow()
      await events(.waitingForReadiness(step, timeout: window))
      let readiness = readiness
      let endpoint = endpoint
      let ending = await firstOf(
        { await readiness.waitUntilReady(endpoint, timeout: window).map(StartEnding.ready) ?? .notReady },
        { await process.waitForExit().map(StartEnding.exited) ?? .notReady })
      result.output = redactor.redact(logExcerpt(logFile, from: logStart))
      switch ending {
      case .ready(let report):
        return finished(.ready, report)
      case .exited(let status):
        result.exitCode = status.shellExitCode
        result.pid = nil
        return finished(.failed)
      case .engineExited, .notReady:
        if Task.isCancelled { return finished(.cancelled) }
        result.output += (result.output.isEmpty ? "" : "\n") + "(still running as pid \(process.pid); see \(logFile))"
        return finished(.notReady)
      }
    }
  }

  private enum StartEnding: Sendable {
    case ready(HealthReport)
    /// The program we launched exited, with this wait status.
    case exited(Int32)
    /// The engine a start command launched exited before it answered.
    case engineExited(EngineProcess)
    case notReady
  }

  /// The engine process a start command launched, once it appears, if it exits before `deadline`; otherwise waits
  /// until then (the readiness wait beside it decides). Looked for every 10 ms in the first seconds after the
  /// launch, when an engine that cannot start lives for tens of milliseconds, then on a back-off.
  private static func startedEngineExit(
    _ locator: EngineProcessLocator, until deadline: ContinuousClock.Instant
  ) async -> StartEnding {
    let steadyUntil = ContinuousClock.now + .seconds(3)
    var delay = Duration.milliseconds(10)
    var engine: EngineProcess?
    while engine == nil, ContinuousClock.now < deadline {
      engine = locator.find().first
      if engine != nil { break }
      guard (try? await Task.sleep(for: min(delay, deadline - .now))) != nil else { return .notReady }
      if ContinuousClock.now > steadyUntil { delay = min(delay * 2, .milliseconds(500)) }
    }
    guard let engine else { return .notReady }
    if await ProcessExitWatch.waitForExit(engine.pid, timeout: deadline - .now, procRoot: locator.host.procRoot) {
      return .engineExited(engine)
    }
    return .notReady
  }

  /// A stop step: SIGTERM (with SIGCONT, so that a stopped process can act on it) to a hung engine's process, and
  /// SIGKILL if it has not exited within 15 s.
  func stop(_ pid: Int?, deadline: ContinuousClock.Instant) async -> (HealStepResult.Outcome, String) {
    let procRoot = diagnoseOptions.host.procRoot
    guard let pid, let status = ProcessStatus.read(pid: pid, procRoot: procRoot), !status.hasExited else {
      return (.stopped, "pid \(pid.map(String.init) ?? "?") had exited already")
    }
    let grace = min(Duration.seconds(15), max(deadline - .now, .zero))
    kill(pid_t(pid), SIGCONT)
    guard kill(pid_t(pid), SIGTERM) == 0 else {
      return (.failed, "cannot signal \(status.name) (pid \(pid)): \(errnoText())")
    }
    if await ProcessExitWatch.waitForExit(pid, timeout: grace, procRoot: procRoot) {
      return (.stopped, "\(status.name) (pid \(pid)) exited after SIGTERM")
    }
    kill(pid_t(pid), SIGKILL)
    if await ProcessExitWatch.waitForExit(pid, timeout: .seconds(5), procRoot: procRoot) {
      return (
        .stopped, "\(status.name) (pid \(pid)) did not exit within \(DurationText.format(grace)) of SIGTERM; killed"
      )
    }
    return (.failed, "\(status.name) (pid \(pid)) survived SIGTERM and SIGKILL")
  }

  // MARK: - Messages

  func dryRunMessage(_ plan: [HealStep], report: HealthReport) -> String {
    let state = report.daemonAccessible ? "is ready" : "does not answer"
    if plan.isEmpty { return "the engine at \(endpoint.host) \(state); there is no step to run for it here" }
    return "the engine at \(endpoint.host) \(state); a heal would run, in order until it answers: "
      + plan.map { "\($0.strategy.rawValue) (\($0.commandLine))" }.joined(separator: ", ")
  }

  func noPlanMessage(strategies: [String]?) -> String {
    if let strategies {
      return "no step of the strategies \(strategies.joined(separator: ", ")) applies to \(endpoint.host) here"
    }
    return "nothing on this machine can start the engine at \(endpoint.host): configure a start command "
      + "(\"startCommand\" in the configuration file, or PREFLIGHT_START_COMMAND as a JSON array)"
  }

  /// `notRun`: the first step of the plan that did not run, when time ran out before it.
  func failureMessage(_ steps: [HealStepResult], notRun: HealStep?, causes: [HealthReport.Issue] = []) -> String {
    var parts = steps.map { step in
      let command = HealStep.quotedLine(step.command)
      let how: String =
        switch step.outcome {
        case .ready: "made it ready"
        case .failed: step.exitCode.map { "exited with status \($0)" } ?? "failed"
        case .notReady: "succeeded, but the engine did not answer in time"
        case .timedOut: "did not finish in time and was stopped"
        case .notLaunched: "could not be started"
        case .cancelled: "was cancelled"
        case .refused: "was refused"
        case .stopped: "stopped it"
        }
      let excerpt = step.output.isEmpty ? "" : ": \(lastLines(step.output, 3))"
      return "\(step.strategy) (\(command)) \(how)\(excerpt)"
    }
    if let notRun, !Task.isCancelled { parts.append("out of time before \(notRun.strategy.rawValue)") }
    let why = causes.map { " Why: \($0.message) (\($0.code)); \($0.recommendation)" }.joined()
    return "could not heal the engine at \(endpoint.host): " + parts.joined(separator: "; ") + why
  }

  private func lastLines(_ text: String, _ count: Int) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).joined(separator: " ⏎ ")
  }
}

/// Runs two operations concurrently and returns the first to finish, cancelling the other.
func firstOf<T: Sendable>(
  _ first: @escaping @Sendable () async -> T, _ second: @escaping @Sendable () async -> T
) async -> T {
  await withTaskGroup(of: T.self) { group in
    group.addTask(operation: first)
    group.addTask(operation: second)
    let winner = await group.next()!
    group.cancelAll()
    return winner
  }
}
