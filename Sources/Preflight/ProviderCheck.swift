import EngineKit

/// Who provides the engine. When the engine answers, from what it says about itself (`_ping`, `/version`, `/info`);
/// when it does not, from where the endpoint points, and every provider installed here is named with how to start
/// it, or where it already listens.
struct ProviderCheck: DiagnosticCheck {
  let id = "provider"
  let questions: EngineProbe.Questions = [.systemInfo]

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    let host = state.options.host
    let detector = ProviderDetector(host: host, inWSL: state.inWSL)
    if state.isReachable {
      let info = await state.systemInfo()
      let found = detector.identify(endpoint: state.endpoint, ping: state.ping, version: state.version, info: info)
      state.providerAttribution = found
      state.provider = found?.provider.rawValue
      guard let found else { return CheckResult(.warn, "the engine answers but does not say who provides it") }
      return CheckResult(.pass, "\(found.provider.displayName) (\(found.reason))")
    }

    let owner = detector.identify(endpoint: state.endpoint)
    state.providerAttribution = owner
    state.provider = owner?.provider.rawValue
    if let hung = state.hung {
      // It runs: what is installed and how to start it would be beside the point.
      return CheckResult(
        .skip, "\(owner.map { "\($0.provider.displayName): " } ?? "")\(hung.process.name) (pid \(hung.process.pid)) "
          + "runs but is hung")
    }
    let scan = state.installedProviders()
    var issues: [HealthReport.Issue] = []
    var listening: [String] = []
    var stopped: [String] = []
    // The endpoint's own provider first: starting it is what makes this endpoint answer.
    let ordered =
      scan.providers.filter { $0.provider == owner?.provider }
      + scan.providers.filter { $0.provider != owner?.provider }
    for installed in ordered {
      let name = installed.provider.displayName
      let elsewhere = installed.sockets.filter { $0.state == .listening && "unix://\($0.path)" != state.endpoint.host }
      if let socket = elsewhere.first {
        listening.append(name)
        issues.append(
          HealthReport.Issue(
            code: "engine-elsewhere",
            message: "\(name) listens at unix://\(socket.path), not at \(state.endpoint.host)",
            recommendation: "Use it: export DOCKER_HOST=unix://\(socket.path) (or the matching docker context)"))
      } else if !installed.isListening {
        stopped.append(name)
        guard !state.startRecommended.contains(installed.provider) else { continue }
        let why = installed.evidence.map(\.description).joined(separator: "; ")
        state.startRecommended.insert(installed.provider)
        issues.append(
          HealthReport.Issue(
            code: "provider-stopped", message: "\(name) is installed but not running (\(why))",
            recommendation: "Start it: \(installed.provider.startHint(on: host.os, instance: installed.instance))"))
      }
    }
    if scan.providers.isEmpty {
      let client = scan.dockerCLI.map { " (the docker CLI at \($0) is only a client)" } ?? ""
      issues.append(
        HealthReport.Issue(
          code: "no-engine-installed",
          message: "No container engine is installed here: no dockerd, Podman, Docker Desktop, Colima, OrbStack, "
            + "Rancher Desktop or Lima was found\(client)",
          recommendation: "Install one: Docker Engine (apt install docker.io), Docker Desktop, or Podman"))
    }
    var parts: [String] = []
    if let owner { parts.append("\(state.endpoint.host) belongs to \(owner.provider.displayName)") }
    if !stopped.isEmpty { parts.append("installed, not running: \(stopped.joined(separator: ", "))") }
    if !listening.isEmpty { parts.append("listening elsewhere: \(listening.joined(separator: ", "))") }
    if scan.providers.isEmpty { parts.append("no container engine installed") }
    let summary = parts.isEmpty ? "no other engine found" : parts.joined(separator: "; ")
    return CheckResult(issues.isEmpty ? .pass : .warn, summary, issues: issues)
  }
}
