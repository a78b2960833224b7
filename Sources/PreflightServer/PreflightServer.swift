import EngineKit
import JSON
import JSONRPC
import Preflight

/// Maps the protocol's methods (protocol/README.md) onto the `Preflight` domain.
public struct PreflightServer: Sendable {
  /// How endpoints are found when a request does not name one: the server's own flags and environment.
  public var resolver: EndpointResolver
  /// The merged configuration (file and environment) the server started with.
  public var configuration: PreflightConfiguration
  /// How a heal confirms readiness after each step; the event-driven wait (``WaitingReadiness``) by default.
  public var readiness: (any ReadinessChecking)?
  /// What `waitReady {heal: true}` and `watch {recover: true}` heal with instead of the ``Healer`` (tests).
  public var healer: (any EngineHealing)?
  /// The session's watch, if any.
  let watches = WatchRegistry()

  public init(
    resolver: EndpointResolver, configuration: PreflightConfiguration = PreflightConfiguration(),
    readiness: (any ReadinessChecking)? = nil, healer: (any EngineHealing)? = nil
  ) {
    self.resolver = resolver
    self.configuration = configuration
    self.readiness = readiness
    self.healer = healer
  }

  public var methods: MethodTable {
    var table = MethodTable()
    table.request("diagnose", params: DiagnoseParams.self) { params, context in
      try await diagnose(params, context)
    }
    table.request("heal", params: HealParams.self) { params, context in
      try await heal(params, context)
    }
    table.request("waitReady", params: WaitReadyParams.self) { params, context in
      try await waitReady(params, context)
    }
    table.request("watch", params: WatchParams.self) { params, context in
      try await watch(params, context)
    }
    table.request("explain", params: ExplainParams.self) { params, context in
      try await explain(params, context)
    }
    table.request("unwatch") { _ in
      await unwatch()
    }
    let advertised = table.requestMethods
    table.immediateRequest("initialize") { context in
      _ = try context.decodeParams(InitializeParams.self)
      return try JSONValueEncoder().encode(InitializeResult(methods: advertised))
    }
    table.notification("initialized") { _ in }
    return table
  }

  /// The Diagnoser for `endpoint` with the server's environment and configuration: what `waitReady` and `watch`
  /// report with.
  func diagnoser(for endpoint: Endpoint) -> Diagnoser {
    var options = DiagnoseOptions(host: HostEnvironment(environment: resolver.environment))
    options.applyDefaults(from: configuration)
    return Diagnoser(endpoint: endpoint, options: options)
  }

  /// Ends what the session left running (its watch); call it once the connection has ended.
  public func endSession() async {
    await watches.stop()
  }

  /// Whether the client asked, in `initialize`, that requests still in flight at the end of its input be cancelled
  /// (`initializationOptions.cancelOnEndOfInput: true`) rather than awaited.
  @Sendable public static func cancelsInFlightAtEndOfInput(_ initializeParams: JSONValue?) -> Bool {
    initializeParams?["initializationOptions"]?["cancelOnEndOfInput"]?.boolValue == true
  }

  /// Resolves the endpoint a request means: its own `host` or `context` (as `-H` and `--context` would), or the
  /// server's configuration. A bad `host` or `context` is the request's fault; bad configuration is not.
  func endpoint(host: String?, context: String? = nil) throws(ResponseError) -> Endpoint {
    var resolver = resolver
    if host != nil || context != nil {
      resolver.hostFlag = host
      resolver.contextFlag = context
    }
    do {
      return try resolver.resolve()
    } catch {
      if host != nil || context != nil { throw .invalidParams(error.description) }
      throw ServerError.configuration(error.description)
    }
  }
}

/// The longest a request may ask to wait or to wait between checks: an hour. Longer is a `-32602` error, since a
/// request that may run for days keeps `serve` from ending when its input does.
let maxTimeoutMs = 3_600_000

/// A request's duration field (`timeoutMs`, `intervalMs`, …), checked: within `range` (milliseconds, positive
/// unless said otherwise); `nil` when absent.
func requestTimeout(
  milliseconds: Int?, field: String = "timeoutMs", method: String, range: ClosedRange<Int> = 1...maxTimeoutMs
) throws(ResponseError) -> Duration? {
  guard let milliseconds else { return nil }
  guard range.contains(milliseconds) else {
    throw .invalidParams(
      "invalid params for \(method): \(field): \(milliseconds) is not between \(range.lowerBound) and \(range.upperBound)")
  }
  return .milliseconds(milliseconds)
}

/// Domain error codes, in the range JSON-RPC leaves to applications (protocol/README.md lists them).
enum ServerError {
  static let engineUnreachableCode = -32001
  static let configurationCode = -32002
  static let healNotPermittedCode = -32010

  /// `-32001` with the outcome (`{ready, elapsedMs, report, heal?}`) as `data`; or `-32010` when a heal was refused
  /// for want of consent, its `data` that of `heal`'s (`{plan, report, consent}`) with the outcome's fields added.
  static func notReady(_ outcome: ReadinessOutcome, message: String) -> ResponseError {
    var data = (try? JSONValueEncoder().encode(outcome).objectValue) ?? [:]
    guard let heal = outcome.heal, heal.status == .notPermitted else {
      return ResponseError(code: engineUnreachableCode, message: message, data: .object(data))
    }
    let notPermitted = try? JSONValueEncoder().encode(HealNotPermittedData(plan: heal.plan, report: outcome.report))
    for (key, value) in notPermitted?.objectValue ?? [:] { data[key] = value }
    return ResponseError(code: healNotPermittedCode, message: heal.message, data: .object(data))
  }

  static func configuration(_ message: String) -> ResponseError {
    ResponseError(code: configurationCode, message: message)
  }
}
