import JSON

/// The way back to the client, for handlers: notifications, server-to-client requests, and what the client said
/// about itself in `initialize`.
public struct ClientChannel: Sendable {
  let connection: JSONRPCConnection

  /// LSP's `MessageType`.
  public enum LogLevel: Int, Sendable {
    case error = 1, warning, info, log
  }

  public func notify(_ method: String, params: JSONValue?) async {
    await connection.send(.notification(method: method, params: params))
  }

  /// Sends a request to the client and waits for its answer. Cancelling the calling task stops the wait.
  public func request(_ method: String, params: JSONValue?) async throws -> JSONValue {
    try await connection.sendRequest(method: method, params: params)
  }

  /// `window/logMessage`.
  public func log(_ level: LogLevel, _ message: String) async {
    await notify("window/logMessage", params: ["type": .int(Int64(level.rawValue)), "message": .string(message)])
  }

  /// The params of the client's `initialize`, if it sent one.
  public var initializeParams: JSONValue? {
    get async { await connection.initializeParams }
  }
}
