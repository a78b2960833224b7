// libFuzzer target over the JSON-RPC input path: framing (MessageSplitter, both framings), JSON (jansson through
// JSONValue), classification (Message) and dispatch (JSONRPCConnection with a small method table, in memory).
// Built by fuzz/build.sh with `swiftc -sanitize=fuzzer,address`, never by SwiftPM.
//
// Input layout: the first byte steers, the rest is the stream.
//   bits 0-2  size of the reads the stream is cut into (1, 2, 3, 7, 16, 61, 512 bytes, or all at once)
//   bit 3     set: each line of the rest is one body, framed with a correct `Content-Length` header, so that
//             mutations of LSP bodies do not have to keep the length right; clear: the rest is sent as it is
//             and the framing is detected from its first bytes, as `serve` does.
//   bit 4     set: the connection's limits are small (256 bytes, 8 levels), so that the over-limit paths are
//             reached by small inputs.

import Dispatch
import JSON
import JSONRPC
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data, size > 0 else { return 0 }
  let control = data[0]
  let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  let stream = control & 0x08 != 0 ? framedLines(rest) : rest
  let chunks = cut(stream, into: [1, 2, 3, 7, 16, 61, 512, .max][Int(control & 0x07)])
  let limits = control & 0x10 != 0 ? JSONLimits(maxBytes: 256, maxDepth: 8) : JSONLimits(maxBytes: 4096, maxDepth: 64)

  checkFraming(chunks, limits: limits)
  runConnection(chunks, limits: limits)
  return 0
}

/// Each line becomes one LSP message with the right `Content-Length`.
func framedLines(_ bytes: [UInt8]) -> [UInt8] {
  var output: [UInt8] = []
  for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
    Framing.contentLength.frame(Array(line), into: &output)
  }
  return output
}

func cut(_ bytes: [UInt8], into size: Int) -> [[UInt8]] {
  stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min(bytes.count, $0 &+ size)]) }
}

// MARK: - Framing, JSON and Message, checked directly

/// Splits the stream and checks what comes out: bodies within the limit, each re-framed body splitting back to
/// itself, JSON that round-trips through serialization, and messages that round-trip through their JSON.
func checkFraming(_ chunks: [[UInt8]], limits: JSONLimits) {
  var splitter = MessageSplitter(maxMessageBytes: limits.maxBytes)
  var events: [MessageSplitter.Event] = []
  for chunk in chunks {
    splitter.append(chunk)
    while let event = splitter.next() { events.append(event) }
  }
  if let event = splitter.finish() { events.append(event) }
  for event in events {
    guard case .message(let body) = event else { continue }
    require(body.count <= limits.maxBytes, "a body of \(body.count) bytes passed a limit of \(limits.maxBytes)")
    // `Content-Length: 0` is an empty body; a line never is.
    require(!body.isEmpty || splitter.framing == .contentLength, "an empty line passed as a message")
    if let framing = splitter.framing { checkReframing(body, framing: framing) }
    checkJSON(body, limits: limits)
  }
}

/// A body framed again, after a first message that fixes the framing, splits back to itself.
func checkReframing(_ body: [UInt8], framing: Framing) {
  let first = Array("{}".utf8)
  var framed: [UInt8] = []
  framing.frame(first, into: &framed)
  framing.frame(body, into: &framed)
  var splitter = MessageSplitter(maxMessageBytes: max(body.count, first.count))
  splitter.append(framed)
  var events: [MessageSplitter.Event] = []
  while let event = splitter.next() { events.append(event) }
  if let event = splitter.finish() { events.append(event) }
  require(events == [.message(first), .message(body)], "a \(framing) body did not split back to itself: \(events)")
}

func checkJSON(_ body: [UInt8], limits: JSONLimits) {
  guard let value = try? JSONValue.parse(body, limits: limits) else { return }
  let text = value.serialized()
  guard let again = try? JSONValue.parse(text, limits: limits) else {
    fail("serialized JSON does not parse back: \(String(decoding: text.prefix(200), as: UTF8.self))")
  }
  require(again == value, "JSON changed in a round trip: \(String(decoding: text.prefix(200), as: UTF8.self))")
  require(text == again.serialized(), "serialization is not stable")
  let elements = value.arrayValue ?? [value]
  for element in elements {
    guard let message = try? Message(element) else { continue }
    let reread = try? Message(message.json)
    require(reread == message, "a message changed in a round trip through its JSON: \(message)")
  }
}

// MARK: - Dispatch through a connection

/// Runs a connection over the chunks to the end of input and checks what it wrote: framed messages in the client's
/// framing, each a JSON-RPC 2.0 object (or a batch of them).
func runConnection(_ chunks: [[UInt8]], limits: JSONLimits) {
  let output = MemoryOutput()
  let connection = JSONRPCConnection(
    methods: fuzzMethods, output: output, options: .init(limits: limits, serverName: "fuzz"), logger: silentLogger)
  let done = DispatchSemaphore(value: 0)
  let framing = Mutex<Framing?>(nil)
  // libFuzzer calls in on a plain thread: blocking it on a semaphore while the connection runs on Swift's
  // cooperative pool is safe.
  Task {
    let input = AsyncStream<[UInt8]> { continuation in
      for chunk in chunks { continuation.yield(chunk) }
      continuation.finish()
    }
    _ = await connection.run(input: input)
    let detected = await connection.framing
    framing.withLock { $0 = detected }
    done.signal()
  }
  done.wait()
  checkOutput(output.bytes, framing: framing.withLock { $0 } ?? .contentLength)
}

func checkOutput(_ bytes: [UInt8], framing: Framing) {
  var splitter = MessageSplitter(maxMessageBytes: 64 << 20)
  splitter.append(bytes)
  var count = 0
  while let event = splitter.next() ?? splitter.finish() {
    count += 1
    guard case .message(let body) = event else { fail("the server wrote a broken frame: \(event)") }
    require(splitter.framing == nil || splitter.framing == framing, "the server answered in the other framing")
    guard let value = try? JSONValue.parse(body, limits: JSONLimits(maxBytes: 64 << 20, maxDepth: 128)) else {
      fail("the server wrote JSON it cannot parse: \(String(decoding: body.prefix(200), as: UTF8.self))")
    }
    for message in value.arrayValue ?? [value] {
      require(message["jsonrpc"] == "2.0", "the server wrote a message without jsonrpc 2.0: \(message)")
      require((try? Message(message)) != nil, "the server wrote an invalid message: \(message)")
    }
    if count > 1_000_000 { fail("the output does not end") }
  }
}

/// Requests of each kind a server has: answered in line, in a task, failing, throwing, decoding typed params,
/// reporting progress, calling back to the client (whose answers the input may or may not carry), and a
/// notification.
let fuzzMethods: MethodTable = {
  var table = MethodTable()
  table.immediateRequest("initialize") { _ in ["capabilities": [:]] }
  table.request("echo") { context in context.params ?? .null }
  table.request("fail") { _ in throw ResponseError(code: -32001, message: "domain", data: ["why": "fuzz"]) }
  table.request("boom") { _ in throw FuzzError() }
  table.request("typed", params: TypedParams.self) { params, _ in params }
  table.request("progress") { context in
    let progress = context.progress
    await progress?.begin(title: "working")
    await progress?.report(message: "half", percentage: 50)
    await progress?.end()
    return "done"
  }
  table.request("yield") { _ in
    for _ in 0..<3 { await Task.yield() }
    try Task.checkCancellation()
    return "yielded"
  }
  table.request("callback") { context in
    try await context.client.request("client/ping", params: context.params)
  }
  table.notification("note") { context in await context.client.log(.info, "noted") }
  return table
}()

struct TypedParams: Codable, Sendable {
  var count: Int
  var name: String?
  var flags: [Bool]?
  var nested: [String: Int64]?
  var ratio: Double?
}

struct FuzzError: Error {}

let silentLogger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }

/// Collects what the connection writes.
final class MemoryOutput: MessageOutput {
  private let buffer = Mutex<[UInt8]>([])
  func write(_ bytes: [UInt8]) async { buffer.withLock { $0.append(contentsOf: bytes) } }
  func flush() async {}
  var bytes: [UInt8] { buffer.withLock { $0 } }
}

// MARK: - Findings

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { fail(message()) }
}

/// Reports an invariant broken and aborts, which libFuzzer records as a crash with the input that caused it.
func fail(_ message: String) -> Never {
  let text = Array("fuzz invariant broken: \(message)\n".utf8)
  _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  abort()
}
