import JSON

/// A JSON-RPC error object: what a request answers when it fails.
public struct ResponseError: Error, Sendable, Equatable, CustomStringConvertible {
  public var code: Int
  public var message: String
  public var data: JSONValue?

  public init(code: Int, message: String, data: JSONValue? = nil) {
    self.code = code
    self.message = message
    self.data = data
  }

  public var json: JSONValue {
    var object: JSONObject = ["code": .int(Int64(code)), "message": .string(message)]
    if let data { object["data"] = data }
    return .object(object)
  }

  public var description: String { "\(code): \(message)" }

  public static let parseErrorCode = -32700
  public static let invalidRequestCode = -32600
  public static let methodNotFoundCode = -32601
  public static let invalidParamsCode = -32602
  public static let internalErrorCode = -32603
  public static let requestCancelledCode = -32800
  /// Too many requests in flight: implementation-defined, in JSON-RPC's range for server errors.
  public static let serverBusyCode = -32000

  public static func parseError(_ message: String, data: JSONValue? = nil) -> ResponseError {
    ResponseError(code: parseErrorCode, message: message, data: data)
  }
  public static func invalidRequest(_ message: String, data: JSONValue? = nil) -> ResponseError {
    ResponseError(code: invalidRequestCode, message: message, data: data)
  }
  public static func methodNotFound(_ method: String) -> ResponseError {
    ResponseError(code: methodNotFoundCode, message: "method not found: \(method.excerpt())")
  }
  public static func invalidParams(_ message: String) -> ResponseError {
    ResponseError(code: invalidParamsCode, message: message)
  }
  public static func internalError(_ message: String) -> ResponseError {
    ResponseError(code: internalErrorCode, message: message)
  }
  public static func serverBusy(requestsInFlight limit: Int) -> ResponseError {
    ResponseError(
      code: serverBusyCode, message: "\(limit) requests are in flight, the most this server runs at once: send it again later",
      data: ["limit": .int(Int64(limit))])
  }
  public static let cancelled = ResponseError(code: requestCancelledCode, message: "request cancelled")
}
