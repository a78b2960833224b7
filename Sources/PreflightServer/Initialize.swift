import JSON
import Preflight

/// `initialize` params: the fields of LSP's `InitializeParams` that a client may send, all optional (scripts send
/// none). Their values are not used, but their types are checked, so that a client with a bug hears of it; unknown
/// fields are ignored.
struct InitializeParams: Decodable, Sendable {
  struct ClientInfo: Decodable, Sendable {
    var name: String
    var version: String?
  }
  struct WorkspaceFolder: Decodable, Sendable {
    var uri: String
    var name: String
  }
  enum Trace: String, Decodable, Sendable {
    case off, messages, verbose
  }

  var processId: Int?
  var clientInfo: ClientInfo?
  var locale: String?
  var rootPath: String?
  var rootUri: String?
  var capabilities: [String: JSONValue]?
  var initializationOptions: JSONValue?
  var trace: Trace?
  var workspaceFolders: [WorkspaceFolder]?
}

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
