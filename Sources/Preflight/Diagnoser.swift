import EngineKit

/// Runs the checks against one endpoint and builds the ``HealthReport``.
///
/// An engine that cannot be reached is a finding, not a failure: the report says why and what to do.
public struct Diagnoser: Sendable {
  public var endpoint: Endpoint
  public var options: DiagnoseOptions
  public var checks: [any DiagnosticCheck]

  public init(endpoint: Endpoint, options: DiagnoseOptions = DiagnoseOptions(), checks: [any DiagnosticCheck]? = nil) {
    self.endpoint = endpoint
    self.options = options
    self.checks = checks ?? (Self.standardChecks + (options.devContainer != nil ? DevContainerPreflight.checks : []))
  }

  /// Every check, in the order they run: later checks rely on what earlier ones found.
  public static var standardChecks: [any DiagnosticCheck] {
    [
      EndpointCheck(),
      ConnectivityCheck(),
      SocketCheck(),
      WSLCheck(),
      ProviderCheck(),
      DockerDesktopCheck(),
      APIVersionCheck(),
      DiskSpaceCheck(),
      SmokeCheck(),
    ]
  }

  /// What ready means: the endpoint, and the engine answering `_ping` as an engine does (the docker CLI's own test
  /// before each command).
  public static var readinessChecks: [any DiagnosticCheck] { [EndpointCheck(), ConnectivityCheck(asksVersion: false)] }

  /// What the checks read of the engine beside `_ping`.
  public var questions: EngineProbe.Questions { Self.questions(of: checks) }

  /// What the standard checks read of the engine beside `_ping`.
  public static var standardQuestions: EngineProbe.Questions { questions(of: standardChecks) }

  private static func questions(of checks: [any DiagnosticCheck]) -> EngineProbe.Questions {
    checks.reduce(into: []) { $0.formUnion($1.questions) }
  }

  /// Diagnoses; `probe` is the engine's answers when they were asked for already (it must ask like this diagnosis
  /// would, see ``EngineProbe/asks(like:)``), else they are asked for now, all at once.
  public func diagnose(probe: EngineProbe? = nil) async -> HealthReport {
    let clock = ContinuousClock()
    let started = clock.now
    let probe = probe ?? EngineProbe.start(options.client(for: endpoint), asking: questions)
    defer { probe.cancel() }
    var state = DiagnosisState(endpoint: endpoint, options: options, probe: probe)
    // Host-only checks first: their work overlaps the engine's answering instead of following it.
    let order = checks.indices.filter { checks[$0].readsHostOnly } + checks.indices.filter { !checks[$0].readsHostOnly }
    var outcomes = [(check: HealthReport.Check, issues: [HealthReport.Issue])?](repeating: nil, count: checks.count)
    for index in order {
      let checkStarted = clock.now
      let result = await checks[index].run(&state)
      outcomes[index] = (
        HealthReport.Check(
          id: checks[index].id, status: result.status, summary: result.summary,
          durationMs: (clock.now - checkStarted).milliseconds),
        result.issues
      )
    }
    let results = outcomes.map { $0!.check }
    let issues = outcomes.flatMap { $0!.issues }

    let status: HealthReport.Status
    if state.isReachable {
      status = results.contains { $0.status == .fail } ? .degraded : .ready
    } else {
      status =
        state.hung != nil ? .hung : state.connectionError?.kind == .engineStarting ? .starting : .unreachable
    }
    let engine = state.version.map { version in
      HealthReport.EngineInfo(
        product: version.product, version: version.version, apiVersion: version.apiVersion,
        minApiVersion: version.minAPIVersion, os: version.os, arch: version.arch)
    }
    return HealthReport(
      timestamp: currentTimestamp(),
      healthy: status == .ready,
      status: status,
      endpoint: .init(host: endpoint.host, source: endpoint.source.description, transport: endpoint.transportName),
      engine: engine,
      provider: state.provider,
      dockerDesktopRunning: state.dockerDesktopRunning,
      daemonAccessible: state.isReachable,
      wsl2Status: state.wsl2Status,
      checks: results,
      issues: issues,
      recommendations: issues.map(\.recommendation),
      durationMs: (clock.now - started).milliseconds)
  }
}

extension Endpoint {
  /// `unix`, `tcp`, `tcp+tls`, `ssh`, `npipe`.
  public var transportName: String {
    if case .tcp = transport, tls != nil { return "tcp+tls" }
    return transport.name
  }
}
