/// What stops the domain from doing what was asked, with what a person needs to act on it.
public enum PreflightError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A configuration source (a file, an environment variable) holds a value that cannot be used.
  /// `source` names the file or variable, `key` the offending key (dotted for nested ones), `problem` what was
  /// expected and what was found.
  case configuration(source: String, key: String?, problem: String)
  /// Healing would change this machine and nobody consented; `plan` is what would have run.
  case healNotPermitted(plan: [HealStep], report: HealthReport)
  /// `--strategy`/`strategies` named something the planner does not know.
  case unknownStrategies([String])
  /// A file or directory docker-preflight needs for its own bookkeeping (lock, state) cannot be used.
  case stateUnavailable(path: String, reason: String)

  public var description: String {
    switch self {
    case .configuration(let source, let key?, let problem):
      "\(source): \"\(key)\": \(problem)"
    case .configuration(let source, nil, let problem):
      "\(source): \(problem)"
    case .healNotPermitted(let plan, _):
      "heal not permitted: starting the engine needs consent (--yes, PREFLIGHT_HEAL=1, or \"heal\": {\"allow\": true} "
        + "in the configuration); the plan was: "
        + (plan.isEmpty ? "(no steps)" : plan.map(\.commandLine).joined(separator: "; then "))
    case .unknownStrategies(let names):
      "unknown heal strategy \(names.map { "\"\($0)\"" }.joined(separator: ", ")); known: "
        + HealStep.Strategy.allCases.map(\.rawValue).joined(separator: ", ")
    case .stateUnavailable(let path, let reason):
      "\(path): \(reason)"
    }
  }
}
