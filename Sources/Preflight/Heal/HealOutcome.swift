/// What a heal did and where the engine stands afterwards.
public struct HealOutcome: Sendable, Codable {
  /// The engine answers now (it may have been ready all along: then `steps` is empty).
  public var healed: Bool
  /// One line for people: what made it ready, or why it could not be made ready, naming the step and its output.
  public var message: String
  /// Nothing was run: `plan` is what would have run.
  public var dryRun: Bool
  public var plan: [HealStep]
  /// The steps that ran, in order.
  public var steps: [HealStepResult]
  /// Another heal on this host held the lock; we waited for it and used its result.
  public var waitedForConcurrentHeal: Bool
  /// A diagnosis after the last step (or before any, when none ran).
  public var report: HealthReport
  public var durationMs: Int
  /// Things that did not stop the heal but deserve a look (the action log could not be written).
  public var warnings: [String]
  /// Stale files a crashed engine had left, removed before a start (each is in the action log too).
  public var leftovers: [Leftover]
}

/// One step that ran: what was run, how it ended, and what it said.
public struct HealStepResult: Sendable, Codable, Hashable {
  public enum Outcome: String, Sendable, Codable, Hashable {
    /// The engine answered after this step.
    case ready
    /// The command failed (non-zero exit, killed by a signal), or a detached program exited before the engine
    /// answered.
    case failed
    /// The command succeeded but the engine did not answer within the step's readiness time.
    case notReady = "not-ready"
    /// The command was still running at the deadline and was stopped.
    case timedOut = "timed-out"
    /// The program could not be started (not found, not executable).
    case notLaunched = "not-launched"
    /// The heal was cancelled while this step ran.
    case cancelled
    /// Not run: it would have started a daemon on a socket others could replace (``SocketTrust``).
    case refused
    /// A stop step: the hung engine's process exited.
    case stopped
  }

  public var strategy: String
  /// argv, exactly as it was passed.
  public var command: [String]
  /// The exit status (128 + signal when killed); `null` when it did not exit by itself, or is left running.
  public var exitCode: Int?
  public var durationMs: Int
  /// The end of the command's output (for a detached program: of its log since it was launched).
  public var output: String
  public var outcome: Outcome
  /// A detached program's pid (e.g. dockerd's), left running.
  public var pid: Int?
  /// A detached program's log file.
  public var logFile: String?
}
