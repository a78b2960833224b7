import EngineKit
import Foundation
import Preflight
import TestSupport
import Testing

/// A machine laid out under a temporary root: HOME, PATH of stub commands, /proc, /mnt/wsl, /mnt/c, /opt,
/// /Applications. The engine endpoint is a socket there that does not answer.
struct FixtureMachine {
  let directory: TemporaryDirectory
  let commands: FakeCommands
  var os: HostOS
  var environment: [String: String]

  init(os: HostOS) throws {
    directory = try TemporaryDirectory(prefix: "fm")
    commands = try FakeCommands(in: directory)
    self.os = os
    environment = [
      "HOME": directory.file("home"), "PATH": commands.directory, "XDG_RUNTIME_DIR": directory.file("run/user/1000"),
    ]
    _ = try directory.write("6.1.0-18-amd64\n", to: "proc/sys/kernel/osrelease")
  }

  var home: String { directory.file("home") }
  var host: HostEnvironment { HostEnvironment(os: os, environment: environment, systemRoot: directory.path) }

  func makeDirectory(_ relative: String) throws {
    try FileManager.default.createDirectory(atPath: directory.file(relative), withIntermediateDirectories: true)
  }

  /// WSL 2's kernel and environment.
  mutating func wsl2(distro: String = "Ubuntu") throws {
    _ = try directory.write("5.15.153.1-microsoft-standard-WSL2\n", to: "proc/sys/kernel/osrelease")
    environment["WSL_DISTRO_NAME"] = distro
    environment["WSL_INTEROP"] = "/run/WSL/8_interop"
  }

  func diagnose(endpoint: String, options: (inout DiagnoseOptions) -> Void = { _ in }) async throws -> HealthReport {
    // Stub commands are quick, but a loaded machine (parallel tests, builds) can hold them up for seconds.
    var diagnoseOptions = DiagnoseOptions(timeout: .seconds(1), host: host, commandTimeout: .seconds(60))
    options(&diagnoseOptions)
    return await Diagnoser(endpoint: try Endpoint(parsing: endpoint, source: .environment), options: diagnoseOptions)
      .diagnose()
  }
}

extension HealthReport {
  func check(_ id: String) -> Check? { checks.first { $0.id == id } }
  func issues(_ code: String) -> [Issue] { issues.filter { $0.code == code } }
}

@Suite("Platform checks on fixture machines (WSL, Docker Desktop on macOS/Windows/Linux, stopped providers)")
struct PlatformChecksTests {
  static let desktopTaskList =
    #""Docker Desktop.exe","10212","Console","1","182,340 K""# + "\r\n"
    + #""com.docker.backend.exe","9876","Console","1","95,112 K""# + "\r\n"

  static func utf16(_ text: String) -> [UInt8] {
    [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
  }

  @Test(
    "fixture WSL 2 without Desktop integration: wsl2Status and the fix (enable the integration or install docker-ce)")
  func wslWithoutIntegration() async throws {
    var machine = try FixtureMachine(os: .linux)
    defer { machine.directory.remove() }
    try machine.wsl2()
    try machine.commands.add("wsl.exe", printing: Self.utf16("  NAME    STATE    VERSION\r\n* Ubuntu  Running  2\r\n"))
    let report = try await machine.diagnose(endpoint: "unix://\(machine.directory.file("none.sock"))")
    #expect(report.wsl2Status == "wsl2-no-desktop-integration")
    #expect(report.check("wsl")?.status == .warn)
    let issue = try #require(report.issues("wsl-no-desktop-integration").first)
    #expect(issue.message.contains("Ubuntu"))
    #expect(issue.recommendation.contains("Resources → WSL integration"))
    #expect(issue.recommendation.contains("docker-ce"))
    #expect(report.check("docker-desktop")?.status == .skip)
  }

  @Test("fixture WSL 2 with Desktop integration: status, and Desktop seen running through tasklist.exe")
  func wslWithIntegration() async throws {
    var machine = try FixtureMachine(os: .linux)
    defer { machine.directory.remove() }
    try machine.wsl2()
    try machine.makeDirectory("mnt/wsl/docker-desktop/cli-tools")
    try machine.makeDirectory("mnt/wsl/docker-desktop-bind-mounts/Ubuntu/4f1c2a")
    _ = try machine.directory.write("MZ", to: "mnt/c/Program Files/Docker/Docker/Docker Desktop.exe")
    try machine.commands.add("tasklist.exe", printing: Self.desktopTaskList)
    let report = try await machine.diagnose(endpoint: "unix://\(machine.directory.file("none.sock"))")
    #expect(report.wsl2Status == "wsl2-desktop-integration")
    #expect(report.check("wsl")?.status == .pass)
    #expect(report.dockerDesktopRunning == true)
    #expect(report.check("docker-desktop")?.summary.contains("tasklist.exe") == true)
    #expect(machine.commands.arguments(of: "tasklist.exe") == ["/FO", "CSV", "/NH"])
  }

  @Test("not WSL: wsl skipped with not-wsl; plain Linux without Desktop: docker-desktop skipped")
  func plainLinux() async throws {
    let machine = try FixtureMachine(os: .linux)
    defer { machine.directory.remove() }
    let report = try await machine.diagnose(endpoint: "unix://\(machine.directory.file("none.sock"))")
    #expect(report.wsl2Status == "not-wsl")
    #expect(report.check("wsl")?.status == .skip)
    #expect(report.check("docker-desktop")?.status == .skip)
    #expect(report.dockerDesktopRunning == nil)
  }

  @Test("fixture macOS, Docker Desktop installed and stopped: one recommendation to start it")
  func macDesktopStopped() async throws {
    let machine = try FixtureMachine(os: .macOS)
    defer { machine.directory.remove() }
    try machine.makeDirectory("Applications/Docker.app/Contents/MacOS")
    let socket = try UnixSocketFile.stale(at: "\(machine.home)/.docker/run/docker.sock")
    try machine.commands.add(
      "ps", printing: "    1 /sbin/launchd\n  388 /Library/PrivilegedHelperTools/com.docker.vmnetd\n")
    let report = try await machine.diagnose(endpoint: "unix://\(socket)")
    #expect(report.provider == "docker-desktop")
    #expect(report.dockerDesktopRunning == false)
    #expect(report.issues.first?.code == "connection-refused")
    let starts = report.issues.filter { $0.recommendation.contains("open -a Docker") }
    #expect(starts.count == 1)
    #expect(starts.first?.message.contains("stale") == true)
  }

  @Test("fixture macOS, Docker Desktop running but its socket does not answer: engine down while Desktop runs")
  func macDesktopRunning() async throws {
    let machine = try FixtureMachine(os: .macOS)
    defer { machine.directory.remove() }
    try machine.makeDirectory("Applications/Docker.app")
    let socket = try UnixSocketFile.stale(at: "\(machine.home)/.docker/run/docker.sock")
    try machine.commands.add(
      "ps", printing: "  612 /Applications/Docker.app/Contents/MacOS/com.docker.backend\n")
    let report = try await machine.diagnose(endpoint: "unix://\(socket)")
    #expect(report.dockerDesktopRunning == true)
    #expect(report.check("docker-desktop")?.status == .warn)
    #expect(report.issues("docker-desktop-engine-down").count == 1)
  }

  @Test("fixture Windows: Desktop's Linux engine pipe, Desktop seen running through tasklist.exe")
  func windowsDesktop() async throws {
    let machine = try FixtureMachine(os: .windows)
    defer { machine.directory.remove() }
    try machine.commands.add("tasklist.exe", printing: Self.desktopTaskList)
    let report = try await machine.diagnose(endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine")
    #expect(report.provider == "docker-desktop")
    #expect(report.dockerDesktopRunning == true)
    #expect(report.wsl2Status == "not-wsl")
  }

  @Test("fixture Linux /proc with Docker Desktop's backend: running; its socket is stale, so its engine is down")
  func linuxDesktop() async throws {
    let machine = try FixtureMachine(os: .linux)
    defer { machine.directory.remove() }
    try machine.makeDirectory("opt/docker-desktop/bin")
    for (pid, arguments) in [(1, ["/sbin/init"]), (2100, ["/opt/docker-desktop/bin/com.docker.backend"])] {
      _ = try machine.directory.write(arguments.map { $0 + "\0" }.joined(), to: "proc/\(pid)/cmdline")
    }
    let socket = try UnixSocketFile.stale(at: "\(machine.home)/.docker/desktop/docker.sock")
    let report = try await machine.diagnose(endpoint: "unix://\(socket)")
    #expect(report.provider == "docker-desktop")
    #expect(report.dockerDesktopRunning == true)
    #expect(report.check("docker-desktop")?.summary.contains("com.docker.backend (pid 2100)") == true)
  }

  @Test("engine unreachable: installed providers are named with how to start them, listening ones with how to use them")
  func stoppedProviders() async throws {
    let machine = try FixtureMachine(os: .linux)
    defer { machine.directory.remove() }
    try UnixSocketFile.stale(at: "\(machine.home)/.colima/default/docker.sock")
    try UnixSocketFile.stale(at: machine.directory.file("run/user/1000/docker.sock"))
    let rancher = try UnixSocketFile(listeningAt: "\(machine.home)/.rd/docker.sock")
    defer { rancher.close() }
    try machine.commands.add("colima", printing: "")
    let report = try await machine.diagnose(endpoint: "unix://\(machine.directory.file("gone.sock"))")
    #expect(report.check("provider")?.status == .warn)
    let stopped = report.issues("provider-stopped")
    #expect(stopped.map(\.recommendation) == ["Start it: systemctl --user start docker", "Start it: colima start"])
    #expect(stopped.first?.message.contains("rootless Docker") == true)
    let elsewhere = try #require(report.issues("engine-elsewhere").first)
    #expect(elsewhere.message.contains("Rancher Desktop"))
    #expect(elsewhere.recommendation.contains("DOCKER_HOST=unix://\(rancher.path)"))
  }

  @Test("engine unreachable and nothing installed: says so")
  func nothingInstalled() async throws {
    let machine = try FixtureMachine(os: .linux)
    defer { machine.directory.remove() }
    let report = try await machine.diagnose(endpoint: "unix://\(machine.directory.file("gone.sock"))")
    #expect(report.issues("no-engine-installed").count == 1)
    #expect(report.provider == nil)
  }
}

@Suite("Provider, API version and disk space against a private dockerd")
struct EngineChecksTests {
  func diagnose(_ daemon: DockerDaemon, _ options: (inout DiagnoseOptions) -> Void = { _ in }) async throws
    -> HealthReport
  {
    // A generous timeout: a loaded machine can keep a healthy daemon from answering within the default 2 s.
    var diagnoseOptions = DiagnoseOptions(
      timeout: .seconds(30), host: HostEnvironment(environment: ["PATH": "/usr/bin:/bin"]))
    options(&diagnoseOptions)
    return await Diagnoser(endpoint: try Endpoint(parsing: daemon.host, source: .flag), options: diagnoseOptions)
      .diagnose()
  }

  /// One daemon for every case: each dockerd costs a shared machine seconds of CPU.
  @Test("one private dockerd: Docker Engine; api-version and disk-space pass at their defaults and warn at the edges")
  func againstDockerd() async throws {
    try await withDockerDaemon { daemon in
      let report = try await diagnose(daemon)
      #expect(report.provider == "docker-engine")
      #expect(report.engine?.product == "Docker Engine")
      #expect(report.check("api-version")?.status == .pass)
      #expect(report.check("disk-space")?.status == .pass)
      #expect(report.check("disk-space")?.summary.contains(daemon.directory.file("data")) == true)
      #expect(report.healthy)

      // The recommended API above the daemon's: a warning, the engine still ready.
      let newer = try await diagnose(daemon) { $0.recommendedAPIVersion = APIVersion(1, 99) }
      #expect(newer.check("api-version")?.status == .warn)
      let issue = try #require(newer.issues("api-below-recommended").first)
      #expect(issue.message.contains("1.99"))
      #expect(issue.message.contains(daemon.host))
      #expect(newer.check("connectivity")?.status == .pass)

      // Disk space: a tiny threshold passes, one above any disk warns.
      for (threshold, passes) in [(Int64(1), true), (Int64(1) << 60, false)] {
        let disk = try await diagnose(daemon) { $0.minFreeDiskBytes = threshold }
        #expect(disk.check("disk-space")?.status == (passes ? .pass : .warn), "threshold \(threshold)")
        #expect(disk.issues("low-disk-space").count == (passes ? 0 : 1), "threshold \(threshold)")
      }
    }
  }
}
