import EngineKit

/// Under WSL: which version, and whether Docker Desktop's integration reaches this distribution. Skipped elsewhere.
struct WSLCheck: DiagnosticCheck {
  let id = "wsl"
  let readsHostOnly = true

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    let host = state.options.host
    let facts = await WSLDetector(host: host, runner: state.commandRunner).detect()
    state.wsl = facts
    state.wsl2Status = facts.status.rawValue
    let distro = facts.distroName.map { " (\($0))" } ?? ""
    switch facts.status {
    case .notWSL:
      return .skip("not running under WSL")
    case .wsl1:
      let name = facts.distroName ?? "<distribution>"
      return CheckResult(
        .warn, "WSL 1\(distro): Docker needs WSL 2",
        issues: [
          HealthReport.Issue(
            code: "wsl1",
            message: "This distribution\(distro) runs under WSL 1, where neither Docker Desktop's "
              + "integration nor dockerd works",
            recommendation: "Convert it from Windows: wsl --set-version \(name) 2")
        ])
    case .desktopIntegration:
      return CheckResult(.pass, "WSL 2\(distro) with Docker Desktop's integration")
    case .desktopNotRunning:
      state.startRecommended.insert(.dockerDesktop)
      return CheckResult(
        .warn, "WSL 2\(distro); Docker Desktop is installed on Windows but not running",
        issues: [
          HealthReport.Issue(
            code: "docker-desktop-stopped",
            message:
              "Docker Desktop is installed on Windows but not running, so this distribution\(distro) has no engine",
            recommendation:
              "Start it: docker desktop start, or run \"\(WSLDetector(host: host).windowsDesktopExecutable)\" "
              + "from this shell")
        ])
    case .noDesktopIntegration:
      if let dockerd = ExecutableSearch.find("dockerd", in: host.searchPath) {
        return CheckResult(.pass, "WSL 2\(distro) with Docker Engine installed in the distribution (\(dockerd))")
      }
      let desktop =
        facts.desktopMount
        ? "Docker Desktop runs, but its integration is off for this distribution"
        : "no Docker Desktop integration and no Docker Engine in the distribution"
      return CheckResult(
        .warn, "WSL 2\(distro): \(desktop)",
        issues: [
          HealthReport.Issue(
            code: "wsl-no-desktop-integration",
            message: "WSL 2\(distro) without Docker Desktop's integration: \(desktop)",
            recommendation: "Enable it in Docker Desktop → Settings → Resources → WSL integration (turn on "
              + "\(facts.distroName ?? "this distribution")), or install docker-ce in the distribution")
        ])
    }
  }
}
