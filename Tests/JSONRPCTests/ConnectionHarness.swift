import JSON
import JSONRPC
import Logging
import Synchronization

/// Collects what a connection writes and lets a test wait for it.
final class MemoryOutput: MessageOutput {
  private struct State {
    var splitter = MessageSplitter(maxMessageBytes: 1 << 24)
    var messages: [JSONValue] = []
    var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
  }
  private let state = Mutex(State())

  func write(_ bytes: [UInt8]) async {
    let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
      state.splitter.append(bytes)
      while case .message(let body)? = state.splitter.next() {
        state.messages.append((try? JSONValue.parse(body)) ?? .string("unparseable"))
      }
      let count = state.messages.count
      let ready = state.waiters.filter { $0.0 <= count }.map(\.1)
      state.waiters.removeAll { $0.0 <= count }
      return ready
    }
    for waiter in ready { waiter.resume() }
  }

  func flush() async {}

  var messages: [JSONValue] { state.withLock { $0.messages } }

  /// Waits until at least `count` messages have been written.
  func waitFor(_ count: Int) async -> [JSONValue] {
    await withCheckedContinuation { continuation in
      let done = state.withLock { state in
        if state.messages.count >= count { return true }
        state.waiters.append((count, continuation))
        return false
      }
      if done { continuation.resume() }
    }
    return messages
  }
}

/// An output whose first write takes its time before it lands, so that a later write could overtake it.
final class DawdlingOutput: MessageOutput {
  private let written = Mutex<(calls: Int, output: MemoryOutput)>((0, MemoryOutput()))

  func write(_ bytes: [UInt8]) async {
    let (first, output) = written.withLock { state in
      state.calls += 1
      return (state.calls == 1, state.output)
    }
    if first { for _ in 0..<200 { await Task.yield() } }
    await output.write(bytes)
  }

  func flush() async {}

  var messages: [JSONValue] { written.withLock { $0.output }.messages }
}

/// A connection fed from a stream the test writes to.
struct ConnectionHarness {
  let output = MemoryOutput()
  let input: AsyncStream<[UInt8]>
  let feed: AsyncStream<[UInt8]>.Continuation
  let connection: JSONRPCConnection

  init(
    methods: MethodTable, limits: JSONLimits = JSONLimits(maxBytes: 4096), maxRequestsInFlight: Int = 128,
    cancelsInFlightAtEndOfInput: @escaping @Sendable (JSONValue?) -> Bool = { _ in false }
  ) {
    (input, feed) = AsyncStream.makeStream(of: [UInt8].self)
    connection = JSONRPCConnection(
      methods: methods,
      output: output,
      options: .init(
        limits: limits, cancelsInFlightAtEndOfInput: cancelsInFlightAtEndOfInput,
        maxRequestsInFlight: maxRequestsInFlight),
      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
  }

  func start() -> Task<JSONRPCConnection.Ending, Never> {
    let (connection, input) = (connection, input)
    return Task { await connection.run(input: input) }
  }

  func send(_ text: String) { feed.yield(Array((text + "\n").utf8)) }

  /// Runs the connection over `lines` (newline-delimited) to the end of input; returns how it ended and what it
  /// wrote.
  static func transcript(_ lines: [String], methods: MethodTable = .testMethods) async
    -> (JSONRPCConnection.Ending, [JSONValue])
  {
    let harness = ConnectionHarness(methods: methods)
    let run = harness.start()
    for line in lines { harness.send(line) }
    harness.feed.finish()
    let ending = await run.value
    return (ending, harness.output.messages)
  }

  /// Like ``transcript(_:methods:)``, but gives up after `limit` (a regression must fail the test, not hang it):
  /// `nil` when the connection had not ended by then.
  static func transcript(_ lines: [String], methods: MethodTable = .testMethods, endingWithin limit: Duration) async
    -> (JSONRPCConnection.Ending, [JSONValue])?
  {
    let harness = ConnectionHarness(methods: methods)
    let run = harness.start()
    for line in lines { harness.send(line) }
    harness.feed.finish()
    let connection = harness.connection
    let ending = await withTaskGroup(of: JSONRPCConnection.Ending?.self) { group in
      group.addTask { await run.value }
      group.addTask {
        try? await Task.sleep(for: limit)
        // Awaiting `run` does not stop on cancellation: cancel the work it waits for, so that the group can end.
        if !Task.isCancelled { await connection.cancelAll() }
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      return first
    }
    return ending.map { ($0, harness.output.messages) }
  }
}

extension MethodTable {
  /// `echo` returns its params, `sleep` waits `ms` (cancellable), `fail` throws a domain error, `boom` an arbitrary
  /// error, `progress` reports work-done progress.
  static var testMethods: MethodTable {
    var table = MethodTable()
    table.request("echo") { context in context.params ?? .null }
    table.request("sleep") { context in
      try await Task.sleep(for: .milliseconds(context.params?["ms"]?.intValue ?? 10_000))
      return "slept"
    }
    table.request("fail") { _ in throw ResponseError(code: -32001, message: "domain", data: ["why": "test"]) }
    table.request("boom") { _ in throw TestFailure() }
    table.request("progress") { context in
      let progress = context.progress
      await progress?.begin(title: "working")
      await progress?.report(message: "half", percentage: 50)
      await progress?.end(message: "done")
      return "ok"
    }
    table.request("typed", params: TypedParams.self) { params, _ in params }
    table.immediateRequest("initialize") { _ in ["capabilities": [:]] }
    return table
  }
}

struct TypedParams: Codable, Sendable {
  var count: Int
  var name: String?
}

struct TestFailure: Error {}
