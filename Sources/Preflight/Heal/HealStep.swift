/// One way of starting the engine: a program and its arguments (argv, never a shell string), how to launch it, and
/// how long to wait for the engine afterwards.
public struct HealStep: Sendable, Hashable, Codable {
  /// Stable names: `--strategy`, the `strategies` param and the action log use them.
  public enum Strategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// `startCommand` from the configuration or `PREFLIGHT_START_COMMAND`.
    case configured
    /// `docker desktop start` (Docker Desktop 4.37 or later).
    case dockerDesktopCLI = "docker-desktop-cli"
    /// Docker Desktop's application: `open -a Docker`, its `.exe`, or its systemd user unit.
    case dockerDesktop = "docker-desktop"
    case orbstack
    case rancherDesktop = "rancher-desktop"
    case colima
    case podmanMachine = "podman-machine"
    case podmanSocket = "podman-socket"
    /// `systemctl start docker.socket docker.service`.
    case systemd
    /// `service docker start` (sysvinit, WSL).
    case sysvinit
    /// `systemctl --user start docker` (rootless Docker).
    case rootless
    /// `dockerd` launched directly, detached: for root where nothing manages the engine (CI, containers).
    case dockerd
    /// A hung engine's process stopped by pid (SIGTERM, then SIGKILL), so that a start step can replace it.
    case stopEngine = "stop-engine"
  }

  public enum Launch: String, Sendable, Hashable, Codable {
    /// Runs to completion within the deadline; exit status 0 means it did its part.
    case run
    /// Started in a session of its own and left running (a daemon, a GUI application); output goes to `logFile`.
    case detached
    /// Not a program: the process `pid` is sent SIGTERM (SIGKILL if it lingers) and awaited. `command` shows it as
    /// `kill -TERM PID`.
    case stop
  }

  public var strategy: Strategy
  /// Whether the step may start a dockerd on this host, which a crash's leftovers (its pidfile) can make fail.
  var mayStartLocalDockerd: Bool { [.configured, .systemd, .sysvinit, .rootless, .dockerd].contains(strategy) }
  /// argv: the program (a name looked up on the search path, or a path) and its arguments, passed as they are.
  public var command: [String]
  /// What the step does, for people.
  public var summary: String
  public var launch: Launch
  /// Where a detached program's output goes.
  public var logFile: String?
  /// Where a detached daemon records its pid (dockerd's `--pidfile`).
  public var pidFile: String?
  /// How long to wait for the engine after the command did its part (bounded by what is left of the heal's time).
  public var readinessTimeoutMs: Int
  /// The process a stop step ends.
  public var pid: Int?

  public init(
    strategy: Strategy, command: [String], summary: String, launch: Launch = .run, logFile: String? = nil,
    pidFile: String? = nil, readinessTimeout: Duration, pid: Int? = nil
  ) {
    self.pid = pid
    self.strategy = strategy
    self.command = command
    self.summary = summary
    self.launch = launch
    self.logFile = logFile
    self.pidFile = pidFile
    self.readinessTimeoutMs = readinessTimeout.milliseconds
  }

  public var readinessTimeout: Duration { .milliseconds(readinessTimeoutMs) }

  /// The command as a person would type it, quoted where needed; for display only, never executed.
  public var commandLine: String { Self.quotedLine(command) }

  static func quotedLine(_ argv: [String]) -> String { argv.map(quoted).joined(separator: " ") }

  static func quoted(_ argument: String) -> String {
    let plain = argument.unicodeScalars.allSatisfy { scalar in
      (scalar.properties.isAlphabetic && scalar.isASCII) || "0123456789-_./:=@,+%".unicodeScalars.contains(scalar)
    }
    if plain && !argument.isEmpty { return argument }
    return "'" + argument.replacing("'", with: #"'\''"#) + "'"
  }
}
