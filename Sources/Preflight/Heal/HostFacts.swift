import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the heal planner needs to know about this machine, as plain values: the planner is a pure function of
/// these, so plans for macOS, Windows and WSL can be checked on any machine. ``current(endpoint:environment:)``
/// reads what is cheap to read here; richer detectors (running processes, WSL integration) can fill it in later.
public struct HostFacts: Sendable, Hashable {
  public enum OperatingSystem: String, Sendable, Hashable, Codable {
    case linux, macos, windows
  }

  /// Engine providers, as reports name them; the planner knows how to start most of them.
  public typealias Provider = EngineKit.Provider

  public var os: OperatingSystem
  public var isWSL = false
  /// Effective user id 0: no `sudo` needed, and `dockerd` may be launched directly.
  public var isRoot = false
  /// PID 1 is systemd (`/run/systemd/system` exists), so `systemctl` works.
  public var hasSystemd = false
  /// Unit files present: `docker.service`, `docker.socket`, `podman.socket`, and user units as
  /// `user:docker.service`, `user:docker-desktop.service`, `user:podman.socket`.
  public var systemdUnits: Set<String> = []
  /// `/etc/init.d/docker` exists, so `service docker start` has something to run.
  public var hasSysvinitDockerScript = false
  /// Where rootless Docker listens for this user (`$XDG_RUNTIME_DIR/docker.sock`), when it is set up.
  public var rootlessSocket: String?
  /// Programs found on the search path, by name.
  public var executables: [String: String] = [:]
  /// The directories searched for programs, in order.
  public var searchPath: [String] = []
  public var installedProviders: Set<Provider> = []
  /// Docker Desktop's `docker desktop` CLI plugin is installed (Docker Desktop 4.37 or later).
  public var hasDockerDesktopCLI = false
  /// Where a Windows drive is mounted in WSL, for launching Windows programs through interop.
  public var windowsDriveMount = "/mnt/c"
  /// The engine to heal.
  public var endpoint: Endpoint
  public var home: String
  /// Prefixed to system paths (`/var/run/docker.sock`, `/etc/init.d/docker`, unit directories): empty on a real host;
  /// `PREFLIGHT_HOST_ROOT`, a fixture tree, in tests of what this machine cannot run (systemd).
  public var systemRoot = ""

  public init(os: OperatingSystem, endpoint: Endpoint, home: String = "/root") {
    self.os = os
    self.endpoint = endpoint
    self.home = home
  }

  /// The absolute path of Docker Desktop's executable on Windows.
  public static let windowsDockerDesktop = #"C:\Program Files\Docker\Docker\Docker Desktop.exe"#

  /// The same executable, seen from WSL through the Windows drive mount.
  public var wslDockerDesktop: String { "\(windowsDriveMount)/Program Files/Docker/Docker/Docker Desktop.exe" }

  /// The programs the planner may use; ``current(endpoint:environment:)`` looks each up on the search path.
  public static let interestingExecutables = [
    "docker", "dockerd", "dockerd-rootless.sh", "systemctl", "service", "sudo", "open", "colima", "orb", "rdctl",
    "podman",
  ]

  /// What can be learned here cheaply: files and the search path, no processes spawned.
  public static func current(endpoint: Endpoint, environment: [String: String]) -> HostFacts {
    #if os(macOS)
      let os = OperatingSystem.macos
    #elseif os(Windows)
      let os = OperatingSystem.windows
    #else
      let os = OperatingSystem.linux
    #endif
    let paths = PreflightPaths(environment: environment)
    var facts = HostFacts(os: os, endpoint: endpoint, home: paths.home)
    let root = HostEnvironment(environment: environment).systemRoot
    facts.systemRoot = root
    let home = facts.home
    // System paths under the host root; the home directory's as they are.
    func fileExists(_ path: String) -> Bool {
      Preflight.fileExists(path.hasPrefix("/") && !path.hasPrefix(home + "/") ? root + path : path)
    }
    facts.isRoot = geteuid() == 0
    facts.searchPath = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
      .split(separator: ":").map(String.init).filter { !$0.isEmpty }
    for name in interestingExecutables {
      if let path = ExecutableSearch.resolve(name, in: facts.searchPath) { facts.executables[name] = path }
    }
    if facts.os == .linux {
      facts.isWSL =
        environment["WSL_DISTRO_NAME"] != nil || fileExists("/proc/sys/fs/binfmt_misc/WSLInterop")
        || (readText(root + "/proc/sys/kernel/osrelease")?.lowercased().contains("microsoft") ?? false)
      facts.hasSystemd = fileExists("/run/systemd/system")
      facts.hasSysvinitDockerScript = fileExists("/etc/init.d/docker")
      let systemDirectories = [
        "/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system",
      ]
      let userDirectories = ["\(facts.home)/.config/systemd/user", "/etc/systemd/user", "/usr/lib/systemd/user"]
      for unit in ["docker.service", "docker.socket", "podman.socket"]
      where systemDirectories.contains(where: { fileExists("\($0)/\(unit)") }) {
        facts.systemdUnits.insert(unit)
      }
      for unit in ["docker.service", "docker-desktop.service", "podman.socket"]
      where userDirectories.contains(where: { fileExists("\($0)/\(unit)") }) {
        facts.systemdUnits.insert("user:\(unit)")
      }
      if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"),
        facts.executables["dockerd-rootless.sh"] != nil || facts.systemdUnits.contains("user:docker.service")
      {
        facts.rootlessSocket = "\(runtime)/docker.sock"
        facts.installedProviders.insert(.rootlessDocker)
      }
    }
    let desktopFiles: [String] =
      switch facts.os {
      case .macos: ["/Applications/Docker.app", "\(facts.home)/Applications/Docker.app"]
      case .windows: [windowsDockerDesktop]
      case .linux:
        facts.isWSL ? [facts.wslDockerDesktop] : ["/opt/docker-desktop", "\(facts.home)/.docker/desktop"]
      }
    if desktopFiles.contains(where: fileExists) { facts.installedProviders.insert(.dockerDesktop) }
    let pluginDirectories = [
      "\(facts.home)/.docker/cli-plugins", "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
      "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins",
      "/Applications/Docker.app/Contents/Resources/cli-plugins", "/opt/docker-desktop/cli-plugins",
    ]
    facts.hasDockerDesktopCLI = pluginDirectories.contains { fileExists("\($0)/docker-desktop") }
    let byExecutable: [(String, Provider)] = [
      ("orb", .orbstack), ("rdctl", .rancherDesktop), ("colima", .colima), ("podman", .podman),
      ("dockerd", .dockerEngine),
    ]
    for (name, provider) in byExecutable where facts.executables[name] != nil {
      facts.installedProviders.insert(provider)
    }
    return facts
  }
}
