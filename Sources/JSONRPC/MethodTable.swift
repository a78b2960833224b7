import JSON

/// The methods a server answers: a name, and what runs when a message with that name arrives.
public struct MethodTable: Sendable {
  public typealias RequestHandler = @Sendable (RequestContext) async throws -> JSONValue
  /// Checks a request in line (its params, above all) and returns the work to run in a task of its own: a request
  /// refused at this stage is answered at once and never counts as in flight.
  typealias RequestStarter = @Sendable (RequestContext) throws -> @Sendable () async throws -> JSONValue
  public typealias ImmediateRequestHandler = @Sendable (RequestContext) throws -> JSONValue
  public typealias NotificationHandler = @Sendable (NotificationContext) async -> Void

  enum Entry: Sendable {
    /// Runs in a task of its own, concurrently with everything else, and can be cancelled.
    case request(RequestStarter)
    /// Cheap and synchronous: answered in line, without a task (initialize, capability queries).
    case immediateRequest(ImmediateRequestHandler)
    case notification(NotificationHandler)
  }

  var entries: [String: Entry] = [:]

  public init() {}

  /// The request methods, sorted: what `initialize` can advertise.
  public var requestMethods: [String] {
    entries.compactMap { name, entry in
      if case .notification = entry { return nil }
      return name
    }.sorted()
  }

  public mutating func request(_ method: String, _ handler: @escaping RequestHandler) {
    entries[method] = .request { context in { try await handler(context) } }
  }

  public mutating func immediateRequest(_ method: String, _ handler: @escaping ImmediateRequestHandler) {
    entries[method] = .immediateRequest(handler)
  }

  public mutating func notification(_ method: String, _ handler: @escaping NotificationHandler) {
    entries[method] = .notification(handler)
  }

  /// A request whose params decode to `Params` (a `-32602` error otherwise, answered before any task starts) and
  /// whose result encodes from `Result`.
  public mutating func request<Params: Decodable & Sendable, Result: Encodable & Sendable>(
    _ method: String, params: Params.Type,
    _ handler: @escaping @Sendable (Params, RequestContext) async throws -> Result
  ) {
    entries[method] = .request { context in
      let params = try context.decodeParams(Params.self)
      return { try JSONValueEncoder().encode(try await handler(params, context)) }
    }
  }
}
