import JSON
import Logging

/// A JSON-RPC 2.0 endpoint over a byte stream, with the Language Server Protocol's framing and lifecycle.
///
/// It reads messages, answers each request from its ``MethodTable`` (concurrently, each in its own task unless the
/// method is immediate), tracks requests in flight so that `$/cancelRequest` can cancel them, and answers in the
/// framing the client chose. It knows nothing of what the methods do.
public actor JSONRPCConnection {
  public struct Options: Sendable {
    /// Largest message accepted, in bytes, and deepest nesting; larger or deeper ones are answered with an error.
    public var limits: JSONLimits
    public var serverName: String
    /// Whether requests still in flight when the input ends are cancelled (answered `-32800`) rather than awaited.
    /// Asked of the client's `initialize` params (`nil` when it sent none), so that a client can choose.
    public var cancelsInFlightAtEndOfInput: @Sendable (_ initializeParams: JSONValue?) -> Bool
    /// Requests running at once; a request beyond it is answered ``ResponseError/serverBusyCode`` at once, so that
    /// a flood of requests costs an error each instead of a task each.
    public var maxRequestsInFlight: Int
    /// Members of one batch; a longer batch is answered with one `-32600`, since every member would cost a response.
    public var maxBatchLength: Int
    public init(
      limits: JSONLimits = .default, serverName: String = "jsonrpc",
      cancelsInFlightAtEndOfInput: @escaping @Sendable (_ initializeParams: JSONValue?) -> Bool = { _ in false },
      maxRequestsInFlight: Int = 128, maxBatchLength: Int = 128
    ) {
      self.limits = limits
      self.serverName = serverName
      self.cancelsInFlightAtEndOfInput = cancelsInFlightAtEndOfInput
      self.maxRequestsInFlight = maxRequestsInFlight
      self.maxBatchLength = maxBatchLength
    }
  }

  /// How ``run(input:)`` ended.
  public enum Ending: Sendable, Equatable {
    /// The input ended; requests in flight were answered (or cancelled, if the client asked for that).
    case endOfInput
    /// The client sent `exit`; `afterShutdown` tells whether `shutdown` came first.
    case exit(afterShutdown: Bool)

    /// The process exit status LSP prescribes: 0, except 1 for `exit` without `shutdown`.
    public var exitStatus: Int32 {
      if case .exit(afterShutdown: false) = self { return 1 }
      return 0
    }
  }

  enum Lifecycle { case running, shutDown, exited }

  private struct InFlight {
    var task: Task<Void, Never>
    var cancelled = false
  }

  private let methods: MethodTable
  private let output: any MessageOutput
  private let options: Options
  private let logger: Logger
  private var splitter: MessageSplitter
  private var lifecycle = Lifecycle.running
  private var outbox: [UInt8] = []
  /// A flush is handing the outbox to the output; later flushes wait for it to take everything.
  private var writing = false
  private var flushWaiters: [CheckedContinuation<Void, Never>] = []
  private var inFlight: [RequestID: InFlight] = [:]
  private var idleWaiters: [CheckedContinuation<Void, Never>] = []
  private var outgoing: [RequestID: CheckedContinuation<JSONValue, any Error>] = [:]
  private var nextOutgoingID: Int64 = 1
  private(set) var initializeParams: JSONValue?
  private var initialized = false
  private var ending: Ending?
  /// The client's input has ended: it can no longer answer requests from the server.
  private var inputEnded = false

  public init(methods: MethodTable, output: any MessageOutput, options: Options = Options(), logger: Logger) {
    self.methods = methods
    self.output = output
    self.options = options
    self.logger = logger
    self.splitter = MessageSplitter(maxMessageBytes: options.limits.maxBytes)
  }

  /// The channel handlers use to reach the client.
  public nonisolated var client: ClientChannel { ClientChannel(connection: self) }

  /// The framing detected from the client's first bytes.
  public var framing: Framing? { splitter.framing }

  /// Serves until the client sends `exit` or the input ends.
  public func run(input: some AsyncSequence<[UInt8], Never>) async -> Ending {
    for await chunk in input {
      splitter.append(chunk)
      while ending == nil, let event = splitter.next() { handle(event) }
      await flushOutbox()
      if let ending { return await finish(ending) }
    }
    if let event = splitter.finish() { handle(event) }
    // A request waiting for the client's answer would wait forever: fail it so that its request can finish.
    inputEnded = true
    failOutgoing("the client closed its input and cannot answer")
    await flushOutbox()
    if options.cancelsInFlightAtEndOfInput(initializeParams) { cancelAll() }
    while !inFlight.isEmpty {
      await withCheckedContinuation { idleWaiters.append($0) }
    }
    return await finish(.endOfInput)
  }

  /// Cancels every request in flight (for callers that want EOF or a signal to stop work early).
  public func cancelAll() {
    for id in inFlight.keys { inFlight[id]?.cancelled = true; inFlight[id]?.task.cancel() }
  }

  /// Cancels every request in flight and returns once each has answered (`-32800`) and the output is flushed: for a
  /// server that must stop (a signal) without leaving a request unanswered or a message half written. Reading stops
  /// mattering: the caller exits.
  public func interrupt() async {
    lifecycle = .shutDown
    cancelAll()
    while !inFlight.isEmpty {
      await withCheckedContinuation { idleWaiters.append($0) }
    }
    await flushOutbox()
    await output.flush()
  }

  private func finish(_ ending: Ending) async -> Ending {
    if case .exit = ending { cancelAll() }
    lifecycle = .exited
    failOutgoing("the client went away")
    await flushOutbox()
    await output.flush()
    return ending
  }

  // MARK: - Incoming

  private func handle(_ event: MessageSplitter.Event) {
    switch event {
    case .message(let bytes):
      handleBody(bytes)
    case .oversized(let size, let limit):
      if size > splitter.maxSkippableBytes {
        logger.warning("refused a Content-Length of \(size) bytes, too long to skip; looking for the next header")
      } else {
        logger.warning("skipped a message of \(size) bytes (limit \(limit))")
      }
      enqueue(
        .response(
          id: .null,
          result: .failure(
            .invalidRequest(
              "message of \(size) bytes exceeds the limit of \(limit) bytes",
              data: ["size": .int(Int64(size)), "limit": .int(Int64(limit))]))))
    case .malformedHeader(let reason):
      logger.warning("malformed header block: \(reason); skipping to the next Content-Length header")
      enqueue(.response(id: .null, result: .failure(.parseError("malformed header: \(reason)"))))
    case .truncated(let reason):
      logger.warning("\(reason)")
      enqueue(.response(id: .null, result: .failure(.parseError(reason))))
    }
  }

  private func handleBody(_ bytes: [UInt8]) {
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes, limits: options.limits)
    } catch {
      enqueue(.response(id: .null, result: .failure(.parseError(error.description))))
      return
    }
    guard case .array(let elements) = value else {
      dispatch(value) { connection, response in
        if let response { connection.enqueue(response) }
      }
      return
    }
    guard !elements.isEmpty else {
      enqueue(.response(id: .null, result: .failure(.invalidRequest("an empty batch is not a request"))))
      return
    }
    guard elements.count <= options.maxBatchLength else {
      let limit = options.maxBatchLength
      enqueue(
        .response(
          id: .null,
          result: .failure(
            .invalidRequest(
              "a batch of \(elements.count) messages exceeds the limit of \(limit)",
              data: ["length": .int(Int64(elements.count)), "limit": .int(Int64(limit))]))))
      return
    }
    let batch = Batch(count: elements.count)
    for (index, element) in elements.enumerated() {
      dispatch(element) { connection, response in
        batch.fill(index, with: response)
        if let responses = batch.completed { connection.sendBatch(responses) }
      }
    }
  }

  /// Handles one message. `respond` receives the response owed, now or when the request completes; it is called
  /// with `nil` for messages that are not answered (notifications, responses), so that batches can count.
  private func dispatch(_ value: JSONValue, respond: @escaping @Sendable (isolated JSONRPCConnection, Message?) -> Void) {
    let message: Message
    do {
      message = try Message(value)
    } catch where error.isResponse {
      // An answer would reach the client as the response to its own request with that id.
      logger.warning("ignored an invalid response from the client: \(error.error.message)")
      respond(self, nil)
      return
    } catch {
      respond(self, .response(id: error.id, result: .failure(error.error)))
      return
    }
    switch message {
    case .request(let id, let method, let params):
      startRequest(id: id, method: method, params: params, respond: respond)
    case .notification(let method, let params):
      handleNotification(method: method, params: params)
      respond(self, nil)
    case .response(let id, let result):
      handleResponse(id: id, result: result)
      respond(self, nil)
    }
  }

  private func startRequest(
    id: RequestID, method: String, params: JSONValue?,
    respond: @escaping @Sendable (isolated JSONRPCConnection, Message?) -> Void
  ) {
    func answer(_ result: Result<JSONValue, ResponseError>) { respond(self, .response(id: id, result: result)) }
    guard lifecycle == .running else {
      return answer(.failure(.invalidRequest("the server is shutting down: no requests after shutdown")))
    }
    guard inFlight[id] == nil else {
      return answer(.failure(.invalidRequest("request id \(id.excerpt) is already in use by a request in flight")))
    }
    switch method {
    case "shutdown":
      lifecycle = .shutDown
      return answer(.success(.null))
    case "initialize" where initialized:
      return answer(.failure(.invalidRequest("initialize may be sent only once")))
    case "initialize":
      // Taken back if initialize fails, so that a client can send it again with better params.
      initialized = true
      initializeParams = params
    default: break
    }
    let context = RequestContext(id: id, method: method, params: params, client: client)
    switch methods.entries[method] {
    case .immediateRequest(let handler)?:
      let result = Result { try handler(context) }.mapError(Self.responseError)
      if method == "initialize", case .failure = result { forgetInitialize() }
      answer(result)
    case .request(let start)?:
      let work: @Sendable () async throws -> JSONValue
      do {
        work = try start(context)
        // Only work that would take a task counts: what is answered in line costs nothing to hold.
        guard inFlight.count < options.maxRequestsInFlight else {
          throw ResponseError.serverBusy(requestsInFlight: options.maxRequestsInFlight)
        }
      } catch {
        if method == "initialize" { forgetInitialize() }
        return answer(.failure(Self.responseError(error)))
      }
      let task = Task {
        let result: Result<JSONValue, ResponseError>
        do {
          result = .success(try await work())
        } catch {
          result = .failure(Self.responseError(error))
        }
        await self.complete(id: id, method: method, result: result, respond: respond)
      }
      inFlight[id] = InFlight(task: task)
    case .notification?, nil:
      answer(.failure(.methodNotFound(method)))
    }
  }

  private func complete(
    id: RequestID, method: String, result: Result<JSONValue, ResponseError>,
    respond: @Sendable (isolated JSONRPCConnection, Message?) -> Void
  ) async {
    let cancelled = inFlight.removeValue(forKey: id)?.cancelled ?? false
    if method == "initialize", case .failure = result { forgetInitialize() }
    var result = result
    if cancelled, case .failure = result { result = .failure(.cancelled) }
    respond(self, .response(id: id, result: result))
    await flushOutbox()
    if inFlight.isEmpty {
      let waiters = idleWaiters
      idleWaiters.removeAll()
      for waiter in waiters { waiter.resume() }
    }
  }

  private func forgetInitialize() {
    initialized = false
    initializeParams = nil
  }

  private static func responseError(_ error: any Error) -> ResponseError {
    switch error {
    case let error as ResponseError: error
    case is CancellationError: .cancelled
    default: .internalError("\(error)")
    }
  }

  private func handleNotification(method: String, params: JSONValue?) {
    switch method {
    case "exit":
      ending = .exit(afterShutdown: lifecycle == .shutDown)
      return
    case "$/cancelRequest":
      guard let raw = params?["id"], let id = RequestID(raw), inFlight[id] != nil else {
        logger.debug("$/cancelRequest for a request not in flight: \(params?["id"]?.description.excerpt() ?? "no id")")
        return
      }
      inFlight[id]?.cancelled = true
      inFlight[id]?.task.cancel()
      return
    default: break
    }
    guard lifecycle == .running else { return }
    guard case .notification(let handler)? = methods.entries[method] else {
      logger.debug("ignored notification \(method.excerpt())")
      return
    }
    let context = NotificationContext(method: method, params: params, client: client)
    Task { await handler(context) }
  }

  private func handleResponse(id: RequestID, result: Result<JSONValue, ResponseError>) {
    guard let waiter = outgoing.removeValue(forKey: id) else {
      logger.warning("ignored a response to id \(id.excerpt), which this server never sent or no longer waits for")
      return
    }
    waiter.resume(with: result.mapError { $0 as any Error })
  }

  // MARK: - Outgoing

  func send(_ message: Message) async {
    enqueue(message)
    await flushOutbox()
  }

  private func sendBatch(_ responses: [Message]) {
    guard !responses.isEmpty else { return }
    let value = JSONValue.array(responses.map(\.json))
    (splitter.framing ?? .contentLength).frame(value.serialized(), into: &outbox)
  }

  func sendRequest(method: String, params: JSONValue?) async throws -> JSONValue {
    guard lifecycle != .exited else { throw ResponseError.internalError("the client went away") }
    guard !inputEnded else { throw ResponseError.internalError("the client closed its input and cannot answer") }
    let id = RequestID.number(nextOutgoingID)
    nextOutgoingID += 1
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        outgoing[id] = continuation
        enqueue(.request(id: id, method: method, params: params))
        Task { await self.flushOutbox() }
      }
    } onCancel: {
      Task { await self.abandon(id) }
    }
  }

  private func failOutgoing(_ reason: String) {
    let waiters = outgoing
    outgoing.removeAll()
    for (_, waiter) in waiters { waiter.resume(throwing: ResponseError.internalError(reason)) }
  }

  private func abandon(_ id: RequestID) {
    outgoing.removeValue(forKey: id)?.resume(throwing: CancellationError())
  }

  private func enqueue(_ message: Message) {
    (splitter.framing ?? .contentLength).frame(message.json.serialized(), into: &outbox)
  }

  /// Hands what is queued to the output, in order, and returns once it has been taken (so that a producer feels
  /// the output's backpressure). One writer at a time: `output.write` runs off the actor, so two writers would race
  /// and could put a response before an error that was queued first, or a response before its progress.
  private func flushOutbox() async {
    if writing {
      await withCheckedContinuation { flushWaiters.append($0) }
      return
    }
    writing = true
    while !outbox.isEmpty {
      let bytes = outbox
      outbox.removeAll(keepingCapacity: true)
      await output.write(bytes)
    }
    writing = false
    let waiters = flushWaiters
    flushWaiters.removeAll()
    for waiter in waiters { waiter.resume() }
  }
}

/// Collects the responses of one batch, in the batch's order, until every member has been answered.
private final class Batch: @unchecked Sendable {
  // Touched only on the connection's actor.
  private var slots: [Message??]
  private var remaining: Int

  init(count: Int) {
    slots = Array(repeating: nil, count: count)
    remaining = count
  }

  func fill(_ index: Int, with response: Message?) {
    slots[index] = .some(response)
    remaining -= 1
  }

  /// The responses once every member has been answered; notifications leave no trace.
  var completed: [Message]? {
    remaining == 0 ? slots.compactMap { $0 ?? nil } : nil
  }
}
