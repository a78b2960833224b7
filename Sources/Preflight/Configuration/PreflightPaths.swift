#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where docker-preflight keeps its files, following the XDG base directory specification: configuration under
/// `$XDG_CONFIG_HOME` (`~/.config`), the action log and daemon logs under `$XDG_STATE_HOME` (`~/.local/state`), the
/// heal lock under `$XDG_RUNTIME_DIR` (or a private directory in /tmp when there is none).
public struct PreflightPaths: Sendable, Hashable {
  public var environment: [String: String]

  public init(environment: [String: String]) {
    self.environment = environment
  }

  static let directoryName = "docker-preflight"

  public var home: String {
    if let home = environment["HOME"], !home.isEmpty { return home }
    if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir { return String(cString: directory) }
    return "/"
  }

  /// `PREFLIGHT_CONFIG`, else `$XDG_CONFIG_HOME/docker-preflight/config.json`.
  public var configFile: String {
    if let file = environment["PREFLIGHT_CONFIG"], !file.isEmpty { return file }
    return "\(baseDirectory("XDG_CONFIG_HOME", default: ".config"))/\(Self.directoryName)/config.json"
  }

  /// `$XDG_STATE_HOME/docker-preflight`: the action log, and the log and pidfile of a daemon we launched.
  public var stateDirectory: String {
    "\(baseDirectory("XDG_STATE_HOME", default: ".local/state"))/\(Self.directoryName)"
  }

  public var defaultActionLog: String { "\(stateDirectory)/actions.log" }

  /// `$XDG_RUNTIME_DIR/docker-preflight`, or `/tmp/docker-preflight-<uid>`: per user, gone at reboot, as a lock
  /// should be.
  public var runtimeDirectory: String {
    if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
      return "\(runtime)/\(Self.directoryName)"
    }
    return "/tmp/\(Self.directoryName)-\(getuid())"
  }

  /// The XDG variable when it holds an absolute path (the specification says to ignore relative ones), else
  /// `~/<fallback>`.
  private func baseDirectory(_ variable: String, default fallback: String) -> String {
    if let value = environment[variable], value.hasPrefix("/") { return value }
    return "\(home)/\(fallback)"
  }
}
