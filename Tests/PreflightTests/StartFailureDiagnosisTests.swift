import Foundation
import TestSupport
import Testing

@testable import Preflight

extension FixtureRoot {
  /// Free space is not judged unless a test asks: the fixture's /tmp may be small.
  func diagnosis(_ environment: [String: String] = [:], kernel: String = "6.1.0-fixture") -> StartFailureDiagnosis {
    var diagnosis = StartFailureDiagnosis(
      systemRoot: root, environment: ["HOME": root + "/home/me"].merging(environment) { $1 }, kernelRelease: kernel)
    diagnosis.minimumFreeBytes = 0
    return diagnosis
  }
}

/// Lines as dockerd 20.10.24 wrote them here when it failed (see Tests/IntegrationTests/StartFailureTests.swift).
enum DockerdLog {
  static let startingUp = #"time="2026-12-05T13:20:45Z" level=info msg="Starting up""#
  /// Every start writes this, failed or not: a mention of modprobe that explains nothing.
  static let aufsSkipped =
    #"time="2026-12-05T13:20:20Z" level=info msg="skip loading plugin \"io.containerd.snapshotter.v1.aufs\"..." "#
    + #"error="aufs is not supported (modprobe aufs failed: exec: \"modprobe\": executable file not found in $PATH "#
    + #"\"\"): skip plugin" type=io.containerd.snapshotter.v1"#
  static let iptablesFailed =
    "failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to "
    + "create NAT chain DOCKER: iptables failed: iptables -t nat -N DOCKER: iptables v1.8.9 (nf_tables): Could not "
    + "fetch rule set generation id: Invalid argument\n (exit status 4)"
  static let normalStart = [startingUp, aufsSkipped].joined(separator: "\n")
  static let firewallFailure = [startingUp, aufsSkipped, iptablesFailed].joined(separator: "\n")
}

@Suite("Start failure causes")
struct StartFailureDiagnosisTests {
  static let dockerd = ["dockerd"]

  // MARK: daemon.json

  struct BrokenFile: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    /// The line and column the message must name; nil when the file parses but is not an object.
    var position: (line: Int, column: Int)?
    var testDescription: String { name }
  }

  static let brokenFiles: [BrokenFile] = [
    BrokenFile(name: "a trailing comma", text: "{\n  \"debug\": true,\n}\n", position: (3, 1)),
    BrokenFile(name: "two commas", text: "{\n  \"debug\": true,,\n  \"log-level\": \"info\"\n}\n", position: (2, 17)),
    BrokenFile(name: "an unterminated string", text: "{\"log-level\": \"info}\n", position: (1, 20)),
    BrokenFile(name: "an empty file", text: "", position: (1, 0)),
    BrokenFile(name: "an array", text: "[\"debug\"]\n", position: nil),
  ]

  @Test(
    "a daemon.json that is not a JSON object is daemon-config-invalid, naming the file, line and column",
    arguments: brokenFiles)
  func invalidConfiguration(_ broken: BrokenFile) throws {
    let host = try FixtureRoot(prefix: "sfd")
    let file = try host.write(broken.text, to: "/etc/docker/daemon.json")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(engineArguments: Self.dockerd, exitCode: 1))
    let issue = try #require(issues.first)
    #expect(issue.code == "daemon-config-invalid")
    #expect(issue.message.contains(file))
    if let position = broken.position {
      #expect(issue.message.contains("line \(position.line), column \(position.column)"), "\(issue.message)")
    } else {
      #expect(issue.message.contains("array, not an object"))
    }
    #expect(issue.recommendation.contains(file))
  }

  @Test("a missing /etc/docker/daemon.json is no fault, a missing --config-file is (dockerd exits with ENOENT)")
  func missingConfiguration() throws {
    let host = try FixtureRoot(prefix: "sfd")
    #expect(host.diagnosis().causes(of: StartFailureEvidence(engineArguments: Self.dockerd)).isEmpty)
    let named = host.root + "/elsewhere/daemon.json"
    let issues = host.diagnosis().causes(
      of: StartFailureEvidence(engineArguments: ["dockerd", "--config-file", named], exitCode: 1))
    #expect(issues.map(\.code) == ["daemon-config-invalid"])
    #expect(issues.first?.message.contains("\(named) (ENOENT") == true)
  }

  @Test("keys dockerd has no option for are daemon-config-invalid; settings nested in an object count at the top level")
  func unknownKeys() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.write(
      #"{"debug": true, "log-format": "json", "tls-verify": true, "nested": {"b": "x"}, "log-opts": {"x": "1"}}"#,
      to: "/etc/docker/daemon.json")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(engineArguments: Self.dockerd))
    #expect(issues.map(\.code) == ["daemon-config-invalid"])
    let message = try #require(issues.first?.message)
    // dockerd 20.10 named exactly these: "b" (from the nested object) and the misspelt one.
    #expect(message.contains(#""b", "tls-verify""#), "\(message)")
    #expect(!message.contains("log-opts") && !message.contains("\"x\"") && !message.contains("nested"))
  }

  @Test("a file that uses only dockerd's options and no flag of the command line explains nothing")
  func validConfiguration() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.write(
      #"{"debug": true, "log-level": "info", "registry-mirrors": ["https://m"], "features": {"buildkit": true}}"#,
      to: "/etc/docker/daemon.json")
    let evidence = StartFailureEvidence(engineArguments: ["dockerd", "--data-root", host.root + "/data"], exitCode: 1)
    #expect(host.diagnosis().causes(of: evidence).isEmpty)
  }

  struct Conflict: Sendable, CustomTestStringConvertible {
    var file: String
    var arguments: [String]
    var key: String
    var flag: String
    var testDescription: String { "\(key) and \(arguments.dropFirst().joined(separator: " "))" }
  }

  static let conflicts: [Conflict] = [
    Conflict(file: #"{"hosts": ["unix:///x.sock"]}"#, arguments: ["dockerd", "-H", "fd://"], key: "hosts", flag: "-H"),
    Conflict(
      file: #"{"hosts": ["tcp://0.0.0.0:2375"]}"#, arguments: ["dockerd", "--host=unix:///a.sock"], key: "hosts",
      flag: "--host"),
    Conflict(
      file: #"{"pidfile": "/x.pid"}"#, arguments: ["dockerd", "--pidfile=/y.pid"], key: "pidfile",
      flag: "--pidfile"),
    Conflict(
      file: #"{"storage-driver": "vfs"}"#, arguments: ["dockerd", "-s", "vfs"], key: "storage-driver",
      flag: "-s"),
    Conflict(
      file: #"{"data-root": "/d"}"#, arguments: ["dockerd", "--data-root", "/d"], key: "data-root",
      flag: "--data-root"),
    Conflict(
      file: #"{"tlsverify": true}"#, arguments: ["dockerd", "--tlsverify"], key: "tlsverify",
      flag: "--tlsverify"),
    Conflict(file: #"{"labels": ["a=b"]}"#, arguments: ["dockerd", "--label", "c=d"], key: "labels", flag: "--label"),
    Conflict(file: #"{"debug": true}"#, arguments: ["dockerd", "-D"], key: "debug", flag: "-D"),
    Conflict(
      file: #"{"iptables": false}"#, arguments: ["dockerd", "--iptables=false"], key: "iptables",
      flag: "--iptables"),
  ]

  @Test(
    "a setting both in daemon.json and on the command line is daemon-config-conflict, naming key, flag and file",
    arguments: conflicts)
  func conflict(_ conflict: Conflict) throws {
    let host = try FixtureRoot(prefix: "sfd")
    let file = try host.write(conflict.file, to: "/etc/docker/daemon.json")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(engineArguments: conflict.arguments, exitCode: 1))
    let issue = try #require(issues.first { $0.code == "daemon-config-conflict" })
    #expect(issue.message.contains("\"\(conflict.key)\""))
    #expect(issue.message.contains(conflict.flag))
    #expect(issue.message.contains(file))
    #expect(issue.recommendation.contains("Remove \"\(conflict.key)\" from \(file)"))
  }

  @Test("fixture docker.service with -H fd:// and \"hosts\" in daemon.json: the classic conflict, from the unit")
  func systemdConflict() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.write(
      "[Unit]\nDescription=Docker\n[Service]\nType=notify\n"
        + "ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n",
      to: "/lib/systemd/system/docker.service")
    try host.write(#"{"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]}"#, to: "/etc/docker/daemon.json")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(exitCode: 1))
    #expect(issues.map(\.code) == ["daemon-config-conflict"])
    let issue = try #require(issues.first)
    #expect(issue.message.contains("-H fd://") && issue.message.contains("ExecStart of docker.service"))
    #expect(issue.recommendation.contains("systemctl edit docker"))
  }

  // MARK: docker.service

  @Test("fixture: no docker.service is nil; ExecStart of /lib's unit is split as systemd splits it")
  func unitArguments() throws {
    let host = try FixtureRoot(prefix: "sfd")
    #expect(StartFailureDiagnosis.systemdUnitArguments(systemRoot: host.root) == nil)
    try host.write(
      "[Service]\n# ExecStart=/not/this\nExecStart=-/usr/bin/dockerd -H fd:// \\\n  --log-opt \"tag=a b\" $OPTS\n"
        + "Environment=\"OPTS=--debug --mtu 1400\"\n",
      to: "/lib/systemd/system/docker.service")
    #expect(
      StartFailureDiagnosis.systemdUnitArguments(systemRoot: host.root)
        == ["/usr/bin/dockerd", "-H", "fd://", "--log-opt", "tag=a b", "--debug", "--mtu", "1400"])
  }

  @Test("fixture: /etc's unit wins over /lib's, a drop-in's empty ExecStart= resets it and the last one wins")
  func unitOverrides() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.write("[Service]\nExecStart=/usr/bin/dockerd -H fd://\n", to: "/lib/systemd/system/docker.service")
    try host.write("[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n", to: "/etc/systemd/system/docker.service")
    #expect(StartFailureDiagnosis.systemdUnitArguments(systemRoot: host.root) == ["/usr/sbin/dockerd", "-H", "fd://"])
    try host.write(
      "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd --data-root ${ROOT}/d $UNSET\n"
        + "EnvironmentFile=-/etc/default/d\n",
      to: "/etc/systemd/system/docker.service.d/10-override.conf")
    try host.write("ROOT=\"/srv\"\n", to: "/etc/default/d")
    try host.write(
      "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n", to: "/lib/systemd/system/docker.service.d/05.conf")
    #expect(
      StartFailureDiagnosis.systemdUnitArguments(systemRoot: host.root) == [
        "/usr/sbin/dockerd", "--data-root", "/srv/d",
      ])
    try host.write("[Service]\nExecStart=\n", to: "/etc/systemd/system/docker.service.d/20-reset.conf")
    #expect(StartFailureDiagnosis.systemdUnitArguments(systemRoot: host.root) == [])
  }

  // MARK: data root

  @Test("a data root under a regular file is data-root-unwritable with ENOTDIR, naming the file")
  func dataRootUnderFile() throws {
    let host = try FixtureRoot(prefix: "sfd")
    let file = try host.write("not a directory", to: "/srv/blocker")
    let evidence = StartFailureEvidence(engineArguments: ["dockerd", "--data-root", file + "/docker"], exitCode: 1)
    let issues = host.diagnosis().causes(of: evidence)
    #expect(issues.map(\.code) == ["data-root-unwritable"])
    #expect(issues.first?.message.contains("\(file), on the way to \(file)/docker, gives ENOTDIR") == true)
  }

  @Test("daemon.json's data-root is the one judged when the command line gives none")
  func dataRootFromConfiguration() throws {
    let host = try FixtureRoot(prefix: "sfd")
    let file = try host.write("", to: "/srv/file")
    try host.write(#"{"data-root": "\#(file)"}"#, to: "/etc/docker/daemon.json")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(engineArguments: Self.dockerd, exitCode: 1))
    #expect(issues.map(\.code) == ["data-root-unwritable"])
    #expect(issues.first?.message.contains("\(file) gives ENOTDIR") == true)
  }

  @Test("a data root with less free space than the minimum is data-root-full, naming the free bytes (statvfs)")
  func dataRootFull() throws {
    let host = try FixtureRoot(prefix: "sfd")
    var diagnosis = host.diagnosis()
    let evidence = StartFailureEvidence(engineArguments: ["dockerd", "--data-root", host.root + "/data"], exitCode: 1)
    #expect(diagnosis.causes(of: evidence).isEmpty)
    diagnosis.minimumFreeBytes = Int64.max
    let issues = diagnosis.causes(of: evidence)
    #expect(issues.map(\.code) == ["data-root-full"])
    let message = try #require(issues.first?.message)
    #expect(message.contains("is free under the data root \(host.root) (where \(host.root)/data would be made)"))
    #expect(message.contains("iB of "), "free bytes named: \(message)")
  }

  // MARK: rootless

  @Test("fixture rootless without XDG_RUNTIME_DIR is rootless-runtime-dir; its config is ~/.config/docker/daemon.json")
  func rootlessWithoutRuntimeDirectory() throws {
    let host = try FixtureRoot(prefix: "sfd")
    let file = try host.write("{", to: "/home/me/.config/docker/daemon.json")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(exitCode: 1, rootless: true))
    #expect(issues.map(\.code) == ["daemon-config-invalid", "rootless-runtime-dir"])
    #expect(issues.first?.message.contains(file) == true)
    #expect(issues.last?.message.contains("XDG_RUNTIME_DIR is not set") == true)
  }

  enum RuntimeDirectory: String, CaseIterable, Sendable {
    case missing, file, foreign, own
  }

  @Test("fixture rootless XDG_RUNTIME_DIR must be a directory of the user's", arguments: RuntimeDirectory.allCases)
  func rootlessRuntimeDirectory(_ kind: RuntimeDirectory) throws {
    let host = try FixtureRoot(prefix: "sfd")
    let runtime = host.root + "/run/user/1000"
    switch kind {
    case .missing: break
    case .file: try host.write("", to: "/run/user/1000")
    case .foreign:
      try host.makeDirectory("/run/user/1000")
      #expect(chown(runtime, 54321, 54321) == 0)
    case .own: try host.makeDirectory("/run/user/1000")
    }
    let issues = host.diagnosis(["XDG_RUNTIME_DIR": runtime]).causes(
      of: StartFailureEvidence(engineArguments: ["dockerd"], rootless: true))
    let expected: [RuntimeDirectory: String] = [
      .missing: "(ENOENT", .file: "is not a directory (ENOTDIR", .foreign: "belongs to uid 54321",
    ]
    if let words = expected[kind] {
      #expect(issues.map(\.code) == ["rootless-runtime-dir"])
      #expect(issues.first?.message.contains(runtime) == true)
      #expect(issues.first?.message.contains(words) == true, "\(issues)")
    } else {
      #expect(issues.isEmpty)
    }
  }

  @Test("fixture rootless under systemd without /var/lib/systemd/linger/$USER is rootless-no-linger")
  func rootlessLinger() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.makeDirectory("/run/systemd/system")
    let runtime = try host.makeDirectory("/run/user/1000")
    let environment = ["XDG_RUNTIME_DIR": runtime, "USER": "me"]
    let evidence = StartFailureEvidence(engineArguments: ["dockerd"], rootless: true)
    let issues = host.diagnosis(environment).causes(of: evidence)
    #expect(issues.map(\.code) == ["rootless-no-linger"])
    #expect(issues.first?.recommendation.contains("loginctl enable-linger me") == true)
    try host.write("", to: "/var/lib/systemd/linger/me")
    #expect(host.diagnosis(environment).causes(of: evidence).isEmpty)
  }

  // MARK: kernel modules and the firewall

  @Test("fixture: /lib/modules/<release> missing with an iptables failure is kernel-modules-missing")
  func kernelModulesMissing() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.makeDirectory("/lib/modules/6.1.0-newer")
    try host.link("/usr/sbin/iptables", to: "/usr/sbin/iptables-legacy")
    try host.write("", to: "/usr/sbin/iptables-legacy")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(exitCode: 1, log: DockerdLog.firewallFailure))
    #expect(issues.map(\.code) == ["kernel-modules-missing"])
    let message = try #require(issues.first?.message)
    #expect(message.contains("/lib/modules/6.1.0-fixture does not exist (ENOENT"))
    #expect(message.contains("installed: 6.1.0-newer") && message.contains("iptables failed"))
  }

  @Test("fixture: missing /lib/modules alone, or beside a normal start's modprobe lines, explains nothing")
  func kernelModulesNotAlone() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.link("/usr/sbin/iptables", to: "/usr/sbin/iptables-legacy")
    try host.write("", to: "/usr/sbin/iptables-legacy")
    for log in ["", DockerdLog.normalStart, "failed to start daemon: pid file found, ensure docker is not running"] {
      #expect(host.diagnosis().causes(of: StartFailureEvidence(exitCode: 1, log: log)).isEmpty, "\(log)")
    }
    try host.makeDirectory("/lib/modules/6.1.0-fixture")
    #expect(host.diagnosis().causes(of: StartFailureEvidence(exitCode: 1, log: DockerdLog.firewallFailure)).isEmpty)
  }

  enum FirewallHost: String, CaseIterable, Sendable {
    case nftWithoutNfTables = "fixture nft alternative, no nf_tables module"
    case nftBesideLegacyTables = "fixture nft alternative, legacy tables in the kernel"
    case noIptables = "fixture without iptables"
    case brokenAlternative = "fixture iptables alternative pointing at a removed program"
    case legacyConsistent = "fixture legacy alternative, nothing to show"
  }

  @Test(
    "iptables failing on a host whose files show a backend mismatch is firewall-backend",
    arguments: FirewallHost.allCases)
  func firewallBackend(_ kind: FirewallHost) throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.makeDirectory("/lib/modules/6.1.0-fixture/kernel/net/netfilter")
    try host.write("kernel/fs/ext4/ext4.ko\n", to: "/lib/modules/6.1.0-fixture/modules.builtin")
    try host.write("ext4 1 0 - Live 0x0\n", to: "/proc/modules")
    switch kind {
    case .nftWithoutNfTables, .nftBesideLegacyTables:
      try host.link("/usr/sbin/iptables", to: "/etc/alternatives/iptables")
      try host.link("/etc/alternatives/iptables", to: "/usr/sbin/iptables-nft")
      try host.link("/usr/sbin/iptables-nft", to: "xtables-nft-multi")
      try host.write("", to: "/usr/sbin/xtables-nft-multi")
      if kind == .nftBesideLegacyTables {
        try host.write("", to: "/lib/modules/6.1.0-fixture/kernel/net/netfilter/nf_tables.ko.xz")
        try host.write("filter\nnat\n", to: "/proc/net/ip_tables_names")
      }
    case .noIptables: break
    case .brokenAlternative:
      try host.link("/usr/sbin/iptables", to: "/etc/alternatives/iptables")
      try host.link("/etc/alternatives/iptables", to: "/usr/sbin/iptables-nft")
    case .legacyConsistent:
      try host.link("/usr/sbin/iptables", to: "iptables-legacy")
      try host.write("", to: "/usr/sbin/iptables-legacy")
      try host.write("filter\n", to: "/proc/net/ip_tables_names")
    }
    let issues = host.diagnosis().causes(of: StartFailureEvidence(exitCode: 1, log: DockerdLog.firewallFailure))
    #expect(host.diagnosis().causes(of: StartFailureEvidence(exitCode: 1, log: DockerdLog.normalStart)).isEmpty)
    switch kind {
    case .legacyConsistent: #expect(issues.isEmpty)
    case .noIptables:
      #expect(issues.map(\.code) == ["firewall-backend"])
      #expect(issues.first?.recommendation.contains("Install iptables") == true)
    case .brokenAlternative:
      #expect(issues.map(\.code) == ["firewall-backend"])
      #expect(issues.first?.message.contains("/etc/alternatives/iptables → /usr/sbin/iptables-nft (ENOENT") == true)
    case .nftWithoutNfTables, .nftBesideLegacyTables:
      #expect(issues.map(\.code) == ["firewall-backend"])
      let issue = try #require(issues.first)
      #expect(issue.message.contains("/usr/sbin/iptables → /etc/alternatives/iptables → /usr/sbin/iptables-nft"))
      #expect(issue.message.contains(kind == .nftWithoutNfTables ? "no nf_tables" : "filter, nat in /proc/net"))
      #expect(issue.recommendation.contains("update-alternatives --set iptables /usr/sbin/iptables-legacy"))
      #expect(issue.recommendation.contains(#""iptables": false"#))
    }
  }

  // MARK: cgroups

  enum CgroupHost: String, CaseIterable, Sendable {
    case none = "fixture without any cgroup mount"
    case v1WithoutDevices = "fixture cgroup v1 without the devices controller"
    case v1 = "fixture cgroup v1 with devices"
    case v2 = "fixture cgroup v2"
  }

  @Test("the cgroup mounts dockerd 20.10 refuses are cgroup-mismatch", arguments: CgroupHost.allCases)
  func cgroupMounts(_ kind: CgroupHost) throws {
    let host = try FixtureRoot(prefix: "sfd")
    var mounts = "/dev/vda / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n"
    switch kind {
    case .none: break
    case .v1WithoutDevices: mounts += "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
    case .v1: mounts += "cgroup /sys/fs/cgroup/devices cgroup rw,relatime,devices 0 0\n"
    case .v2:
      mounts += "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
      try host.write("cpu memory pids\n", to: "/sys/fs/cgroup/cgroup.controllers")
    }
    let file = try host.write(mounts, to: "/proc/self/mounts")
    let issues = host.diagnosis().causes(of: StartFailureEvidence(engineArguments: ["dockerd"], exitCode: 1))
    switch kind {
    case .none, .v1WithoutDevices:
      #expect(issues.map(\.code) == ["cgroup-mismatch"])
      #expect(issues.first?.message.contains(file) == true)
      #expect(issues.first?.message.contains(kind == .none ? "No cgroup file system" : "devices controller") == true)
    case .v1, .v2: #expect(issues.isEmpty)
    }
    // In a user namespace (rootless) dockerd does not ask for the devices controller.
    let rootless = host.diagnosis().causes(of: StartFailureEvidence(engineArguments: ["dockerd"], rootless: true))
    #expect(!rootless.map(\.code).contains("cgroup-mismatch"))
  }

  @Test("fixture: the systemd cgroup driver without systemd is cgroup-mismatch only when the failure is about cgroups")
  func systemdDriverWithoutSystemd() throws {
    let host = try FixtureRoot(prefix: "sfd")
    try host.write("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n", to: "/proc/self/mounts")
    try host.write(#"{"exec-opts": ["native.cgroupdriver=systemd"]}"#, to: "/etc/docker/daemon.json")
    let failure =
      #"time="2026-12-05T13:21:04Z" level=error msg="failed to connect to systemd: dbus: connection refused""#
    let issues = host.diagnosis().causes(of: StartFailureEvidence(engineArguments: ["dockerd"], log: failure))
    #expect(issues.map(\.code) == ["cgroup-mismatch"])
    #expect(issues.first?.message.contains("no /run/systemd/system") == true)
    #expect(host.diagnosis().causes(of: StartFailureEvidence(engineArguments: ["dockerd"], log: "")).isEmpty)
    try host.makeDirectory("/run/systemd/system")
    #expect(host.diagnosis().causes(of: StartFailureEvidence(engineArguments: ["dockerd"], log: failure)).isEmpty)
  }

  @Test("causes come most specific first: what dockerd refuses in its configuration before what the host lacks")
  func ordering() throws {
    let host = try FixtureRoot(prefix: "sfd")
    let file = try host.write("", to: "/srv/file")
    try host.write(#"{"pidfile": "/x.pid"}"#, to: "/etc/docker/daemon.json")
    try host.link("/usr/sbin/iptables", to: "iptables-legacy")
    try host.write("", to: "/usr/sbin/iptables-legacy")
    let evidence = StartFailureEvidence(
      engineArguments: ["dockerd", "-p", "/y.pid", "--data-root", file], exitCode: 1, log: DockerdLog.firewallFailure)
    #expect(
      host.diagnosis().causes(of: evidence).map(\.code)
        == ["daemon-config-conflict", "data-root-unwritable", "kernel-modules-missing"])
  }

  /// Debian's /etc/init.d/docker (docker.io 20.10) around its limits, `set -e` as in the script.
  static let debianInitScript = """
    #!/bin/sh
    set -e
    case "$1" in
    	start)
    		ulimit -n 1048576
    		if [ "$BASH" ]; then
    			ulimit -u unlimited
    		else
    			ulimit -p unlimited
    		fi
    		;;
    esac
    """

  struct LimitCase: Sendable, CustomTestStringConvertible {
    var name: String
    var hard: [Character: UInt64]
    var canRaise: Bool
    /// The line the issue names, or `nil` for none.
    var expectedLine: Int?
    var testDescription: String { name }
  }

  @Test(
    "fixture init script: a ulimit above the hard limit, without CAP_SYS_RESOURCE, is service-limits naming its line",
    arguments: [
      LimitCase(name: "open files capped at 20000", hard: ["n": 20000, "u": 96367, "p": 96367], canRaise: false,
        expectedLine: 5),
      LimitCase(name: "open files allowed, processes capped", hard: ["n": 1_048_576, "u": 96367, "p": 96367],
        canRaise: false, expectedLine: 7),
      LimitCase(name: "capped, but CAP_SYS_RESOURCE raises it", hard: ["n": 20000, "u": 96367, "p": 96367],
        canRaise: true, expectedLine: nil),
      LimitCase(
        name: "nothing capped", hard: ["n": 1_048_576, "u": .max, "p": .max], canRaise: false, expectedLine: nil),
    ])
  func serviceLimits(_ limits: LimitCase) throws {
    let host = try FixtureRoot(prefix: "sfd")
    let script = try host.write(Self.debianInitScript, to: "/etc/init.d/docker")
    var diagnosis = host.diagnosis()
    diagnosis.hardLimits = limits.hard
    diagnosis.canRaiseHardLimits = limits.canRaise
    let issues = diagnosis.serviceLimitIssues(initScript: script)
    #expect(issues.first.map { $0.message.hasPrefix("\(script):\(limits.expectedLine ?? 0) ") } ?? true)
    #expect(issues.map(\.code) == (limits.expectedLine == nil ? [] : ["service-limits"]))
  }

  @Test("the ulimit lines of a script are read with their numbers; other words and values are not limits")
  func ulimitLines() {
    let limits = ServiceLimit.requested(in: "ulimit -n 1024\n  ulimit -c unlimited\nulimit -u unlimited\nulimit -n x")
    #expect(limits.map(\.lineNumber) == [1, 3])
    #expect(limits.map(\.requested) == [1024, nil])
    #expect(ServiceLimit.exceeds(nil, 5) && ServiceLimit.exceeds(6, 5) && !ServiceLimit.exceeds(5, 5))
    #expect(!ServiceLimit.exceeds(nil, .max))
  }
}
