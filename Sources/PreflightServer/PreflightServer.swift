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
  /// How a heal confirms readiness after each step; the default diagnoses with a short back-off.
  public var readiness: (any ReadinessChecking)?

  public init(
    resolver: EndpointResolver, configuration: PreflightConfiguration = PreflightConfiguration(),
    readiness: (any ReadinessChecking)? = nil
  ) {
    self.resolver = resolver
    self.configuration = configuration
    self.readiness = readiness
  }

  public var methods: MethodTable {
    var table = MethodTable()
    table.request("diagnose", params: DiagnoseParams.self) { params, context in
      try await diagnose(params, context)
    }
    table.request("heal", params: HealParams.self) { params, context in
      try await heal(params, context)
    }
    let advertised = table.requestMethods
    table.immediateRequest("initialize") { _ in
      try JSONValueEncoder().encode(InitializeResult(methods: advertised))
    }
    table.notification("initialized") { _ in }
    return table
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

/// Domain error codes, in the range JSON-RPC leaves to applications (protocol/README.md lists them).
enum ServerError {
  static let engineUnreachableCode = -32001
  static let configurationCode = -32002
  static let healNotPermittedCode = -32010

  static func configuration(_ message: String) -> ResponseError {
    ResponseError(code: configurationCode, message: message)
  }
}
