import EngineKit
import Foundation
import JSON
import Preflight
import TestSupport
import Testing

/// A real dockerd (20.10) made to fail at start — a broken or conflicting daemon.json, a data root it cannot use,
/// an iptables that fails — and its argv, exit status and log classified. Each daemon is private (its own socket,
/// roots and pidfile in a temporary directory) and awaited by pid; the host's own engine is never touched.
@Suite("Start failures of a real dockerd, classified")
struct StartFailureTests {
  /// What a failed start left: the argv it ran with, its exit status and its log.
  struct FailedStart {
    var evidence: StartFailureEvidence
    var log: String { evidence.log }
  }

  /// Runs dockerd with the private flags of ``DockerDaemon/arguments(in:)``, less `removing`, `--data-root` set to
  /// `dataRoot` when given, plus `extra`, and awaits its exit. A dockerd that starts after all is stopped (by pid)
  /// and fails the test.
  static func failedStart(
    in directory: TemporaryDirectory, extra: [String] = [], removing: Set<String> = [], dataRoot: String? = nil,
    environment: [String: String]? = nil
  ) async throws -> FailedStart {
    var arguments = DockerDaemon.arguments(in: directory).filter { !removing.contains($0) }
    if let dataRoot, let flag = arguments.firstIndex(of: "--data-root") { arguments[flag + 1] = dataRoot }
    arguments += extra
    let dockerd = try #require(Executable.find("dockerd"))
    let process = try ChildProcess(
      executable: dockerd, arguments: arguments, environment: environment,
      standardErrorPath: directory.file("dockerd.log"))
    let status = await process.exitStatus(within: .seconds(90))
    if status == nil { await process.terminate(grace: .seconds(15)) }
    await settle(directory)
    let exited = try #require(status, "dockerd \(arguments) started instead of failing")
    let log = process.standardError
    return FailedStart(
      evidence: StartFailureEvidence(engineArguments: [dockerd] + arguments, exitCode: Int(exited), log: log))
  }

  /// What a dockerd may leave when it fails: its containerd exiting after it (awaited, not signalled: it dies with
  /// its parent), and its data root mounted on itself.
  static func settle(_ directory: TemporaryDirectory) async {
    if let containerd = ForeignProcess(pidFile: directory.file("exec/containerd/containerd.pid")) {
      _ = await containerd.waitForExit(timeout: .seconds(10))
    }
    umount2(directory.file("data"), Int32(MNT_DETACH))
  }

  static func diagnosis(systemRoot: String = "") -> StartFailureDiagnosis {
    StartFailureDiagnosis(systemRoot: systemRoot, environment: ProcessInfo.processInfo.environment)
  }

  @Test("dockerd refusing a daemon.json that does not parse: daemon-config-invalid, naming the file, line and column")
  func brokenConfiguration() async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    let file = try directory.write("{\n  \"debug\": true,,\n  \"log-level\": \"info\"\n}\n", to: "daemon.json")
    let start = try await Self.failedStart(in: directory, extra: ["--config-file", file])
    #expect(start.evidence.exitCode == 1)
    #expect(start.log.contains("unable to configure the Docker daemon with file \(file)"), "\(start.log)")
    let issue = try #require(Self.diagnosis().causes(of: start.evidence).first)
    #expect(issue.code == "daemon-config-invalid")
    #expect(issue.message.contains("\(file) is not valid JSON: line 2, column 17"), "\(issue.message)")
  }

  @Test("dockerd refusing keys it has no option for: daemon-config-invalid, naming them")
  func unknownKeys() async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    let file = try directory.write(#"{"debugg": true, "log-level": "info"}"#, to: "daemon.json")
    let start = try await Self.failedStart(in: directory, extra: ["--config-file", file])
    #expect(start.evidence.exitCode == 1)
    #expect(start.log.contains("don't match any configuration option: debugg"), "\(start.log)")
    let issue = try #require(Self.diagnosis().causes(of: start.evidence).first)
    #expect(issue.code == "daemon-config-invalid")
    #expect(issue.message.contains(file) && issue.message.contains("\"debugg\""))
  }

  @Test("dockerd told to read a --config-file that does not exist: daemon-config-invalid with ENOENT")
  func missingConfiguration() async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    let file = directory.file("absent/daemon.json")
    let start = try await Self.failedStart(in: directory, extra: ["--config-file", file])
    #expect(start.evidence.exitCode == 1)
    let issue = try #require(Self.diagnosis().causes(of: start.evidence).first)
    #expect(issue.code == "daemon-config-invalid")
    #expect(issue.message.contains("\(file) (ENOENT"), "\(issue.message)")
  }

  @Test("\"hosts\" in daemon.json with --host on the command line: daemon-config-conflict, naming key, flag and file")
  func conflictingHosts() async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    let file = try directory.write(
      #"{"hosts": ["unix://\#(directory.file("other.sock"))"]}"#, to: "daemon.json")
    let start = try await Self.failedStart(in: directory, extra: ["--config-file", file])
    #expect(start.evidence.exitCode == 1)
    #expect(start.log.contains("specified both as a flag and in the configuration file: hosts"), "\(start.log)")
    let issues = Self.diagnosis().causes(of: start.evidence)
    #expect(issues.map(\.code) == ["daemon-config-conflict"], "\(issues)")
    let message = try #require(issues.first?.message)
    #expect(message.contains("\"hosts\"") && message.contains("--host") && message.contains(file))
  }

  @Test("a --data-root under a regular file: data-root-unwritable with ENOTDIR (dockerd: \"not a directory\")")
  func dataRootUnderFile() async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    let blocker = try directory.write("a file", to: "blocker")
    let start = try await Self.failedStart(in: directory, dataRoot: blocker + "/data")
    #expect(start.evidence.exitCode == 1)
    let issues = Self.diagnosis().causes(of: start.evidence)
    #expect(issues.map(\.code) == ["data-root-unwritable"], "\(issues)")
    #expect(issues.first?.message.contains("\(blocker), on the way to \(blocker)/data, gives ENOTDIR") == true)
  }

  @Test("a --data-root on a read-only bind mount: data-root-unwritable with EROFS (statvfs ST_RDONLY)")
  func readOnlyDataRoot() async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    let readOnly = directory.file("ro")
    try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
    try await Self.mount(["--bind", readOnly, readOnly])
    defer { umount2(readOnly, Int32(MNT_DETACH)) }
    try await Self.mount(["-o", "remount,bind,ro", readOnly])
    let start = try await Self.failedStart(in: directory, dataRoot: readOnly + "/data")
    #expect(start.evidence.exitCode == 1)
    #expect(start.log.contains("read-only file system"), "\(start.log)")
    let issues = Self.diagnosis().causes(of: start.evidence)
    #expect(issues.map(\.code) == ["data-root-unwritable"], "\(issues)")
    #expect(issues.first?.message.contains("\(readOnly), on the way to \(readOnly)/data, gives EROFS") == true)
  }

  @Test("a --data-root on a full file system: data-root-full, naming the free bytes")
  func fullDataRoot() async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    let tiny = directory.file("tiny")
    try FileManager.default.createDirectory(atPath: tiny, withIntermediateDirectories: true)
    try await Self.mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", tiny])
    defer { umount2(tiny, Int32(MNT_DETACH)) }
    // Filled to the last block: tmpfs refuses more with ENOSPC.
    let filler = FileHandle(forWritingAtPath: try directory.write("", to: "tiny/filler"))
    while (try? filler?.write(contentsOf: Data(count: 4096))) != nil {}
    try? filler?.close()
    let start = try await Self.failedStart(in: directory, dataRoot: tiny + "/data")
    defer { umount2(tiny + "/data", Int32(MNT_DETACH)) }
    #expect(start.evidence.exitCode == 1)
    let issues = Self.diagnosis().causes(of: start.evidence)
    #expect(issues.map(\.code) == ["data-root-full"], "\(issues)")
    #expect(issues.first?.message.contains("Only 0 B of 64.0 KiB is free under the data root \(tiny)") == true)
  }

  /// The host side as a fixture (this machine's iptables and modules are what they are); the failure is real.
  enum FirewallHost: String, CaseIterable, Sendable {
    case nftBesideLegacyTables = "fixture host with the nft alternative and legacy tables"
    case modulesGone = "fixture host whose /lib/modules lacks the running kernel"
  }

  @Test(
    "a real dockerd whose iptables fails (a stand-in on PATH), classified on fixture hosts",
    arguments: FirewallHost.allCases)
  func firewall(_ kind: FirewallHost) async throws {
    try DockerDaemon.requireCanRun()
    let directory = try TemporaryDirectory(prefix: "sf")
    defer { directory.remove() }
    // The stand-in fails as iptables-nft does on a kernel without nf_tables, and touches nothing of the host's.
    let bin = directory.file("bin")
    try directory.write(
      "#!/bin/sh\necho 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Invalid argument' >&2\n"
        + "exit 4\n", to: "bin/iptables", mode: 0o755)
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin")
    // iptables on; forwarding stays off, so that the host's sysctl is left as it is.
    let start = try await Self.failedStart(
      in: directory, extra: ["--ip-forward=false"], removing: ["--iptables=false"], environment: environment)
    #expect(start.evidence.exitCode == 1)
    #expect(start.log.contains("iptables failed"), "\(start.log)")

    let host = try FixtureRoot(prefix: "sf")
    let release = "6.1.0-fixture"
    switch kind {
    case .nftBesideLegacyTables:
      try host.makeDirectory("/lib/modules/\(release)")
      try host.link("/usr/sbin/iptables", to: "/etc/alternatives/iptables")
      try host.link("/etc/alternatives/iptables", to: "/usr/sbin/iptables-nft")
      try host.write("", to: "/usr/sbin/iptables-nft")
      try host.write("filter\n", to: "/proc/net/ip_tables_names")
    case .modulesGone:
      try host.makeDirectory("/lib/modules/6.2.0-installed")
      try host.link("/usr/sbin/iptables", to: "iptables-legacy")
      try host.write("", to: "/usr/sbin/iptables-legacy")
    }
    let diagnosis = StartFailureDiagnosis(systemRoot: host.root, environment: [:], kernelRelease: release)
    let issues = diagnosis.causes(of: start.evidence)
    switch kind {
    case .nftBesideLegacyTables:
      #expect(issues.map(\.code) == ["firewall-backend"], "\(issues)")
      #expect(issues.first?.message.contains("/etc/alternatives/iptables → /usr/sbin/iptables-nft") == true)
    case .modulesGone:
      #expect(issues.map(\.code) == ["kernel-modules-missing"], "\(issues)")
      #expect(issues.first?.message.contains("/lib/modules/\(release) does not exist") == true)
    }
  }

  static func mount(_ arguments: [String]) async throws {
    let mount = try await CommandRun.run("/bin/mount", arguments)
    if mount.status != 0 {
      let reason = "mount \(arguments.joined(separator: " ")) failed: \(mount.standardError)"
      if DockerDaemon.isRequired { throw FixtureError(reason) }
      try Test.cancel(Comment(rawValue: reason))
    }
  }

  @Test("heal --strategy dockerd whose data root is under a file: fails at once, saying why first (ENOTDIR, the file)")
  func healSaysWhy() async throws {
    try DockerDaemon.requireCanRun()
    let scene = try HealTests.Scene()
    defer { scene.remove() }
    let socket = scene.directory.file("none.sock")
    let engine = scene.directory.file("state/docker-preflight/engines/\(SHA256Digest.hex(of: socket).prefix(12))")
    try FileManager.default.createDirectory(
      atPath: (engine as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data("in the way".utf8).write(to: URL(fileURLWithPath: engine))

    let (run, outcome) = try await scene.heal(["--yes", "--json", "--strategy", "dockerd", "--timeout", "60s"])
    #expect(run.status == 1, "\(run.standardError)")
    #expect(outcome?["steps"]?.arrayValue?.map { $0["outcome"] } == ["failed"])
    let issue = try #require(outcome?["report"]?["issues"]?.arrayValue?.first)
    #expect(issue["code"] == "data-root-unwritable")
    #expect(issue["message"]?.stringValue?.contains("\(engine), on the way to \(engine)/data, gives ENOTDIR") == true)
    #expect(outcome?["report"]?["recommendations"]?.arrayValue?.first == issue["recommendation"])
    #expect(outcome?["message"]?.stringValue?.contains("Why: The data root cannot be made or written") == true)
  }
}
