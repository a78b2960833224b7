import Preflight

/// `initialize`'s result: what the server can do and who it is.
struct InitializeResult: Codable, Sendable {
  struct Capabilities: Codable, Sendable {
    /// Every request method the server answers.
    var methods: [String]
    /// `$/progress` is sent for requests that carry a `workDoneToken`.
    var workDoneProgress = true
    /// `$/cancelRequest` cancels requests in flight.
    var cancelRequest = true
  }
  struct ServerInfo: Codable, Sendable {
    var name = PreflightVersion.name
    var version = PreflightVersion.version
  }

  var capabilities: Capabilities
  var serverInfo = ServerInfo()
  var protocolVersion = PreflightVersion.protocolVersion

  init(methods: [String]) {
    capabilities = Capabilities(methods: (methods + ["initialize", "shutdown"]).sorted())
  }
}
