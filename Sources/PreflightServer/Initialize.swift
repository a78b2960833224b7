import JSON
import Preflight

/// `initialize` params: the fields of LSP's `InitializeParams` that a client may send, all optional (scripts send
/// none). Their values are not used, but their types are checked, so that a client with a bug hears of it; unknown
/// fields are ignored. Where an object is expected, `[]` is an empty object (Lua and PHP clients encode `{}` so), and
/// a `clientInfo` without members (`{}` or `[]`) counts as absent: it names no client, so it cannot lack a name.
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

  enum CodingKeys: String, CodingKey {
    case processId, clientInfo, locale, rootPath, rootUri, capabilities, initializationOptions, trace, workspaceFolders
  }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    processId = try container.decodeIfPresent(Int.self, forKey: .processId)
    let emptyClientInfo =
      try container.decodeIfPresent(JSONValue.self, forKey: .clientInfo)?
      .objectValueAllowingEmptyArray?.isEmpty == true
    clientInfo = emptyClientInfo ? nil : try container.decodeIfPresent(ClientInfo.self, forKey: .clientInfo)
    locale = try container.decodeIfPresent(String.self, forKey: .locale)
    rootPath = try container.decodeIfPresent(String.self, forKey: .rootPath)
    rootUri = try container.decodeIfPresent(String.self, forKey: .rootUri)
    capabilities = try container.decodeIfPresent([String: JSONValue].self, forKey: .capabilities)
    initializationOptions = try container.decodeIfPresent(JSONValue.self, forKey: .initializationOptions)
    trace = try container.decodeIfPresent(Trace.self, forKey: .trace)
    workspaceFolders = try container.decodeIfPresent([WorkspaceFolder].self, forKey: .workspaceFolders)
  }
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
