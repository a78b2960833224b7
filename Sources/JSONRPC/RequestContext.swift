import JSON

/// What a request handler knows of its request, and how it talks back to the client while it runs.
public struct RequestContext: Sendable {
  public let id: RequestID
  public let method: String
  /// `nil` when the request had no params (or `null`).
  public let params: JSONValue?
  public let client: ClientChannel

  /// Decodes the params; absent params decode as `{}`, so that types whose fields are all optional accept them.
  /// A mismatch is a `-32602` error that names the field; so is a `workDoneToken` that is neither a string nor an
  /// integer (LSP's `ProgressToken`), which would otherwise be dropped without a word.
  public func decodeParams<Params: Decodable>(_ type: Params.Type) throws(ResponseError) -> Params {
    if let token = params?["workDoneToken"], !token.isNull, token.stringValue == nil, token.intValue == nil {
      throw .invalidParams("invalid params for \(method): workDoneToken: expected a string or an integer, found \(token.typeName)")
    }
    do {
      return try JSONValueDecoder().decode(type, from: params ?? .object([:]))
    } catch let error as DecodingError {
      throw .invalidParams("invalid params for \(method): \(error.readableDescription)")
    } catch {
      throw .invalidParams("invalid params for \(method): \(error)")
    }
  }

  /// A reporter for `$/progress` when the params carry a `workDoneToken` (string or integer), as in LSP.
  public var progress: ProgressReporter? {
    guard let token = params?["workDoneToken"], token.stringValue != nil || token.intValue != nil else { return nil }
    return ProgressReporter(token: token, client: client)
  }
}

/// What a notification handler knows of its notification.
public struct NotificationContext: Sendable {
  public let method: String
  public let params: JSONValue?
  public let client: ClientChannel
}

extension DecodingError {
  /// `timeoutMs: expected an integer, found string`, with the path of the offending field.
  public var readableDescription: String {
    func path(_ codingPath: [any CodingKey]) -> String {
      codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }
        .description
    }
    switch self {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      let where_ = path(context.codingPath)
      return where_.isEmpty ? context.debugDescription : "\(where_): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
      let parent = path(context.codingPath)
      return "missing \"\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)\""
    @unknown default:
      return "\(self)"
    }
  }
}
