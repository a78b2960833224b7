/// Where this Linux runs with respect to WSL, and whether Docker Desktop reaches into it.
///
/// The report's `wsl2Status` carries the raw value; scripts may branch on it.
public enum WSL2Status: String, Sendable, Hashable, Codable, CaseIterable {
  /// Not running under WSL at all.
  case notWSL = "not-wsl"
  /// WSL 1: no real Linux kernel; Docker Desktop's integration needs WSL 2.
  case wsl1
  /// WSL 2 and Docker Desktop's integration is enabled for this distribution (its bind-mount directory is there).
  case desktopIntegration = "wsl2-desktop-integration"
  /// WSL 2 without Docker Desktop's integration for this distribution: Desktop is not installed, or runs with the
  /// integration for this distribution turned off.
  case noDesktopIntegration = "wsl2-no-desktop-integration"
  /// WSL 2, Docker Desktop is installed on Windows but is not running, so its integration cannot be seen.
  case desktopNotRunning = "wsl2-desktop-not-running"
}

/// What WSL detection found.
public struct WSLFacts: Sendable, Hashable {
  public var status: WSL2Status
  /// 1 or 2 under WSL; `nil` otherwise.
  public var version: Int?
  /// `/proc/sys/kernel/osrelease`, e.g. `5.15.153.1-microsoft-standard-WSL2`.
  public var kernelRelease: String?
  /// `WSL_DISTRO_NAME`.
  public var distroName: String?
  /// `WSL_INTEROP` is set: Windows programs can be run from here.
  public var interop: Bool
  /// `/mnt/wsl/docker-desktop*` exists: Docker Desktop runs and shares its mounts with WSL.
  public var desktopMount: Bool
  /// `/mnt/wsl/docker-desktop-bind-mounts/<distro>` exists: the integration is on for this distribution.
  public var distroIntegrated: Bool
  /// `Docker Desktop.exe` under the Windows drive's Program Files.
  public var desktopInstalledOnWindows: Bool
  /// `wsl.exe -l -v` through interop, when it could be run.
  public var distributions: [WSLDistro]?

  public var isWSL: Bool { status != .notWSL }
}

/// Detects WSL from the kernel release and the environment, and Docker Desktop's integration from the mounts it
/// shares under /mnt/wsl. Every root comes from the ``HostEnvironment``, so a fixture tree can stand in.
public struct WSLDetector: Sendable {
  public var host: HostEnvironment
  public var runner: HostCommandRunner

  public init(host: HostEnvironment, runner: HostCommandRunner = HostCommandRunner()) {
    self.host = host
    self.runner = runner
  }

  /// `C:\Program Files\Docker\Docker\Docker Desktop.exe` as WSL sees it.
  public var windowsDesktopExecutable: String {
    "\(host.windowsDriveRoot)/Program Files/Docker/Docker/Docker Desktop.exe"
  }

  /// The kernel release and environment alone: cheap, no Windows call. `nil` version means not WSL.
  public func kernelFacts() -> (version: Int?, release: String?) {
    guard host.os == .linux else { return (nil, nil) }
    let release = HostFiles.text(of: "\(host.procRoot)/sys/kernel/osrelease")
    let lowered = release?.lowercased() ?? ""
    if lowered.containsBytes("microsoft") || lowered.containsBytes("wsl") {
      // WSL 2 kernels say `microsoft-standard` (and usually `WSL2`); WSL 1 reports a Windows build:
      // `4.4.0-19041-Microsoft`.
      let isTwo = lowered.containsBytes("wsl2") || lowered.containsBytes("microsoft-standard")
      return (isTwo ? 2 : 1, release)
    }
    if host.environment["WSL_DISTRO_NAME"] != nil {
      // A custom kernel without Microsoft's name; only WSL 2 sets WSL_INTEROP.
      return (host.environment["WSL_INTEROP"] != nil ? 2 : 1, release)
    }
    return (nil, release)
  }

  /// Everything, including `wsl.exe -l -v` through interop when `listDistributions` is set.
  public func detect(listDistributions: Bool = true) async -> WSLFacts {
    let (version, release) = kernelFacts()
    let distro = host.environment["WSL_DISTRO_NAME"].flatMap { $0.isEmpty ? nil : $0 }
    let interop = host.environment["WSL_INTEROP"].map { !$0.isEmpty } ?? false
    var facts = WSLFacts(
      status: .notWSL, version: version, kernelRelease: release, distroName: distro, interop: interop,
      desktopMount: false, distroIntegrated: false, desktopInstalledOnWindows: false, distributions: nil)
    guard let version else { return facts }

    facts.desktopMount = HostFiles.entries(of: host.wslMountRoot).contains { $0.hasPrefix("docker-desktop") }
    let bindMounts = "\(host.wslMountRoot)/docker-desktop-bind-mounts"
    if let distro {
      facts.distroIntegrated = HostFiles.isDirectory("\(bindMounts)/\(distro)")
    } else {
      facts.distroIntegrated = !HostFiles.entries(of: bindMounts).isEmpty
    }
    facts.desktopInstalledOnWindows = HostFiles.exists(windowsDesktopExecutable)
    if listDistributions && interop, let wsl = host.windowsProgram("wsl.exe"),
      let output = await runner.run(wsl, ["-l", "-v"], environment: host.environment), output.exitCode == 0
    {
      facts.distributions = WSLDistroList.parse(output.standardOutput)
    }

    if version == 1 {
      facts.status = .wsl1
    } else if facts.distroIntegrated {
      facts.status = .desktopIntegration
    } else if facts.desktopMount || desktopDistroRunning(facts.distributions) {
      facts.status = .noDesktopIntegration
    } else if facts.desktopInstalledOnWindows {
      facts.status = .desktopNotRunning
    } else {
      facts.status = .noDesktopIntegration
    }
    return facts
  }

  /// Desktop's own distribution (`docker-desktop`) runs whenever its engine does.
  func desktopDistroRunning(_ distributions: [WSLDistro]?) -> Bool {
    distributions?.contains { $0.name == "docker-desktop" && $0.isRunning } ?? false
  }
}
