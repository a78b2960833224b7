import EngineKit
import JSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// What the host's files say about what dockerd needs from it: a user session (rootless), cgroups, kernel modules and
// a working iptables.
extension StartFailureDiagnosis {
  /// Rootless Docker needs `XDG_RUNTIME_DIR` (a directory of the user's, for its socket and its namespaces) and,
  /// under systemd, lingering so that the user's manager runs without a login session.
  func rootlessIssues() -> [HealthReport.Issue] {
    var issues: [HealthReport.Issue] = []
    let uid = geteuid()
    let fix =
      "Log in through a session that sets it (ssh or a desktop login, not `su`/`sudo -u`), or export "
      + "XDG_RUNTIME_DIR=/run/user/\(uid) once that directory exists (loginctl enable-linger makes it)"
    if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
      var status = stat()
      if stat(runtime, &status) != 0 {
        issues.append(runtimeDirectory("XDG_RUNTIME_DIR=\(runtime) cannot be used (\(errnoName(errno)))", fix: fix))
      } else if status.st_mode & S_IFMT != S_IFDIR {
        let problem = "XDG_RUNTIME_DIR=\(runtime) is not a directory (\(errnoName(ENOTDIR)))"
        issues.append(runtimeDirectory(problem, fix: fix))
      } else if status.st_uid != uid {
        issues.append(
          runtimeDirectory(
            "XDG_RUNTIME_DIR=\(runtime) belongs to uid \(status.st_uid), not to this user (uid \(uid))", fix: fix))
      } else if access(runtime, W_OK | X_OK) != 0 {
        issues.append(runtimeDirectory("XDG_RUNTIME_DIR=\(runtime) is not writable (\(errnoName(errno)))", fix: fix))
      }
    } else {
      issues.append(
        runtimeDirectory(
          "XDG_RUNTIME_DIR is not set: rootless dockerd has nowhere to put its socket and runtime state", fix: fix))
    }
    let user = environment["USER"] ?? environment["LOGNAME"] ?? Self.userName(uid)
    let systemd = HostFiles.isDirectory(systemRoot + "/run/systemd/system")
    if let user, systemd, !HostFiles.exists(systemRoot + "/var/lib/systemd/linger/\(user)") {
      issues.append(
        HealthReport.Issue(
          code: "rootless-no-linger",
          message: "Lingering is off for \(user) (no /var/lib/systemd/linger/\(user)): the user's systemd, and "
            + "rootless dockerd with it, runs only while \(user) has a login session",
          recommendation: "sudo loginctl enable-linger \(user), then systemctl --user start docker"))
    }
    return issues
  }

  private func runtimeDirectory(_ message: String, fix: String) -> HealthReport.Issue {
    HealthReport.Issue(code: "rootless-runtime-dir", message: message, recommendation: fix)
  }

  private static func userName(_ uid: uid_t) -> String? {
    guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
    return String(cString: name)
  }

  /// The cgroup file systems mounted (`/proc/self/mounts`): none at all, or cgroup v1 without the devices controller
  /// (dockerd refuses both, "Devices cgroup isn't mounted", except in a user namespace: rootless); or the systemd
  /// driver asked for where systemd does not run.
  func cgroupIssues(arguments: [String], settings: JSONObject?, failure: FailureLog, rootless: Bool)
    -> [HealthReport.Issue]
  {
    var issues: [HealthReport.Issue] = []
    let mountsFile = systemRoot + "/proc/self/mounts"
    if !rootless, let table = HostFiles.contents(of: mountsFile, limit: 4 << 20) {
      let mounts = String(decoding: table, as: UTF8.self)
      let cgroups = mounts.split(whereSeparator: \.isNewline).compactMap(CgroupMount.init)
      let unified =
        cgroups.contains { $0.type == "cgroup2" && $0.point == "/sys/fs/cgroup" } || Self.isCgroup2(systemRoot)
      if cgroups.isEmpty && !unified {
        issues.append(
          HealthReport.Issue(
            code: "cgroup-mismatch",
            message: "No cgroup file system is mounted (\(mountsFile) lists neither cgroup nor cgroup2): dockerd "
              + "needs cgroups to run containers",
            recommendation: "Mount cgroup v2 (mount -t cgroup2 none /sys/fs/cgroup), or boot with systemd, which "
              + "mounts it; in a container, run it with --privileged or --cgroupns=host"))
      } else if !unified, !cgroups.contains(where: { $0.options.contains("devices") }) {
        issues.append(
          HealthReport.Issue(
            code: "cgroup-mismatch",
            message: "cgroup v1 is mounted without the devices controller (\(mountsFile)): dockerd refuses to start "
              + "(\"Devices cgroup isn't mounted\")",
            recommendation: "Mount it (mkdir /sys/fs/cgroup/devices && mount -t cgroup -o devices cgroup "
              + "/sys/fs/cgroup/devices), or boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1)"))
      }
    }
    let execOptions =
      CommandLineFlags(arguments).values(of: ["--exec-opt"])
      + (settings?["exec-opts"]?.arrayValue ?? []).compactMap(\.stringValue)
    let systemdDriver = execOptions.contains { $0.replacing(" ", with: "") == "native.cgroupdriver=systemd" }
    // dockerd 20.10 starts with the systemd driver and no systemd: a cause only when the failure is about cgroups.
    if systemdDriver, !HostFiles.isDirectory(systemRoot + "/run/systemd/system"),
      let line = failure.line(mentioning: ["cgroup", "systemd", "dbus"])
    {
      issues.append(
        HealthReport.Issue(
          code: "cgroup-mismatch",
          message: "dockerd is told to use the systemd cgroup driver (native.cgroupdriver=systemd) but systemd does "
            + "not run here (no /run/systemd/system); it failed with: \(line)",
          recommendation: "Use the cgroupfs driver: remove native.cgroupdriver=systemd from --exec-opt or "
            + "\"exec-opts\" in daemon.json (or set native.cgroupdriver=cgroupfs)"))
    }
    return issues
  }

  /// /sys/fs/cgroup is the cgroup v2 file system itself: only its root has `cgroup.controllers` (the statfs magic
  /// says the same, but Glibc's module does not export statfs, and a fixture tree can hold the file).
  static func isCgroup2(_ systemRoot: String) -> Bool {
    HostFiles.kind(systemRoot + "/sys/fs/cgroup/cgroup.controllers") == .file
  }

  /// The running kernel's modules are gone (an upgrade removed them and the machine was not rebooted) and the start
  /// failed loading one: `/lib/modules` alone proves nothing, since a kernel with what dockerd needs built in runs
  /// without it.
  func kernelModuleIssues(failure: FailureLog) -> [HealthReport.Issue] {
    let directories = ["/lib/modules/\(kernelRelease)", "/usr/lib/modules/\(kernelRelease)"]
    guard directories.allSatisfy({ !HostFiles.exists(systemRoot + $0) }),
      let line = failure.line(mentioning: Self.moduleWords)
    else { return [] }
    let installed = HostFiles.entries(of: systemRoot + "/lib/modules")
    let others = installed.isEmpty ? "" : " (installed: \(installed.joined(separator: ", ")))"
    return [
      HealthReport.Issue(
        code: "kernel-modules-missing",
        message: "The running kernel's modules are missing: /lib/modules/\(kernelRelease) does not exist "
          + "(\(errnoName(ENOENT)))\(others), and the start failed loading kernel support: \(line)",
        recommendation: "Reboot into the installed kernel, or reinstall the modules of the running one "
          + "(linux-modules-\(kernelRelease) or your distribution's kernel package); to start without iptables "
          + "meanwhile, set \"iptables\": false in daemon.json")
    ]
  }

  /// What a failure mentions when it needed a kernel module: the firewall's and the storage driver's.
  static let moduleWords = [
    "modprobe", "kernel module", "iptables", "ip6tables", "nf_tables", "nftables", "ip_tables", "br_netfilter",
    "overlay", "driver not supported",
  ]

  /// iptables failed and the host's iptables does not match its kernel: the nft variant with nf_tables unavailable,
  /// or with the kernel's legacy tables in use (rules split over two backends), or no iptables at all.
  func firewallIssues(failure: FailureLog) -> [HealthReport.Issue] {
    guard let line = failure.line(mentioning: ["iptables", "ip6tables", "nftables", "nf_tables", "xtables"])
    else { return [] }
    let fallback =
      "or start without it: \"iptables\": false in daemon.json (containers then get no NAT or port "
      + "publishing from dockerd)"
    guard
      let program = ["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"]
        .first(where: { HostFiles.exists(systemRoot + $0) || HostFiles.symlinkTarget(systemRoot + $0) != nil })
    else {
      return [
        HealthReport.Issue(
          code: "firewall-backend",
          message: "dockerd's iptables step failed and no iptables is installed (/usr/sbin/iptables: "
            + "\(errnoName(ENOENT))): \(line)",
          recommendation: "Install iptables (apt-get install iptables), \(fallback)")
      ]
    }
    let chain = linkChain(program)
    let target = chain.last ?? program
    let variant = target.contains("nft") ? "nft" : target.contains("legacy") ? "legacy" : nil
    let shown = chain.joined(separator: " → ")
    guard HostFiles.exists(systemRoot + target) else {
      return [
        HealthReport.Issue(
          code: "firewall-backend",
          message: "iptables leads nowhere: \(shown) (\(errnoName(ENOENT))), and dockerd's iptables step failed: "
            + "\(line)",
          recommendation: "Repair the alternative: update-alternatives --set iptables /usr/sbin/iptables-legacy (or "
            + "iptables-nft, whichever is installed), \(fallback)")
      ]
    }
    let legacyTables = (readText(systemRoot + "/proc/net/ip_tables_names") ?? "")
      .split(whereSeparator: \.isNewline).map(String.init)
    if variant == "nft", nfTablesAvailable() == false {
      return [
        HealthReport.Issue(
          code: "firewall-backend",
          message: "iptables is the nf_tables variant (\(shown)) but this kernel has no nf_tables (not loaded in "
            + "/proc/modules, not built in, no nf_tables.ko under /lib/modules/\(kernelRelease)); dockerd: \(line)",
          recommendation: "Switch to the legacy backend: update-alternatives --set iptables /usr/sbin/iptables-legacy "
            + "(and ip6tables), \(fallback)")
      ]
    }
    if variant == "nft", !legacyTables.isEmpty {
      return [
        HealthReport.Issue(
          code: "firewall-backend",
          message: "iptables is the nf_tables variant (\(shown)) while the kernel holds legacy iptables tables "
            + "(\(legacyTables.joined(separator: ", ")) in /proc/net/ip_tables_names): rules are split over two "
            + "backends; dockerd: \(line)",
          recommendation: "Use one backend: update-alternatives --set iptables /usr/sbin/iptables-legacy if the "
            + "host's firewall uses legacy tables, \(fallback)")
      ]
    }
    return []
  }

  /// `true` when nf_tables is loaded or built in or can be loaded, `false` when the module files prove it cannot be,
  /// `nil` when they cannot tell (no /lib/modules for this kernel).
  func nfTablesAvailable() -> Bool? {
    let loaded = (readText(systemRoot + "/proc/modules") ?? "").split(whereSeparator: \.isNewline)
      .contains { $0.hasPrefix("nf_tables ") }
    if loaded { return true }
    let modules = systemRoot + "/lib/modules/\(kernelRelease)"
    guard HostFiles.isDirectory(modules) else { return nil }
    if (readText(modules + "/modules.builtin") ?? "").contains("/nf_tables.ko") { return true }
    let netfilter = HostFiles.entries(of: modules + "/kernel/net/netfilter")
    return netfilter.contains { $0.hasPrefix("nf_tables.ko") }
  }

  /// `path` and each link it leads through (alternatives), under the system root, at most 8 deep.
  func linkChain(_ path: String) -> [String] {
    var chain = [path]
    var current = path
    while chain.count < 9, let target = HostFiles.symlinkTarget(systemRoot + current) {
      if target.hasPrefix("/") {
        current = target
      } else {
        let directory = current.split(separator: "/").dropLast().joined(separator: "/")
        current = HostFiles.normalizedPath("/\(directory)/\(target)")
      }
      chain.append(current)
    }
    return chain
  }
}

/// A cgroup file system in a mounts table (`cgroup /sys/fs/cgroup/devices cgroup rw,devices 0 0`).
struct CgroupMount {
  var point: String
  var type: String
  var options: [Substring]

  init?(_ line: Substring) {
    let fields = line.split(separator: " ")
    guard fields.count >= 4, fields[2] == "cgroup" || fields[2] == "cgroup2" else { return nil }
    point = String(fields[1])
    type = String(fields[2])
    options = fields[3].split(separator: ",")
  }
}
