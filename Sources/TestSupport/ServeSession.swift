import Foundation
import JSON
import JSONRPC

/// A live `docker-preflight serve` process and a JSON-RPC client for it, speaking either framing.
///
/// Messages from the server are read as they arrive; `request` sends a request and returns its response,
/// keeping the notifications and server-to-client requests that came before it in `received`.
public actor ServeSession {
  public nonisolated let child: ChildProcess
  public nonisolated let framing: Framing
  private var splitter = MessageSplitter(maxMessageBytes: 64 << 20)
  /// Messages read and not yet taken, in order.
  private var inbox: [JSONValue] = []
  private var outputEnded = false
  private var waiters: [CheckedContinuation<Void, Never>] = []
  /// Every message the server sent, in order.
  public private(set) var received: [JSONValue] = []
  private var nextID: Int64 = 1
  /// Where the session's messages are recorded for schema validation (`PREFLIGHT_PROTOCOL_CAPTURE`), if anywhere.
  private let capture: ProtocolCapture?
  /// Cuts what the test sends, raw bytes included, into messages for the capture.
  private var sentSplitter = MessageSplitter(maxMessageBytes: 64 << 20)
  /// Writes to the server happen here, off the actor: a write blocks while the server does not read, and the
  /// actor must go on reading the server's output meanwhile, or neither side would move.
  private let writer = DispatchQueue(label: "ServeSession.writer")

  /// `captured: false` keeps the session out of the schema check: for deliberately invalid input, which the
  /// check would (rightly) refuse.
  public init(
    framing: Framing, arguments: [String] = [], environment: [String: String] = PreflightBinary.cleanEnvironment(),
    captured: Bool = true
  ) throws {
    self.framing = framing
    capture = captured ? ProtocolCapture() : nil
    child = try ChildProcess(executable: PreflightBinary.path, arguments: ["serve"] + arguments, environment: environment)
    let output = child.output
    Task { [weak self] in
      for await chunk in output {
        guard let self else { return }
        await self.ingest(chunk)
      }
      await self?.endOutput()
    }
  }

  /// Frames and sends one message.
  public nonisolated func send(_ message: JSONValue) async throws {
    var bytes: [UInt8] = []
    framing.frame(message.serialized(), into: &bytes)
    try await sendRaw(bytes)
  }

  /// Sends bytes as they are, for malformed-input tests; returns once the server has taken them all. Whatever in
  /// them parses as a message is captured.
  public nonisolated func sendRaw(_ bytes: [UInt8]) async throws {
    // Recorded before it is written: the server may answer (or begin its progress) before the write returns, and
    // the capture must show a request before what it caused.
    await record(sent: bytes)
    let child = self.child
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      writer.async { continuation.resume(with: Result { try child.write(bytes) }) }
    }
  }

  public nonisolated func sendRaw(_ text: String) async throws { try await sendRaw(Array(text.utf8)) }

  private func record(sent bytes: [UInt8]) {
    guard let capture else { return }
    sentSplitter.append(bytes)
    while let event = sentSplitter.next() {
      if case .message(let body) = event, let message = try? JSONValue.parse(body) {
        capture.record(.clientToServer, message)
      }
    }
  }

  /// Sends a request with a fresh id and returns the whole response message.
  public func request(_ method: String, params: JSONValue? = nil, timeout: Duration = .seconds(30)) async throws
    -> JSONValue
  {
    let id = JSONValue.int(nextID)
    nextID += 1
    try await sendRequest(id: id, method: method, params: params)
    return try await response(to: id, timeout: timeout)
  }

  public nonisolated func sendRequest(id: JSONValue, method: String, params: JSONValue? = nil) async throws {
    var message: JSONObject = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
    if let params { message["params"] = params }
    try await send(.object(message))
  }

  public nonisolated func notify(_ method: String, params: JSONValue? = nil) async throws {
    var message: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
    if let params { message["params"] = params }
    try await send(.object(message))
  }

  /// Answers a request the server sent (`window/showMessageRequest`, …) with `result`.
  public nonisolated func respond(to request: JSONValue, result: JSONValue) async throws {
    guard let id = request["id"] else { throw ServeSessionError.timedOut("not a request: \(request)") }
    try await send(["jsonrpc": "2.0", "id": id, "result": result])
  }

  /// Waits for the next request the server sends with `method`; other messages stay in order.
  public func serverRequest(_ method: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
    try await take(timeout: timeout, what: "a \(method) request") {
      $0["method"]?.stringValue == method && $0["id"] != nil
    }
  }

  /// Waits for the response with `id`; other messages stay for ``nextMessage(timeout:)``.
  public func response(to id: JSONValue, timeout: Duration = .seconds(30)) async throws -> JSONValue {
    try await take(timeout: timeout, what: "a response to \(id)") { $0["id"] == id && $0["method"] == nil }
  }

  /// The next message from the server, in order.
  public func nextMessage(timeout: Duration = .seconds(30)) async throws -> JSONValue {
    try await take(timeout: timeout, what: "a message") { _ in true }
  }

  /// The next message that matches, leaving the others in order.
  public func take(
    timeout: Duration = .seconds(30), what: String = "a matching message", where matches: (JSONValue) -> Bool
  ) async throws -> JSONValue {
    let deadline = ContinuousClock.now + timeout
    while true {
      if let index = inbox.firstIndex(where: matches) { return inbox.remove(at: index) }
      if outputEnded { throw ServeSessionError.endOfOutput(waitingFor: what) }
      guard ContinuousClock.now < deadline else { throw ServeSessionError.timedOut("no \(what) within \(timeout)") }
      await waitForInput(until: deadline)
    }
  }

  /// Closes the server's stdin (after the writes already queued) and returns its exit status; what it sent until
  /// then stays readable.
  public func finish(timeout: Duration = .seconds(30)) async throws -> Int32 {
    let child = self.child
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      writer.async { continuation.resume(with: Result { try child.closeInput() }) }
    }
    return try await exitStatus(timeout: timeout)
  }

  /// The exit status, once the server has exited on its own.
  public func exitStatus(timeout: Duration = .seconds(30)) async throws -> Int32 {
    guard let status = await child.exitStatus(within: timeout) else {
      await child.terminate()
      throw ServeSessionError.timedOut("the server did not exit within \(timeout)")
    }
    let deadline = ContinuousClock.now + timeout
    while !outputEnded && ContinuousClock.now < deadline { await waitForInput(until: deadline) }
    return status
  }

  /// Messages read but not yet taken.
  public func drainInbox() -> [JSONValue] {
    defer { inbox.removeAll() }
    return inbox
  }

  private func ingest(_ chunk: [UInt8]) {
    splitter.append(chunk)
    while let event = splitter.next() {
      guard case .message(let body) = event, let message = try? JSONValue.parse(body, limits: JSONLimits(maxBytes: 64 << 20))
      else {
        received.append(.string("unframed output: \(event)"))
        inbox.append(.string("unframed output: \(event)"))
        capture?.record(.serverToClient, .string("unframed output: \(event)"))
        continue
      }
      received.append(message)
      inbox.append(message)
      capture?.record(.serverToClient, message)
    }
    wake()
  }

  private func endOutput() {
    outputEnded = true
    wake()
  }

  private func wake() {
    let ready = waiters
    waiters.removeAll()
    for waiter in ready { waiter.resume() }
  }

  private func waitForInput(until deadline: ContinuousClock.Instant) async {
    let timer = Task { [weak self] in
      try? await Task.sleep(until: deadline)
      await self?.wake()
    }
    await withCheckedContinuation { waiters.append($0) }
    timer.cancel()
  }
}

public enum ServeSessionError: Error, CustomStringConvertible {
  case timedOut(String)
  case endOfOutput(waitingFor: String)

  public var description: String {
    switch self {
    case .timedOut(let what): "timed out: \(what)"
    case .endOfOutput(let what): "the server closed its output while waiting for \(what)"
    }
  }
}
