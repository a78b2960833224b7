import EngineKit

/// Builds the plan of ``HealStep``s for one host: the configured start command first, then the provider's own start
/// command, then the service manager, and finally — as root, where nothing manages the engine — `dockerd` itself.
///
/// A pure function of ``HostFacts`` and the configuration, so that the plans for every platform can be checked on
/// any machine.
public struct HealPlanner: Sendable {
  public var facts: HostFacts
  public var configuration: PreflightConfiguration
  /// Where a directly launched `dockerd` keeps its log file and pidfile.
  public var stateDirectory: String
  /// The process of an engine that accepts connections but does not answer: the plan restarts it first.
  public var hung: EngineProcess?

  public init(facts: HostFacts, configuration: PreflightConfiguration, stateDirectory: String) {
    self.facts = facts
    self.configuration = configuration
    self.stateDirectory = stateDirectory
  }

  /// The steps, in the order they are tried; `strategies` keeps only the named ones.
  public func plan(strategies: [String]? = nil) throws(PreflightError) -> [HealStep] {
    let steps = allSteps()
    guard let strategies = strategies ?? configuration.healStrategies else { return steps }
    let unknown = strategies.filter { HealStep.Strategy(rawValue: $0) == nil }
    guard unknown.isEmpty else { throw .unknownStrategies(unknown) }
    let wanted = Set(strategies)
    return steps.filter { wanted.contains($0.strategy.rawValue) }
  }

  /// Which engine the endpoint belongs to, read from its address.
  enum Target: Equatable {
    case dockerDesktop
    case colima(profile: String)
    case orbstack
    case rancherDesktop
    case podmanMachine
    case podmanSocket(user: Bool)
    case rootless
    /// The platform's default address (`/var/run/docker.sock`, the `docker_engine` pipe).
    case system(socket: String?)
    /// Some other local socket nothing in particular serves.
    case unixSocket(String)
    /// tcp or ssh: nothing on this machine starts it.
    case remote
  }

  var target: Target {
    let endpoint = facts.endpoint
    switch endpoint.transport {
    case .tcp, .ssh:
      return .remote
    case .namedPipe(let path):
      if path.hasSuffix("/dockerDesktopLinuxEngine") || path.hasSuffix("/dockerDesktopWindowsEngine") {
        return .dockerDesktop
      }
      return path.hasSuffix("/docker_engine") ? .system(socket: nil) : .remote
    case .unix(let path):
      if endpoint.source == .context("desktop-linux") || path.hasSuffix("/.docker/run/docker.sock")
        || path.hasSuffix("/.docker/desktop/docker.sock")
      {
        return .dockerDesktop
      }
      let components = path.split(separator: "/").map(String.init)
      if let index = components.firstIndex(of: ".colima") {
        // ~/.colima/<profile>/docker.sock; ~/.colima/docker.sock on releases before profiles had directories.
        let profile = index + 2 < components.count ? components[index + 1] : "default"
        return .colima(profile: profile)
      }
      if components.contains(".orbstack") { return .orbstack }
      if path.hasSuffix("/.rd/docker.sock") { return .rancherDesktop }
      if path == facts.rootlessSocket { return .rootless }
      if path.contains("podman-machine") || path.contains("/podman/machine/") { return .podmanMachine }
      if path.hasSuffix("/podman/podman.sock") {
        if facts.os != .linux || facts.isWSL { return .podmanMachine }
        return .podmanSocket(user: !path.hasPrefix(facts.systemRoot + "/run/podman/"))
      }
      if systemSockets.contains(path) { return .system(socket: path) }
      return .unixSocket(path)
    }
  }

  func allSteps() -> [HealStep] {
    var steps: [HealStep] = hung.map(restartSteps) ?? []
    if let command = configuration.startCommand {
      steps.append(
        HealStep(
          strategy: .configured, command: command, summary: "the configured start command",
          readinessTimeout: configuration.timeout))
    }
    switch target {
    case .dockerDesktop: steps += dockerDesktopSteps()
    case .colima(let profile): steps.append(colimaStep(profile: profile))
    case .orbstack: steps.append(orbstackStep)
    case .rancherDesktop: steps.append(rancherStep)
    case .podmanMachine: steps.append(podmanMachineStep)
    case .podmanSocket(let user):
      let command = ["systemctl"] + (user ? ["--user"] : []) + ["start", "podman.socket"]
      steps.append(
        HealStep(
          strategy: .podmanSocket, command: user ? command : privileged(command),
          summary: "start Podman's Docker-compatible socket", readinessTimeout: .seconds(30)))
    case .rootless:
      if facts.hasSystemd {
        steps.append(
          HealStep(
            strategy: .rootless, command: ["systemctl", "--user", "start", "docker"],
            summary: "start rootless Docker (systemd user unit)", readinessTimeout: .seconds(30)))
      }
    case .system(let socket):
      steps += systemProviderSteps()
      if let socket { steps += serviceManagerSteps() + directDaemonSteps(socket: socket) }
    case .unixSocket(let path):
      steps += directDaemonSteps(socket: path)
    case .remote:
      break
    }
    return steps
  }

  // MARK: - Restarting a hung engine

  /// What restarts a hung engine, by who runs it: its provider's restart command, systemd's, or — for an engine
  /// nothing manages — a stop by pid, after which the start steps follow.
  func restartSteps(_ process: EngineProcess) -> [HealStep] {
    let slow = configuration.timeout
    switch target {
    case .dockerDesktop where facts.hasDockerDesktopCLI:
      return [
        HealStep(
          strategy: .dockerDesktopCLI, command: ["docker", "desktop", "restart"],
          summary: "restart the hung Docker Desktop", readinessTimeout: slow)
      ]
    case .colima(let profile):
      return [
        HealStep(
          strategy: .colima, command: ["colima", "restart"] + (profile == "default" ? [] : ["--profile", profile]),
          summary: "restart the hung Colima virtual machine", readinessTimeout: slow)
      ]
    case .orbstack:
      return [
        HealStep(
          strategy: .orbstack, command: ["orb", "restart"], summary: "restart hung OrbStack", readinessTimeout: slow)
      ]
    case .podmanMachine:
      return [
        HealStep(
          strategy: .podmanMachine, command: ["podman", "machine", "stop"],
          summary: "stop the hung Podman machine (the start step follows)", readinessTimeout: .zero)
      ]
    case .rancherDesktop:
      return [
        HealStep(
          strategy: .rancherDesktop, command: ["rdctl", "shutdown"],
          summary: "shut the hung Rancher Desktop down (the start step follows)", readinessTimeout: .zero)
      ]
    case .system where systemdManagesDocker:
      return [
        HealStep(
          strategy: .systemd, command: privileged(["systemctl", "restart", "docker.service"]),
          summary: "restart the hung Docker Engine with systemd", readinessTimeout: .seconds(60))
      ]
    default:
      return [
        HealStep(
          strategy: .stopEngine, command: ["kill", "-TERM", String(process.pid)],
          summary: "stop the hung \(process.name) (pid \(process.pid)); SIGKILL if it lingers 15 s",
          launch: .stop, readinessTimeout: .zero, pid: process.pid)
      ]
    }
  }

  // MARK: - Providers

  /// Seconds for `docker desktop start --timeout`: the whole heal's time, so that our own deadline decides.
  private var desktopTimeoutSeconds: String {
    String((configuration.timeout.milliseconds + 999) / 1000)
  }

  func dockerDesktopSteps() -> [HealStep] {
    let slow = configuration.timeout
    var steps: [HealStep] = []
    if facts.hasDockerDesktopCLI {
      steps.append(
        HealStep(
          strategy: .dockerDesktopCLI, command: ["docker", "desktop", "start", "--timeout", desktopTimeoutSeconds],
          summary: "start Docker Desktop with its CLI (Docker Desktop 4.37 or later)", readinessTimeout: slow))
    }
    switch facts.os {
    case .macos:
      steps.append(
        HealStep(
          strategy: .dockerDesktop, command: ["open", "-a", "Docker"], summary: "open the Docker Desktop application",
          readinessTimeout: slow))
    case .windows:
      steps.append(
        HealStep(
          strategy: .dockerDesktop, command: [HostFacts.windowsDockerDesktop],
          summary: "launch Docker Desktop", launch: .detached, logFile: logFile("docker-desktop"),
          readinessTimeout: slow))
    case .linux where facts.isWSL:
      // Through WSL interop the Linux side waits for the Windows program, which runs until Desktop quits.
      steps.append(
        HealStep(
          strategy: .dockerDesktop, command: [facts.wslDockerDesktop],
          summary: "launch Docker Desktop on Windows through WSL interop", launch: .detached,
          logFile: logFile("docker-desktop"), readinessTimeout: slow))
    case .linux:
      steps.append(
        HealStep(
          strategy: .dockerDesktop, command: ["systemctl", "--user", "start", "docker-desktop"],
          summary: "start Docker Desktop's systemd user unit", readinessTimeout: slow))
    }
    return steps
  }

  func colimaStep(profile: String) -> HealStep {
    HealStep(
      strategy: .colima, command: ["colima", "start"] + (profile == "default" ? [] : ["--profile", profile]),
      summary: "start the Colima virtual machine", readinessTimeout: configuration.timeout)
  }

  var orbstackStep: HealStep {
    HealStep(
      strategy: .orbstack, command: ["orb", "start"], summary: "start OrbStack", readinessTimeout: configuration.timeout
    )
  }

  var rancherStep: HealStep {
    HealStep(
      strategy: .rancherDesktop, command: ["rdctl", "start"], summary: "start Rancher Desktop",
      readinessTimeout: configuration.timeout)
  }

  var podmanMachineStep: HealStep {
    HealStep(
      strategy: .podmanMachine, command: ["podman", "machine", "start"], summary: "start the Podman machine",
      readinessTimeout: configuration.timeout)
  }

  /// Providers that may serve the platform's default address, in order of how commonly they do.
  func systemProviderSteps() -> [HealStep] {
    let installed = facts.installedProviders
    switch facts.os {
    case .macos, .windows:
      var steps: [HealStep] = []
      if installed.contains(.dockerDesktop) { steps += dockerDesktopSteps() }
      if installed.contains(.orbstack) && facts.os == .macos { steps.append(orbstackStep) }
      if installed.contains(.rancherDesktop) { steps.append(rancherStep) }
      if installed.contains(.colima) && facts.os == .macos { steps.append(colimaStep(profile: "default")) }
      if installed.contains(.podman) { steps.append(podmanMachineStep) }
      return steps
    case .linux:
      // In WSL, Docker Desktop's integration serves /var/run/docker.sock inside the distribution.
      return facts.isWSL && installed.contains(.dockerDesktop) ? dockerDesktopSteps() : []
    }
  }

  // MARK: - Service managers and dockerd

  /// Whether systemd manages Docker Engine here; then `dockerd` must not be launched beside it.
  var systemdManagesDocker: Bool { facts.hasSystemd && facts.systemdUnits.contains("docker.service") }

  func serviceManagerSteps() -> [HealStep] {
    guard facts.os == .linux else { return [] }
    if systemdManagesDocker {
      // docker.service expects the socket unit to hand it /run/docker.sock (`-H fd://`); starting both, socket first,
      // works whether the socket unit was stopped with the service or left listening.
      let units = (facts.systemdUnits.contains("docker.socket") ? ["docker.socket"] : []) + ["docker.service"]
      return [
        HealStep(
          strategy: .systemd, command: privileged(["systemctl", "start"] + units),
          summary: "start Docker Engine with systemd", readinessTimeout: .seconds(30))
      ]
    }
    if facts.hasSysvinitDockerScript && facts.executables["service"] != nil {
      return [
        HealStep(
          strategy: .sysvinit, command: privileged(["service", "docker", "start"]),
          summary: "start Docker Engine with its init script", readinessTimeout: .seconds(30))
      ]
    }
    return []
  }

  /// `dockerd` itself, detached, listening where the endpoint says: only as root, only on Linux, and only where
  /// systemd does not manage the engine (a second daemon beside it would fight over the data root).
  func directDaemonSteps(socket: String) -> [HealStep] {
    guard facts.os == .linux, facts.isRoot, !systemdManagesDocker else { return [] }
    let system = systemSockets.contains(socket)
    let name = system ? "dockerd" : "dockerd-\(fileKey(socket))"
    let pidFile = "\(stateDirectory)/\(name).pid"
    // An engine of its own on another socket: its own data and exec roots (and so its own containerd), never the
    // system engine's, which a second dockerd would fight over.
    let roots =
      system
      ? []
      : ["--data-root", "\(rootsDirectory(socket))/data", "--exec-root", "\(rootsDirectory(socket))/exec"]
    return [
      HealStep(
        strategy: .dockerd, command: ["dockerd", "--host", "unix://\(socket)", "--pidfile", pidFile] + roots,
        summary: "launch dockerd directly (nothing manages the engine here)", launch: .detached,
        logFile: logFile(name), pidFile: pidFile, readinessTimeout: .seconds(60))
    ]
  }

  /// `sudo -n` (never a password prompt) unless we are root already.
  func privileged(_ command: [String]) -> [String] {
    facts.isRoot ? command : ["sudo", "-n"] + command
  }

  private func logFile(_ name: String) -> String { "\(stateDirectory)/\(name).log" }

  /// The system engine's sockets, `/var/run/docker.sock` and `/run/docker.sock`, under the host root.
  private var systemSockets: [String] { ["/var/run/docker.sock", "/run/docker.sock"].map { facts.systemRoot + $0 } }

  /// Where a dockerd of our own for `socket` keeps its data and exec roots: short, since containerd's sockets in the
  /// exec root must fit in a unix socket address (108 bytes).
  private func rootsDirectory(_ socket: String) -> String {
    "\(stateDirectory)/engines/\(SHA256Digest.hex(of: socket).prefix(12))"
  }

  /// A socket path as a file name: `/tmp/x/docker.sock` → `tmp_x_docker.sock`.
  private func fileKey(_ path: String) -> String {
    String(path.drop { $0 == "/" }.map { $0 == "/" ? "_" : $0 })
  }
}
