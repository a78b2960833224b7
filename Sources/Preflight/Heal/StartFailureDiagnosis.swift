import EngineKit
import JSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a failed engine start left to read.
public struct StartFailureEvidence: Sendable {
  /// The engine's argv as launched or observed (argv[0] first, e.g. ["dockerd", "--host", ...]); empty when unknown.
  public var engineArguments: [String]
  /// The step's exit status (128+signal when killed), when it exited.
  public var exitCode: Int?
  /// The engine's log since the launch (or the step's output). For the systemd strategy the Healer passes the text of
  /// `journalctl -u docker` here where the journal is readable: this type never runs it, so it stays a pure function
  /// of files and evidence.
  public var log: String
  /// The engine is rootless Docker (dockerd-rootless.sh, `systemctl --user`).
  public var rootless: Bool
  /// The init script that was to start dockerd (`service docker start`: /etc/init.d/docker), when one was.
  public var initScript: String?

  public init(
    engineArguments: [String] = [], exitCode: Int? = nil, log: String = "", rootless: Bool = false,
    initScript: String? = nil
  ) {
    self.engineArguments = engineArguments
    self.exitCode = exitCode
    self.log = log
    self.rootless = rootless
    self.initScript = initScript
  }
}

/// Why a start failed: from files, errno and the host; message text only where nothing else says it.
///
/// Each cause is an issue whose code is stable: `daemon-config-invalid`, `daemon-config-conflict`,
/// `rootless-runtime-dir`, `rootless-no-linger`, `service-limits`, `data-root-unwritable`, `data-root-full`,
/// `cgroup-mismatch`, `kernel-modules-missing`, `firewall-backend`. The log is read only to learn what the start was
/// doing when it failed (the firewall, kernel modules, cgroups), never to decide a cause a file or an errno can prove.
public struct StartFailureDiagnosis: Sendable {
  /// Prefixed to system paths: "" on a real host, a fixture tree in tests.
  public var systemRoot: String
  /// The caller's environment: HOME, USER, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME.
  public var environment: [String: String]
  /// `uname -r` of the kernel whose modules the engine needs.
  public var kernelRelease: String
  /// Free space under which the data root counts as full; `nil`: 1% of its file system, at most 100 MiB.
  public var minimumFreeBytes: Int64?
  /// This process runs as root. Permission errors (`EACCES`) say something of dockerd only when it runs as the same
  /// user (root, or rootless: this user): a user cannot read /var/lib/docker, and a root dockerd can.
  var isRoot = geteuid() == 0
  /// This process may raise a hard resource limit (CAP_SYS_RESOURCE), as the init scripts it runs do.
  var canRaiseHardLimits = Self.hasSysResourceCapability
  /// Hard limits by `ulimit` option (`n`, `u`, `p`; `UInt64.max`: unlimited) standing in for this process's own, in
  /// tests.
  var hardLimits: [Character: UInt64] = [:]

  /// `systemRoot` prefixes system paths (/etc/docker/daemon.json, /lib/modules, unit files, /sys/fs/cgroup,
  /// /var/lib/systemd/linger): "" on a real host, a fixture tree in tests. `environment` is the caller's (HOME,
  /// XDG_RUNTIME_DIR, XDG_CONFIG_HOME, USER).
  public init(systemRoot: String, environment: [String: String], kernelRelease: String? = nil) {
    self.systemRoot = systemRoot
    self.environment = environment
    self.kernelRelease =
      kernelRelease
      ?? HostFiles.text(of: systemRoot + "/proc/sys/kernel/osrelease").flatMap { $0.isEmpty ? nil : $0 }
      ?? DiskSpaceCheck.kernelRelease
  }

  /// The causes found, most specific first; empty when nothing explains it.
  ///
  /// Without `engineArguments` (a start through systemd), dockerd's argv is read from the unit's `ExecStart`.
  /// Paths the argv names are taken as they are; `systemRoot` prefixes only the defaults.
  public func causes(of evidence: StartFailureEvidence) -> [HealthReport.Issue] {
    var arguments = evidence.engineArguments
    var argumentsSource = "dockerd's command line"
    if arguments.isEmpty, !evidence.rootless, let unit = Self.systemdUnitArguments(systemRoot: systemRoot) {
      arguments = unit
      argumentsSource = "ExecStart of docker.service"
    }
    let failure = FailureLog(evidence.log)
    let sameUser = isRoot || evidence.rootless
    let configuration = DaemonConfiguration.load(
      path: configurationPath(arguments: arguments, rootless: evidence.rootless),
      explicit: CommandLineFlags(arguments).value(of: ["--config-file"]) != nil, readAsEngine: sameUser)

    var issues = evidence.initScript.map(serviceLimitIssues(initScript:)) ?? []
    issues += configuration.issues
    if let settings = configuration.settings {
      issues += configuration.conflicts(with: arguments, source: argumentsSource, settings: settings)
    }
    if evidence.rootless { issues += rootlessIssues() }
    let root = dataRoot(arguments: arguments, settings: configuration.settings, evidence)
    issues += dataRootIssues(path: root, permissionsApply: sameUser)
    issues += cgroupIssues(
      arguments: arguments, settings: configuration.settings, failure: failure, rootless: evidence.rootless)
    issues += kernelModuleIssues(failure: failure)
    issues += firewallIssues(failure: failure)
    return issues
  }

  /// The daemon.json dockerd reads: `--config-file`, else rootless `$XDG_CONFIG_HOME/docker/daemon.json`, else
  /// `/etc/docker/daemon.json`.
  func configurationPath(arguments: [String], rootless: Bool) -> String {
    if let given = CommandLineFlags(arguments).value(of: ["--config-file"]) { return given }
    if rootless { return "\(configHome)/docker/daemon.json" }
    return systemRoot + "/etc/docker/daemon.json"
  }

  /// `--data-root` (or the old `-g`), else daemon.json's `data-root` (or `graph`), else the default.
  func dataRoot(arguments: [String], settings: JSONObject?, _ evidence: StartFailureEvidence) -> String {
    if let given = CommandLineFlags(arguments).value(of: ["--data-root", "-g", "--graph"]) { return given }
    if let configured = settings?["data-root"]?.stringValue ?? settings?["graph"]?.stringValue { return configured }
    if evidence.rootless {
      let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "\(home)/.local/share"
      return "\(dataHome)/docker"
    }
    return systemRoot + "/var/lib/docker"
  }

  var home: String { PreflightPaths(environment: environment).home }

  var configHome: String {
    environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "\(home)/.config"
  }
}

/// The lines of an engine's log that say why it stopped: errors and the plain lines dockerd prints as it exits
/// (`failed to start daemon: …`), not the info and warnings every start writes (a normal start mentions `modprobe`).
struct FailureLog {
  let lines: [String]

  init(_ log: String) {
    // logrus's text format (a file), its TTY format (`INFO[0000]`), and JSON (`log-format: json`, later releases).
    let quiet = [
      "level=info", "level=debug", "level=warning", "level=trace", "INFO[", "DEBU[", "WARN[", "TRAC[",
      #""level":"info""#, #""level":"debug""#, #""level":"warning""#,
    ]
    lines = log.split(whereSeparator: \.isNewline).map(String.init).filter { line in
      !line.allSatisfy(\.isWhitespace) && !quiet.contains { line.contains($0) }
    }
  }

  /// The first failure line that mentions any of `words` (case-insensitive), shortened for a message.
  func line(mentioning words: [String]) -> String? {
    guard
      let found = lines.first(where: { line in
        let lowered = line.lowercased()
        return words.contains { lowered.contains($0) }
      })
    else { return nil }
    let trimmed = found.trimmingWhitespace
    return trimmed.count > 240 ? String(trimmed.prefix(240)) + "…" : trimmed
  }
}

/// `EACCES` for 13: issue messages name the errno as the man pages do.
func errnoName(_ number: Int32) -> String {
  let names: [Int32: String] = [
    EPERM: "EPERM", ENOENT: "ENOENT", EIO: "EIO", EACCES: "EACCES", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR",
    ENOSPC: "ENOSPC", EROFS: "EROFS", ELOOP: "ELOOP", ENAMETOOLONG: "ENAMETOOLONG", EDQUOT: "EDQUOT",
  ]
  let text = String(cString: strerror(number))
  return names[number].map { "\($0), \(text)" } ?? "errno \(number), \(text)"
}
