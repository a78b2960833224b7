import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One step that ran, with the engine processes seen starting during it: what a failed start left to read.
struct StepAttempt: Sendable {
  var result: HealStepResult
  var engines: [EngineProcess]
}

/// Where an engine that a service starts writes its log, read from where it stood when the heal began.
struct ServiceLogMark: Sendable {
  /// Debian's /etc/init.d/docker sends dockerd's output to /var/log/docker.log.
  var sysvinitLog: String
  var sysvinitLogStart: Int
  /// Seconds since the epoch when the heal began: `journalctl --since @SECONDS`.
  var startedAt: Int

  init(systemRoot: String) {
    sysvinitLog = systemRoot + "/var/log/docker.log"
    sysvinitLogStart = fileSize(sysvinitLog)
    startedAt = Int(time(nil))
  }
}

extension Healer {
  /// Why the steps that could have started a dockerd here did not: each one's argv, exit status and log, classified
  /// by ``StartFailureDiagnosis``. Empty when none failed that way, or nothing explains it.
  func startFailureCauses(_ attempts: [StepAttempt], since mark: ServiceLogMark) async -> [HealthReport.Issue] {
    let diagnosis = StartFailureDiagnosis(systemRoot: facts.systemRoot, environment: paths.environment)
    var causes: [HealthReport.Issue] = []
    for attempt in attempts where [.failed, .notReady, .timedOut].contains(attempt.result.outcome) {
      guard let evidence = await evidence(of: attempt, since: mark) else { continue }
      for cause in diagnosis.causes(of: evidence) where !causes.contains(cause) { causes.append(cause) }
    }
    return causes
  }

  /// What one failed step left to read, by how it starts the engine; `nil` for a step that starts none here.
  func evidence(of attempt: StepAttempt, since mark: ServiceLogMark) async -> StartFailureEvidence? {
    let result = attempt.result
    let seen = attempt.engines.first?.arguments ?? []
    var evidence = StartFailureEvidence(engineArguments: seen, exitCode: result.exitCode, log: result.output)
    switch HealStep.Strategy(rawValue: result.strategy) {
    case .dockerd:
      evidence.engineArguments = result.command
    case .systemd:
      // Without an argv, the diagnosis reads docker.service's ExecStart.
      evidence.log += "\n" + (await journal(["-u", "docker.service"], since: mark))
    case .rootless:
      evidence.rootless = true
      evidence.log += "\n" + (await journal(["--user", "-u", "docker.service"], since: mark))
    case .sysvinit:
      if evidence.engineArguments.isEmpty { evidence.engineArguments = ["dockerd"] }
      evidence.initScript = facts.systemRoot + "/etc/init.d/docker"
      evidence.log += "\n" + logExcerpt(mark.sysvinitLog, from: mark.sysvinitLogStart, limit: 16384)
    case .configured:
      guard !seen.isEmpty else { return nil }
    default:
      return nil
    }
    return evidence
  }

  /// The journal's lines for a unit since the heal began, where journalctl is installed and the journal readable.
  func journal(_ selection: [String], since mark: ServiceLogMark) async -> String {
    let argv = ["journalctl"] + selection + ["--since", "@\(mark.startedAt)", "--no-pager", "-o", "cat", "-n", "200"]
    let outcome = await CommandRunner(searchPath: facts.searchPath, outputLimit: 16384).run(argv, timeout: .seconds(5))
    return outcome.succeeded ? outcome.output : ""
  }
}

extension HealthReport {
  /// Puts issues found outside the diagnosis (why a start failed) first, as the most specific, with their
  /// recommendations; an issue already reported is not repeated.
  public mutating func prepend(_ found: [Issue]) {
    let new = found.filter { !issues.contains($0) }
    issues.insert(contentsOf: new, at: 0)
    recommendations.insert(contentsOf: new.map(\.recommendation), at: 0)
  }
}
