import EngineKit
import Foundation
import TestSupport
import Testing

@Suite("WSL detection and Docker Desktop integration (fixture trees: osrelease, environment, /mnt/wsl, wsl.exe)")
struct WSLDetectorTests {
  /// A fixture WSL machine under a temporary root.
  struct Machine {
    let directory: TemporaryDirectory
    let commands: FakeCommands
    var environment: [String: String]

    init(osrelease: String, distro: String? = "Ubuntu", interop: Bool = true) throws {
      directory = try TemporaryDirectory()
      commands = try FakeCommands(in: directory)
      _ = try directory.write(osrelease + "\n", to: "proc/sys/kernel/osrelease")
      environment = ["PATH": commands.directory, "HOME": directory.file("home")]
      if let distro { environment["WSL_DISTRO_NAME"] = distro }
      if interop { environment["WSL_INTEROP"] = "/run/WSL/1234_interop" }
    }

    var host: HostEnvironment { HostEnvironment(os: .linux, environment: environment, systemRoot: directory.path) }

    func makeDirectory(_ relative: String) throws {
      try FileManager.default.createDirectory(atPath: directory.file(relative), withIntermediateDirectories: true)
    }

    /// What Docker Desktop shares when it runs with the integration on for `distro`.
    func desktopRunning(integratedWith distro: String?) throws {
      try makeDirectory("mnt/wsl/docker-desktop/cli-tools/usr/bin")
      try makeDirectory("mnt/wsl/docker-desktop-data")
      if let distro { try makeDirectory("mnt/wsl/docker-desktop-bind-mounts/\(distro)/4f1c2a") }
    }

    func desktopInstalledOnWindows() throws {
      _ = try directory.write("MZ", to: "mnt/c/Program Files/Docker/Docker/Docker Desktop.exe")
    }

    /// `wsl.exe` printing `-l -v` output in UTF-16LE with a BOM, as Windows does.
    func wslExe(listing: String) throws {
      let text = listing.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
      try commands.add("wsl.exe", printing: [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
    }
  }

  static let wsl2Kernel = "5.15.153.1-microsoft-standard-WSL2"

  @Test("WSL 2 with Desktop's integration for this distribution; wsl.exe's UTF-16LE list is read")
  func withIntegration() async throws {
    let machine = try Machine(osrelease: Self.wsl2Kernel)
    defer { machine.directory.remove() }
    try machine.desktopRunning(integratedWith: "Ubuntu")
    try machine.wslExe(
      listing: """
          NAME              STATE           VERSION
        * Ubuntu            Running         2
          docker-desktop    Running         2
        """)
    let facts = await WSLDetector(host: machine.host, runner: HostCommandRunner(timeout: .seconds(60))).detect()
    #expect(facts.status == .desktopIntegration)
    #expect(facts.status.rawValue == "wsl2-desktop-integration")
    #expect(facts.version == 2)
    #expect(facts.distroName == "Ubuntu")
    #expect(facts.desktopMount && facts.distroIntegrated && facts.interop)
    #expect(facts.distributions?.map(\.name) == ["Ubuntu", "docker-desktop"])
    #expect(facts.distributions?.first?.isDefault == true)
    #expect(machine.commands.arguments(of: "wsl.exe") == ["-l", "-v"])
  }

  @Test("WSL 2 while Desktop runs with the integration off for this distribution")
  func integrationOff() async throws {
    let machine = try Machine(osrelease: Self.wsl2Kernel, distro: "Debian")
    defer { machine.directory.remove() }
    try machine.desktopRunning(integratedWith: "Ubuntu")
    try machine.desktopInstalledOnWindows()
    let facts = await WSLDetector(host: machine.host, runner: HostCommandRunner(timeout: .seconds(60))).detect()
    #expect(facts.status == .noDesktopIntegration)
    #expect(facts.desktopMount && !facts.distroIntegrated)
  }

  @Test("WSL 2 without Desktop at all")
  func withoutDesktop() async throws {
    let machine = try Machine(osrelease: Self.wsl2Kernel)
    defer { machine.directory.remove() }
    try machine.wslExe(listing: "  NAME      STATE      VERSION\n* Ubuntu    Running    2\n")
    let facts = await WSLDetector(host: machine.host, runner: HostCommandRunner(timeout: .seconds(60))).detect()
    #expect(facts.status == .noDesktopIntegration)
    #expect(facts.status.rawValue == "wsl2-no-desktop-integration")
    #expect(!facts.desktopMount && !facts.desktopInstalledOnWindows)
  }

  @Test("WSL 2, Desktop installed on Windows but not running: its distribution is stopped, no mount")
  func desktopStopped() async throws {
    let machine = try Machine(osrelease: Self.wsl2Kernel)
    defer { machine.directory.remove() }
    try machine.desktopInstalledOnWindows()
    try machine.wslExe(
      listing:
        "  NAME              STATE      VERSION\n* Ubuntu            Running    2\n  docker-desktop    Stopped    2\n")
    let facts = await WSLDetector(host: machine.host, runner: HostCommandRunner(timeout: .seconds(60))).detect()
    #expect(facts.status == .desktopNotRunning)
    #expect(facts.desktopInstalledOnWindows)
  }

  @Test("Desktop's own distribution running counts as Desktop running even before the mount shows")
  func desktopDistroRunning() async throws {
    let machine = try Machine(osrelease: Self.wsl2Kernel)
    defer { machine.directory.remove() }
    try machine.desktopInstalledOnWindows()
    try machine.wslExe(
      listing:
        "  NAME              STATE      VERSION\n* Ubuntu            Running    2\n  docker-desktop    Running    2\n")
    #expect(
      await WSLDetector(host: machine.host, runner: HostCommandRunner(timeout: .seconds(60))).detect().status
        == .noDesktopIntegration)
  }

  @Test("WSL 1 from its kernel release; no interop call without WSL_INTEROP")
  func wsl1() async throws {
    let machine = try Machine(osrelease: "4.4.0-19041-Microsoft", interop: false)
    defer { machine.directory.remove() }
    try machine.wslExe(listing: "")
    let facts = await WSLDetector(host: machine.host, runner: HostCommandRunner(timeout: .seconds(60))).detect()
    #expect(facts.status == .wsl1)
    #expect(facts.version == 1)
    #expect(machine.commands.arguments(of: "wsl.exe") == nil)
  }

  @Test("a plain Linux kernel is not WSL", arguments: ["6.1.0-18-amd64", "6.18.44-fc-v782"])
  func notWSL(_ release: String) async throws {
    let machine = try Machine(osrelease: release, distro: nil, interop: false)
    defer { machine.directory.remove() }
    let facts = await WSLDetector(host: machine.host, runner: HostCommandRunner(timeout: .seconds(60))).detect()
    #expect(facts.status == .notWSL)
    #expect(facts.status.rawValue == "not-wsl")
    #expect(!facts.isWSL)
  }

  @Test("status values are the documented ones")
  func statusValues() {
    #expect(
      WSL2Status.allCases.map(\.rawValue) == [
        "not-wsl", "wsl1", "wsl2-desktop-integration", "wsl2-no-desktop-integration", "wsl2-desktop-not-running",
      ])
  }
}
