import EngineKit

/// Whether Docker Desktop runs, from its processes (Linux: /proc; macOS: `ps`; Windows and WSL: `tasklist.exe`).
/// Skipped where Desktop is not installed and the engine is not Desktop's.
struct DockerDesktopCheck: DiagnosticCheck {
  let id = "docker-desktop"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    let host = state.options.host
    let isDesktopEngine = state.providerAttribution?.provider == .dockerDesktop
    let inWSL = state.inWSL
    // Its app, programs and data directory say whether it is installed; its sockets need not be probed for that.
    let installed = InstalledProviderScan(host: host, inWSL: inWSL).installation(of: .dockerDesktop)
    let wslMount = state.wsl?.desktopMount ?? false
    guard installed != nil || isDesktopEngine || wslMount else {
      return .skip("Docker Desktop is not installed")
    }
    if isDesktopEngine && state.isReachable {
      state.dockerDesktopRunning = true
      return CheckResult(.pass, "running: its engine answers at \(state.endpoint.host)")
    }

    let finding = await DockerDesktopProcessDetector(host: host, runner: state.commandRunner).detect(inWSL: inWSL)
    // Inside WSL the shared mount is there exactly while Desktop runs: an answer when interop cannot list processes.
    let running = finding.running ?? (inWSL && wslMount ? true : nil)
    state.dockerDesktopRunning = running
    switch running {
    case true?:
      let processes = finding.processes.map(\.description).joined(separator: ", ")
      let seen = processes.isEmpty ? "its WSL mount is present" : "\(processes), seen through \(finding.method)"
      guard !state.isReachable, isDesktopEngine else { return CheckResult(.pass, "running: \(seen)") }
      return CheckResult(
        .warn, "running (\(seen)), but its engine does not answer at \(state.endpoint.host)",
        issues: [
          HealthReport.Issue(
            code: "docker-desktop-engine-down",
            message: "Docker Desktop runs but its engine does not answer at \(state.endpoint.host)",
            recommendation: "Wait for it to finish starting (docker-preflight wait); if it does not, restart Docker "
              + "Desktop (Troubleshoot → Restart)")
        ])
    case false?:
      let summary = "\(installed == nil ? "" : "installed, ")not running (no Desktop process in \(finding.method))"
      guard !state.isReachable else { return CheckResult(.pass, summary) }
      guard !state.startRecommended.contains(.dockerDesktop) else { return CheckResult(.warn, summary) }
      state.startRecommended.insert(.dockerDesktop)
      return CheckResult(
        .warn, summary,
        issues: [
          HealthReport.Issue(
            code: "docker-desktop-stopped", message: "Docker Desktop is installed but not running",
            recommendation: "Start it: \(Provider.dockerDesktop.startHint(on: inWSL ? .windows : host.os))")
        ])
    case nil:
      return CheckResult(.skip, "cannot tell whether it runs: \(finding.method) could not be run")
    }
  }
}
