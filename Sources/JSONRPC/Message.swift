import JSON

/// One JSON-RPC 2.0 message, as received or sent.
public enum Message: Sendable, Equatable {
  case request(id: RequestID, method: String, params: JSONValue?)
  case notification(method: String, params: JSONValue?)
  case response(id: RequestID, result: Result<JSONValue, ResponseError>)

  /// Reads a message from a parsed JSON value.
  ///
  /// Throws the `-32600` error to answer, with the id when the message carried a usable one. `params: null` is
  /// taken as absent (pygls sends it with `shutdown` and `exit`); any other non-structured `params` is refused.
  /// A message without `method` but with `result` or `error` is a response, and an invalid one says so
  /// (``InvalidMessage/isResponse``): it must not be answered.
  public init(_ value: JSONValue) throws(InvalidMessage) {
    guard case .object(let object) = value else {
      throw InvalidMessage(id: .null, error: .invalidRequest("a message must be a JSON object, not \(value.typeName)"))
    }
    let rawID = object["id"]
    let id = rawID.flatMap(RequestID.init)
    let isResponse = object["method"] == nil && (object["result"] != nil || object["error"] != nil)
    func invalid(_ message: String) -> InvalidMessage {
      InvalidMessage(id: id ?? .null, error: .invalidRequest(message), isResponse: isResponse)
    }
    guard object["jsonrpc"] == .string("2.0") else { throw invalid(#""jsonrpc" must be "2.0""#) }
    if let rawID, id == nil { throw invalid(#""id" must be a string, an integer or null, not \#(rawID.typeName)"#) }

    if let method = object["method"] {
      guard case .string(let name) = method else { throw invalid(#""method" must be a string"#) }
      var params = object["params"]
      switch params {
      case nil, .null?: params = nil
      case .object?, .array?: break
      case let other?: throw invalid(#""params" must be an object or an array, not \#(other.typeName)"#)
      }
      self = id.map { .request(id: $0, method: name, params: params) } ?? .notification(method: name, params: params)
      return
    }
    guard let id else { throw invalid(#"a message needs "method" (request or notification) or "id" (response)"#) }
    switch (object["result"], object["error"]) {
    case (let result?, nil):
      self = .response(id: id, result: .success(result))
    case (nil, let error?):
      guard let code = error["code"]?.intValue, let message = error["message"]?.stringValue else {
        throw invalid(#"a response's "error" needs an integer "code" and a string "message""#)
      }
      self = .response(id: id, result: .failure(ResponseError(code: Int(code), message: message, data: error["data"])))
    default:
      throw invalid(#"a response needs exactly one of "result" and "error""#)
    }
  }

  public var json: JSONValue {
    var object: JSONObject = ["jsonrpc": "2.0"]
    switch self {
    case .request(let id, let method, let params):
      object["id"] = id.json
      object["method"] = .string(method)
      if let params { object["params"] = params }
    case .notification(let method, let params):
      object["method"] = .string(method)
      if let params { object["params"] = params }
    case .response(let id, let result):
      object["id"] = id.json
      switch result {
      case .success(let value): object["result"] = value
      case .failure(let error): object["error"] = error.json
      }
    }
    return .object(object)
  }
}

/// A message that is JSON but not a valid JSON-RPC message; `error` is the answer owed to `id`, unless the message
/// is a response.
public struct InvalidMessage: Error, Sendable, Equatable {
  public var id: RequestID
  public var error: ResponseError
  /// The message has `result` or `error` and no `method`: a response, which is never answered (an answer would
  /// reach the client as the response to its own request with the same id).
  public var isResponse: Bool

  public init(id: RequestID, error: ResponseError, isResponse: Bool = false) {
    self.id = id
    self.error = error
    self.isResponse = isResponse
  }
}
