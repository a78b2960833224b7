import DevContainer
import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// What `devcontainer up` will need from this host, each a check of its own, against the engine the endpoint names.

/// The devcontainer.json itself: found, and read as the Dev Containers tools read it.
struct DevContainerConfigCheck: DiagnosticCheck {
  let id = "devcontainer"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let preflight = state.options.devContainer else { return .skip("no Dev Container asked for") }
    switch preflight.configuration {
    case .failure(let error):
      return CheckResult(
        .fail, error.description,
        issues: [
          HealthReport.Issue(
            code: "devcontainer-invalid", message: error.description,
            recommendation: "Fix devcontainer.json where it says (comments and trailing commas are allowed)")
        ])
    case .success(let configuration):
      let kind =
        configuration.image.map { "image \($0)" } ?? configuration.dockerfile.map { "Dockerfile \($0)" }
        ?? (configuration.composeFiles.isEmpty ? "no image, Dockerfile or Compose file" : "Docker Compose")
      return CheckResult(.pass, "\(configuration.file): \(kind)")
    }
  }
}

/// The image: on the engine already (and built for its architecture), or its registry reachable with TLS that
/// verifies; the same for the Features' registries. Podman behind `docker` cannot resolve a short name without a TTY.
struct DevContainerImageCheck: DiagnosticCheck {
  let id = "devcontainer-image"
  let questions: EngineProbe.Questions = [.systemInfo]

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let configuration = state.devContainer else { return .skip("no Dev Container to check") }
    guard state.isReachable else { return .skip("the engine did not answer") }
    var issues: [HealthReport.Issue] = []
    var notes: [String] = []
    var registries: [String] = configuration.features.compactMap(RegistryReference.registry(of:))
    let info = await state.systemInfo()
    if let image = configuration.image {
      if state.provider == Provider.podman.rawValue && !RegistryReference.isFullyQualified(image) {
        issues.append(
          HealthReport.Issue(
            code: "podman-short-name",
            message:
              "the image \(image) has no registry in its name, and Podman resolves short names only by asking on "
              + "a terminal, which devcontainer up does not have",
            recommendation: "Name the registry: docker.io/library/\(image.contains("/") ? image : image)"))
      }
      let local: LocalImage?
      do {
        local = try await state.options.client(for: state.endpoint).withSession { try await $0.localImage(image) }
      } catch {
        return CheckResult(
          .fail, "cannot ask the engine for \(image): \(error.message)", issues: [HealthReport.Issue(error)])
      }
      if let local {
        notes.append("\(image) is on the engine")
        let engineArchitecture = state.version?.arch ?? info?.architecture
        if let wanted = local.architecture, let engine = engineArchitecture, !Self.sameArchitecture(wanted, engine) {
          issues.append(
            HealthReport.Issue(
              code: "image-platform-mismatch",
              message: "\(image) is built for \(local.os ?? "linux")/\(wanted), the engine runs \(engine): it will run "
                + "under emulation, or fail with \"exec format error\"",
              recommendation: "Use an image built for \(engine) (a multi-platform tag), or build it here"))
        }
      } else if let registry = RegistryReference.registry(of: image) {
        notes.append("\(image) is not on the engine: it will be pulled from \(registry)")
        registries.insert(registry, at: 0)
      }
    }
    let environment = state.options.devContainer?.environment ?? [:]
    let proxy = environment["HTTPS_PROXY"] ?? environment["https_proxy"] ?? info?.httpsProxy
    var seen: Set<String> = []
    for registry in registries where seen.insert(registry).inserted {
      let (host, port) = RegistryReference.hostAndPort(registry)
      let outcome = await RegistryProbe(host: host, port: port, proxy: proxy, timeout: state.options.timeout).run()
      switch outcome {
      case .reachable: notes.append("\(registry) reachable")
      case .nameNotResolved(let detail), .unreachable(let detail), .tlsFailed(let detail):
        issues.append(
          HealthReport.Issue(
            code: "registry-unreachable",
            message: "the registry \(registry) cannot be reached from here (\(detail))"
              + (proxy.map { " through the proxy \($0)" } ?? ""),
            recommendation: "Check the network, DNS and proxy settings (HTTPS_PROXY, and the engine's own proxy "
              + "configuration), or use an image already on the engine"))
      case .untrustedCertificate(let issuer, let reason):
        issues.append(
          HealthReport.Issue(
            code: "registry-tls-untrusted",
            message: "the registry \(registry) answers with a certificate issued by \(issuer), which this machine does "
              + "not trust (\(reason)): most often a proxy that intercepts TLS",
            recommendation: "Add the issuing CA to the system's trust store and to the engine's "
              + "(/etc/docker/certs.d/\(registry)/ca.crt), or ask for the registry to be exempted from interception"))
      }
    }
    let fails = issues.contains { ["registry-unreachable", "registry-tls-untrusted"].contains($0.code) }
    let summary = (issues.map(\.message) + (issues.isEmpty ? notes : [])).joined(separator: "; ")
    return CheckResult(
      fails ? .fail : issues.isEmpty ? .pass : .warn, summary.isEmpty ? "no image named" : summary, issues: issues)
  }

  /// `amd64` is `x86_64`, `arm64` is `aarch64`, as the engine and images variously say.
  static func sameArchitecture(_ first: String, _ second: String) -> Bool {
    let aliases = ["x86_64": "amd64", "aarch64": "arm64"]
    return (aliases[first] ?? first) == (aliases[second] ?? second)
  }
}

/// A Dockerfile build: the Dockerfile and its context exist; Features need BuildKit's `--build-context` (buildx 0.8+).
struct DevContainerBuildCheck: DiagnosticCheck {
  let id = "devcontainer-build"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let configuration = state.devContainer else { return .skip("no Dev Container to check") }
    var issues: [HealthReport.Issue] = []
    if let dockerfile = configuration.dockerfile {
      for (path, what) in [(dockerfile, "Dockerfile"), (configuration.buildContext ?? "", "build context")]
      where !path.isEmpty && !HostFiles.exists(path) {
        issues.append(
          HealthReport.Issue(
            code: "build-file-missing", message: "the \(what) \(path) named by \(configuration.file) does not exist",
            recommendation: "Fix build.dockerfile / build.context (relative to the devcontainer.json's folder)"))
      }
    }
    if (configuration.dockerfile != nil || configuration.image != nil) && !configuration.features.isEmpty {
      let buildx = await DockerPlugin(preflight: state.options.devContainer, timeout: state.options.commandTimeout)
        .version(["buildx", "version"])
      if let version = buildx, version.isAtLeast(0, 8) {
        // fine
      } else {
        issues.append(
          HealthReport.Issue(
            code: "buildx-missing",
            message: buildx.map { "docker buildx \($0.text) is older than 0.8" } ?? "docker buildx is not installed",
            recommendation: "Features are built with BuildKit's --build-context: install the buildx plugin 0.8 or "
              + "later (apt install docker-buildx, or Docker's docker-buildx-plugin)"))
      }
    }
    if configuration.dockerfile == nil && configuration.features.isEmpty { return .skip("nothing to build") }
    return .findings(issues, otherwise: "the build's files and tools are there")
  }
}

/// Docker Compose: its files exist, are YAML shaped as Compose files, and name the service; `docker compose` v2 (or
/// `docker-compose`) is installed.
struct DevContainerComposeCheck: DiagnosticCheck {
  let id = "devcontainer-compose"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let configuration = state.devContainer, !configuration.composeFiles.isEmpty else {
      return .skip("no Docker Compose file")
    }
    var issues: [HealthReport.Issue] = []
    for file in configuration.composeFiles where HostFiles.contents(of: file) == nil {
      issues.append(
        HealthReport.Issue(
          code: "compose-file-missing", message: "the Compose file \(file) cannot be read",
          recommendation: "Fix dockerComposeFile (relative to the devcontainer.json's folder)"))
    }
    var project: ComposeProject?
    if issues.isEmpty {
      do {
        project = try ComposeProject.load(
          configuration.composeFiles, environment: state.options.devContainer?.environment ?? [:])
      } catch {
        issues.append(Self.issue(for: error))
      }
    }
    if let project, let service = configuration.service, project[service: service] == nil {
      issues.append(
        HealthReport.Issue(
          code: "compose-service-missing",
          message: "no service \"\(service)\" in \(configuration.composeFiles.joined(separator: ", ")) (it has: "
            + "\(project.serviceNames.sorted().joined(separator: ", ")))",
          recommendation: "Set \"service\" to one of the Compose file's services"))
    }
    let plugin = DockerPlugin(preflight: state.options.devContainer, timeout: state.options.commandTimeout)
    let compose = await plugin.version(["compose", "version", "--short"])
    if !(compose?.isAtLeast(2, 0) ?? false) && plugin.standalone("docker-compose") == nil {
      issues.append(
        HealthReport.Issue(
          code: "compose-missing",
          message: compose.map { "docker compose \($0.text) is older than 2" }
            ?? "neither docker compose nor docker-compose is installed",
          recommendation: "Install Docker Compose v2 (apt install docker-compose-plugin, or docker-compose)"))
    }
    let names = project?.serviceNames.sorted().joined(separator: ", ") ?? ""
    return .findings(issues, otherwise: "services: \(names)")
  }

  /// A Compose file that cannot be read, or is not YAML or not a Compose file: where, and libyaml's words.
  static func issue(for error: DevContainerError) -> HealthReport.Issue {
    if case .unreadable(let path, let reason) = error {
      return HealthReport.Issue(
        code: "compose-file-missing", message: "the Compose file \(path) cannot be read: \(reason)",
        recommendation: "Fix dockerComposeFile (relative to the devcontainer.json's folder)")
    }
    var place = "the Compose file where it says"
    if case .malformed(let path, let line, let column, _) = error {
      place =
        "\(path) at line \(line), column \(column) (indentation, a tab, a missing space after a colon, an "
        + "unclosed quote or bracket)"
    }
    return HealthReport.Issue(
      code: "compose-file-invalid", message: "the Compose file is not valid: \(error.description)",
      recommendation: "Fix \(place); docker compose config shows the file as Compose reads it")
  }
}

/// The host ports it publishes (`appPort`, `runArgs -p`, the `ports:` of the Compose services `up` starts) are free:
/// tried by binding them (a UDP socket for `/udp`).
struct DevContainerPortsCheck: DiagnosticCheck {
  let id = "devcontainer-ports"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let configuration = state.devContainer else { return .skip("no host port published") }
    var ports = configuration.ports
    let environment = state.options.devContainer?.environment ?? [:]
    // A Compose file that does not load is devcontainer-compose's finding; its ports are then unknown.
    var unknown = ""
    if !configuration.composeFiles.isEmpty {
      if let project = try? ComposeProject.load(configuration.composeFiles, environment: environment) {
        let started = project.started(
          service: configuration.service, runServices: configuration.runServices, environment: environment)
        ports += started.flatMap(\.ports)
      } else {
        unknown = " (the Compose files' ports are unknown: they do not load, see devcontainer-compose)"
      }
    }
    guard !ports.isEmpty else { return .skip("no host port published" + unknown) }
    var issues: [HealthReport.Issue] = []
    for published in ports {
      let udp = published.transport == .udp
      if let failure = PortProbe.bind(port: published.port, address: published.address, udp: udp) {
        let listing = udp ? "ss -lunp" : "ss -ltnp"
        issues.append(
          HealthReport.Issue(
            code: "port-in-use",
            message: "port \(published.name) (\(published.origin)) cannot be published: \(failure)",
            recommendation: "Stop what listens on port \(published.port) (\(listing) 'sport = :\(published.port)'), "
              + "or publish another port"))
      }
    }
    let list = ports.map(\.name).joined(separator: ", ")
    return .findings(issues, otherwise: "free: \(list)" + unknown)
  }
}

/// Bind mounts' sources exist; a forwarded SSH agent is a socket; on Docker Desktop and Colima, paths outside the
/// folders the VM shares are flagged (the mount would be empty inside the container).
struct DevContainerMountsCheck: DiagnosticCheck {
  let id = "devcontainer-mounts"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let configuration = state.devContainer else { return .skip("no Dev Container to check") }
    let environment = state.options.devContainer?.environment ?? [:]
    var issues: [HealthReport.Issue] = []
    for mount in configuration.bindMounts {
      if !HostFiles.exists(mount.source) {
        issues.append(
          HealthReport.Issue(
            code: "mount-source-missing",
            message: "the bind mount source \(mount.source) (\(mount.origin)) does not exist",
            recommendation: "Create it, or fix the mount in \(configuration.file)"))
      } else if let agent = environment["SSH_AUTH_SOCK"], mount.source == agent, HostFiles.kind(agent) != .socket {
        issues.append(
          HealthReport.Issue(
            code: "ssh-agent-missing", message: "SSH_AUTH_SOCK (\(agent)) is not a socket: no SSH agent runs there",
            recommendation: "Start an SSH agent (eval $(ssh-agent); ssh-add) before devcontainer up"))
      } else if let shared = SharedFolders.of(provider: state.provider, home: environment["HOME"]),
        !shared.contains(where: { mount.source == $0 || mount.source.hasPrefix($0 + "/") })
      {
        issues.append(
          HealthReport.Issue(
            code: "mount-not-shared",
            message: "\(mount.source) (\(mount.origin)) is outside the folders the engine's VM shares "
              + "(\(shared.joined(separator: ", "))): the container would see it empty",
            recommendation: "Add it to the provider's shared folders (Docker Desktop: Settings → Resources → File "
              + "sharing; Colima: mounts in colima.yaml)"))
      }
    }
    if configuration.bindMounts.isEmpty && issues.isEmpty { return .skip("no bind mount") }
    return .findings(
      issues, otherwise: "\(configuration.bindMounts.count) bind mount source(s) present",
      failing: issues.contains { $0.code != "mount-not-shared" })
  }
}

/// `hostRequirements` against the engine's `/info`; a Linux container needs an engine that runs Linux containers.
struct DevContainerResourcesCheck: DiagnosticCheck {
  let id = "devcontainer-resources"
  let questions: EngineProbe.Questions = [.systemInfo]

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let configuration = state.devContainer else { return .skip("no Dev Container to check") }
    guard state.isReachable, let info = await state.systemInfo() else { return .skip("the engine did not answer") }
    var issues: [HealthReport.Issue] = []
    func unmet(_ message: String, _ recommendation: String) {
      issues.append(
        HealthReport.Issue(code: "host-requirements-unmet", message: message, recommendation: recommendation))
    }
    if info.osType == "windows" {
      issues.append(
        HealthReport.Issue(
          code: "engine-os-mismatch",
          message: "the engine runs Windows containers; a Dev Container is a Linux container",
          recommendation: "Switch Docker Desktop to Linux containers (docker desktop engine use linux)"))
    }
    let wanted = configuration.hostRequirements
    if let cpus = wanted.cpus, let have = info.ncpu, have < cpus {
      unmet("hostRequirements.cpus is \(cpus); the engine has \(have)", "Give the engine (or its VM) more CPUs")
    }
    if let memory = wanted.memory, let have = info.memTotal, have < memory {
      unmet(
        "hostRequirements.memory is \(DiskSpaceCheck.format(memory)); the engine has \(DiskSpaceCheck.format(have))",
        "Give the engine (or its VM) more memory")
    }
    if let storage = wanted.storage, let root = info.dockerRootDir, case .unix = state.endpoint.transport,
      info.kernelVersion == DiskSpaceCheck.kernelRelease
    {
      var stats = statvfs()
      if statvfs(root, &stats) == 0 {
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        if free < storage {
          unmet(
            "hostRequirements.storage is \(DiskSpaceCheck.format(storage)); \(DiskSpaceCheck.format(free)) is free "
              + "under \(root)",
            "Free space (docker system prune), or give the disk more room")
        }
      }
    }
    if let gpu = wanted.gpu, !info.runtimes.contains(where: { $0.contains("nvidia") }) {
      let issue = HealthReport.Issue(
        code: "gpu-missing",
        message: "hostRequirements.gpu is \(gpu == .optional ? "optional" : "required"); the engine has no GPU runtime "
          + "(runtimes: \(info.runtimes.joined(separator: ", ")))",
        recommendation: "Install the NVIDIA Container Toolkit and register its runtime, or drop hostRequirements.gpu")
      issues.append(issue)
    }
    let summary =
      "engine: \(info.ncpu.map(String.init) ?? "?") CPUs, \(info.memTotal.map(DiskSpaceCheck.format) ?? "?") memory"
    let onlyOptional = issues.allSatisfy { $0.code == "gpu-missing" } && wanted.gpu == .optional
    return .findings(issues, otherwise: summary, failing: !onlyOptional)
  }
}

/// The docker CLI's credential helpers (`credsStore`, `credHelpers`) are on the PATH docker will run with, and
/// answer `list` in time: the famous `docker-credential-desktop.exe` missing inside WSL fails every pull.
struct DevContainerCredentialsCheck: DiagnosticCheck {
  let id = "devcontainer-credentials"

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard let preflight = state.options.devContainer, state.devContainer != nil else {
      return .skip("no Dev Container to check")
    }
    let resolver = EndpointResolver(environment: preflight.environment)
    let helpers: (store: String?, perRegistry: [String: String])
    do {
      helpers = try resolver.credentialHelpers()
    } catch {
      return CheckResult(.warn, error.description)
    }
    let names = Set([helpers.store].compactMap { $0 } + helpers.perRegistry.values)
    guard !names.isEmpty else { return .skip("no credential helper configured in \(resolver.configFilePath)") }
    let searchPath = HostEnvironment(environment: preflight.environment).searchPath
    var issues: [HealthReport.Issue] = []
    for name in names.sorted() {
      let program = "docker-credential-\(name)"
      guard let path = ExecutableSearch.find(program, in: searchPath) else {
        issues.append(
          HealthReport.Issue(
            code: "credential-helper-missing",
            message: "\(resolver.configFilePath) names the credential helper \"\(name)\", but \(program) is not on "
              + "PATH: every pull and build fails with \"error getting credentials\"",
            recommendation: name.hasSuffix(".exe")
              ? "Inside WSL: enable Docker Desktop's WSL integration for this distribution, or remove \"credsStore\" "
                + "from \(resolver.configFilePath)"
              : "Install \(program), or remove it from \(resolver.configFilePath)"))
        continue
      }
      let answer = await HostCommandRunner(timeout: state.options.commandTimeout).run(
        path, ["list"], environment: preflight.environment)
      if answer?.exitCode != 0 {
        issues.append(
          HealthReport.Issue(
            code: "credential-helper-failed",
            message: "\(program) list "
              + (answer == nil
                ? "did not answer in time" : "failed (exit status \(answer?.exitCode.map(String.init) ?? "?"))"),
            recommendation: "Run \(program) list yourself to see why (a locked keychain, a stopped Docker Desktop)"))
      }
    }
    return .findings(issues, otherwise: "credential helpers answer: \(names.sorted().joined(separator: ", "))")
  }
}

extension CheckResult {
  /// `pass` with `summary` when nothing was found; else the issues' messages, failing (or only warning).
  static func findings(_ issues: [HealthReport.Issue], otherwise summary: String, failing: Bool = true) -> CheckResult {
    guard !issues.isEmpty else { return CheckResult(.pass, summary) }
    return CheckResult(failing ? .fail : .warn, issues.map(\.message).joined(separator: "; "), issues: issues)
  }
}
