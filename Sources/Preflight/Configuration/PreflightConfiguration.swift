/// What a person configured, merged from lowest to highest precedence: built-in defaults, the configuration file,
/// the environment, then command-line flags (applied by the command that owns them).
public struct PreflightConfiguration: Sendable, Equatable {
  /// A command that starts the engine, tried before anything else; argv, never run through a shell.
  public var startCommand: [String]?
  /// Consent to heal without asking (`heal.allow`, `PREFLIGHT_HEAL=1`, `--yes`).
  public var healAllowed = false
  /// Restricts healing to these strategies (`heal.strategies`, `--strategy`).
  public var healStrategies: [String]?
  /// How long a heal or a wait may take in all.
  public var timeout: Duration = .seconds(90)
  /// Engines whose API is older are reported as degraded.
  public var minApiVersion: String?
  /// An image already present locally, for the deep smoke check.
  public var probeImage: String?
  /// The real docker CLI, for the docker-path shim.
  public var dockerPath: String?
  /// How long an engine process may keep its socket unanswered before it counts as hung rather than starting
  /// (`hungAfter`; ``DiagnoseOptions/hungAfter`` when unset).
  public var hungAfter: Duration?
  /// Where heal steps are logged; `PreflightPaths.defaultActionLog` when unset.
  public var actionLog: String?
  /// The configuration file that was read, if any.
  public var file: String?
  /// Things worth telling a person that do not stop us (unknown keys).
  public var warnings: [String] = []

  public init() {}
}
