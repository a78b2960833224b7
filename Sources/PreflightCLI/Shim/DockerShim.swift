import EngineKit
import Preflight

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The docker-path shim: `docker-preflight docker ARGS…`, or this program run through a link named `docker`. It
/// readies the engine the command will use — healing only with the person's standing consent (`PREFLIGHT_HEAL=1`,
/// `"heal": {"allow": true}`), since nobody can answer a question here — then replaces itself with the real docker
/// CLI, ARGS untouched. What docker prints and its exit status are docker's own: the shim writes to stderr only when
/// it had to wait, heal, or could not ready the engine, and even then runs docker, which fails as it would have.
///
/// It runs before the argument parser, and on a healthy engine costs a file check: a ready engine is remembered for
/// a few seconds (``ReadinessCache``), so a Dev Containers CLI's burst of `docker` calls asks the engine once.
public struct DockerShim {
  /// The docker arguments, exactly as given.
  var arguments: [String]
  /// What they say about the engine.
  var invocation: DockerInvocation
  var environment: [String: String]
  var configuration: PreflightConfiguration
  /// The real docker CLI.
  var docker: String
  /// How many shims this docker command has been through already.
  var depth: Int
  /// The descriptors docker may inherit: those open before we asked the engine anything.
  var inherited: Set<Int32>? = nil

  /// Set in docker's environment: a `docker` run from within it (a plugin, or a wrapper script that leads back here)
  /// is not readied again, and a loop is stopped.
  static let depthVariable = "PREFLIGHT_SHIM_DEPTH"
  static let maximumDepth = 8

  /// When this process is the shim, does what can be done at once — commands that need no engine, an engine
  /// remembered as ready — and replaces itself with docker; otherwise returns what is left to do (ask the engine,
  /// maybe wait), or nil when this process is not the shim.
  public static func prepare(commandLine: [String] = CommandLine.arguments) -> DockerShim? {
    guard let arguments = dockerArguments(of: commandLine) else { return nil }
    EngineEventLoops.useOneThread()
    let environment = HostEnvironment.processEnvironment
    var configuration = PreflightConfiguration()
    do {
      configuration = try ConfigurationLoader(environment: environment).load()
    } catch {
      say("docker-preflight: \(error) (going on without the configuration)")
    }
    let docker: String
    switch DockerCLILocator(environment: environment, configuredPath: configuration.dockerPath).locate() {
    case .success(let path): docker = path
    case .failure(let failure):
      say("docker-preflight: \(failure)")
      exit(127)
    }
    let depth = Int(environment[depthVariable] ?? "") ?? 0
    if depth >= maximumDepth {
      say(
        "docker-preflight: \(docker) leads back to docker-preflight (\(depth) times); set \"dockerPath\" in "
          + "\(PreflightPaths(environment: environment).configFile) to the real docker CLI")
      exit(1)
    }
    var shim = DockerShim(
      arguments: arguments, invocation: DockerInvocation(arguments: arguments), environment: environment,
      configuration: configuration, docker: docker, depth: depth)
    // Nested in a docker command a shim has already readied: no second look.
    guard depth == 0, shim.invocation.needsEngine, let endpoint = shim.resolveEndpoint() else { shim.runDocker() }
    if shim.cache.isFresh(endpoint.host) && shim.devContainerConfigFile == nil { shim.runDocker() }
    shim.endpoint = endpoint
    return shim
  }

  /// The docker arguments when this process was started as the shim: `docker-preflight docker ARGS…`, or with a
  /// program name of `docker`.
  static func dockerArguments(of commandLine: [String]) -> [String]? {
    guard let first = commandLine.first else { return nil }
    let name = first.split(separator: "/").last.map(String.init) ?? first
    if name == "docker" || name == "docker.exe" { return Array(commandLine.dropFirst()) }
    if commandLine.count >= 2 && commandLine[1] == "docker" { return Array(commandLine.dropFirst(2)) }
    return nil
  }

  /// The engine to ready, once ``prepare(commandLine:)`` found that docker will need it.
  var endpoint: Endpoint?

  /// The endpoint docker will use: its own `-H`/`--context`/`--config`/`--tls*` in the arguments, then the
  /// environment and the current context, as docker resolves it. nil when it cannot be worked out: docker will say
  /// what is wrong with it better than we could.
  func resolveEndpoint() -> Endpoint? {
    let resolver = EndpointResolver(
      hostFlag: invocation.host, contextFlag: invocation.context, environment: invocation.applied(to: environment))
    guard var endpoint = try? resolver.resolve() else { return nil }
    if var tls = endpoint.tls {
      tls.caCertificatePath = invocation.caCertificate ?? tls.caCertificatePath
      tls.clientCertificatePath = invocation.certificate ?? tls.clientCertificatePath
      tls.clientKeyPath = invocation.key ?? tls.clientKeyPath
      endpoint.tls = tls
    }
    return endpoint
  }

  var cache: ReadinessCache { ReadinessCache(paths: PreflightPaths(environment: environment)) }

  /// Asks the engine, waits (and heals) when it must, then runs docker.
  public func run() async -> Never {
    var shim = self
    shim.inherited = ProcessReplacement.openDescriptors()
    await shim.readyEngine()
  }

  private func readyEngine() async -> Never {
    guard let endpoint else { runDocker() }
    let probe: Result<Void, EngineError>
    do throws(EngineError) {
      _ = try await EngineClient(endpoint: endpoint, timeout: .seconds(2)).withSession { try await $0.ping() }
      probe = .success(())
    } catch {
      probe = .failure(error)
    }
    guard case .failure(let error) = probe else {
      cache.recordReady(endpoint.host)
      await reportDevContainerFindings(endpoint)
      runDocker()
    }
    cache.forget(endpoint.host)
    let configFile = PreflightPaths(environment: environment).configFile
    let consentHint = "PREFLIGHT_HEAL=1, or \"heal\": {\"allow\": true} in \(configFile)"
    // Down, and no consent to start it: nothing to wait for. Say why docker is about to fail, then let it.
    if ReadinessPhase(error) != .starting && !configuration.healAllowed {
      say(
        "docker-preflight: the engine at \(endpoint.host) does not answer: \(error.code): \(error.message)\n"
          + "  → \(error.recommendation)\n"
          + "  → to let docker-preflight start it before docker commands: \(consentHint); "
          + "`docker-preflight heal --dry-run` shows how")
      runDocker()
    }
    let display = makeStatusDisplay(subject: endpoint.host, environment: environment)
    let renderer = ReadinessRenderer(timeout: configuration.timeout)
    let ending = await ReadinessRun(
      endpoint: endpoint, configuration: configuration, environment: invocation.applied(to: environment),
      timeout: configuration.timeout, heal: true, consent: configuration.healAllowed, display: display
    ).run()
    switch ending {
    case .finished(let outcome) where outcome.ready:
      display.finish(renderer.summary(outcome))
      cache.recordReady(endpoint.host)
      await reportDevContainerFindings(endpoint)
    case .finished(let outcome):
      display.finish(renderer.summary(outcome))
      say(renderer.explanation(outcome, consentHint: consentHint), newline: false)
    case .interrupted, .failed:
      display.finish(nil)
      let status = ending.saySoWithoutOutcome()
      if case .interrupted = ending { exit(status) }
    }
    runDocker()
  }

  /// The devcontainer.json of the container this command creates for a Dev Containers CLI's `up`; `nil` for other
  /// commands, or with `PREFLIGHT_DEVCONTAINER_CHECKS=0`.
  var devContainerConfigFile: String? {
    environment["PREFLIGHT_DEVCONTAINER_CHECKS"] == "0" ? nil : invocation.devContainerConfigFile
  }

  /// Before docker creates a Dev Container: what it needs from this host is checked, and what warns or fails is said
  /// on stderr. docker runs all the same, its output and exit status its own.
  func reportDevContainerFindings(_ endpoint: Endpoint) async {
    guard let file = devContainerConfigFile else { return }
    let (report, findings) = await devContainerFindings(
      DevContainerPreflight.load(file, environment: environment, dockerCLI: docker), endpoint: endpoint,
      environment: invocation.applied(to: environment), configuration: configuration)
    guard !findings.isEmpty else { return }
    say("docker-preflight: what \(file) needs from this host, checked before docker creates its container:")
    say(ReportRenderer().renderFindings(report, of: findings), newline: false)
  }

  /// Replaces this process with the real docker CLI.
  func runDocker() -> Never {
    var environment = environment
    environment[Self.depthVariable] = String(depth + 1)
    let error = ProcessReplacement.replace(
      executable: docker, arguments: [docker] + arguments, environment: environment, keeping: inherited)
    say("docker-preflight: cannot run \(docker): \(String(cString: strerror(error)))")
    exit(ProcessReplacement.exitStatus(forFailure: error))
  }

  private static func say(_ text: String, newline: Bool = true) {
    FileHandleStream.standardError.write(newline ? text + "\n" : text)
  }

  private func say(_ text: String, newline: Bool = true) { Self.say(text, newline: newline) }
}
