import JSON
import JSONRPC
import Testing
import TestSupport

/// The JSON-RPC rules, driven through a real `docker-preflight serve` process over pipes, in both framings.
@Suite("serve: JSON-RPC over a real process")
struct ServeProtocolTests {
  static let framings: [Framing] = [.contentLength, .newlineDelimited]

  @Test("initialize lists capabilities and server info", arguments: framings)
  func initialize(framing: Framing) async throws {
    let session = try ServeSession(framing: framing)
    let response = try await session.request("initialize", params: ["processId": nil, "capabilities": [:]])
    let result = try #require(response["result"])
    #expect(result["serverInfo"]?["name"] == "docker-preflight")
    #expect(result["serverInfo"]?["version"]?.stringValue?.isEmpty == false)
    let methods = result["capabilities"]?["methods"]?.arrayValue ?? []
    #expect(methods.contains("diagnose"))
    #expect(methods.contains("initialize"))
    _ = try await session.request("shutdown")
    try await session.notify("exit")
    #expect(try await session.exitStatus() == 0)
  }

  @Test("exit without shutdown ends with status 1", arguments: framings)
  func exitWithoutShutdown(framing: Framing) async throws {
    let session = try ServeSession(framing: framing)
    try await session.notify("exit")
    #expect(try await session.exitStatus() == 1)
  }

  @Test("after shutdown, requests are refused with -32600", arguments: framings)
  func afterShutdown(framing: Framing) async throws {
    let session = try ServeSession(framing: framing)
    #expect(try await session.request("shutdown", params: nil)["result"] == .null)
    #expect(try await session.request("diagnose")["error"]?["code"] == -32600)
    #expect(try await session.finish() == 0)
  }

  @Test(
    "malformed messages get the error they deserve and the server keeps serving",
    arguments: framings.flatMap { framing in
      [
        (framing, #"{"jsonrpc":"2.0","id":1,"#, -32700),
        (framing, #"{"jsonrpc":"2.0","id":1,"method":"nope"}"#, -32601),
        (framing, #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":"x"}"#, -32600),
        (framing, #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"deep":"yes"}}"#, -32602),
        (framing, #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"host":"bogus://x"}}"#, -32602),
        (framing, #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"timeoutMs":0}}"#, -32602),
        (framing, #"{"id":1,"method":"diagnose"}"#, -32600),
        (framing, "[]", -32600),
        (framing, "42", -32600),
      ]
    })
  func malformed(framing: Framing, body: String, code: Int) async throws {
    let session = try ServeSession(framing: framing)
    var bytes: [UInt8] = []
    framing.frame(Array(body.utf8), into: &bytes)
    try await session.sendRaw(bytes)
    let answer = try await session.nextMessage()
    #expect(answer["error"]?["code"]?.intValue == Int64(code))
    let echo = try await session.request("initialize")
    #expect(echo["result"] != nil)
    #expect(try await session.finish() == 0)
  }

  @Test("a batch of requests is answered in one array", arguments: framings)
  func batch(framing: Framing) async throws {
    let session = try ServeSession(framing: framing)
    try await session.send([
      ["jsonrpc": "2.0", "id": 1, "method": "initialize"],
      ["jsonrpc": "2.0", "method": "initialized"],
      ["jsonrpc": "2.0", "id": 2, "method": "nope"],
    ])
    let answer = try await session.nextMessage()
    #expect(answer.arrayValue?.map { $0["id"] } == [1, 2])
    #expect(try await session.finish() == 0)
  }

  @Test("end of input lets a request in flight answer, then exits 0", arguments: framings)
  func endOfInput(framing: Framing) async throws {
    let temporary = try TemporaryDirectory()
    defer { temporary.remove() }
    let session = try ServeSession(framing: framing)
    try await session.sendRequest(
      id: "last", method: "diagnose", params: ["host": .string("unix://\(temporary.file("missing.sock"))")])
    #expect(try await session.finish() == 0)
    let answer = try await session.nextMessage()
    #expect(answer["id"] == "last")
    #expect(answer["result"]?["healthy"] == false)
  }

  @Test("a cancelled diagnose answers -32800 at once, after its progress ends, not a report blaming the engine")
  func cancelledDiagnose() async throws {
    let temporary = try TemporaryDirectory()
    defer { temporary.remove() }
    // Accepts connections and never answers: the diagnosis waits for its timeout.
    let silent = try await FaultListener.start(.neverAnswer, unixSocket: temporary.file("silent.sock"))
    let session = try ServeSession(framing: .newlineDelimited)
    try await session.sendRequest(
      id: "d", method: "diagnose", params: ["host": .string(silent.host), "timeoutMs": 60_000, "workDoneToken": "d"])
    _ = try await session.take(what: "the progress begin") { $0["params"]?["value"]?["kind"] == "begin" }
    let started = ContinuousClock.now
    try await session.notify("$/cancelRequest", params: ["id": "d"])
    let end = try await session.take(what: "the progress end") { $0["params"]?["value"]?["kind"] == "end" }
    let answer = try await session.response(to: "d")
    #expect(ContinuousClock.now - started < .seconds(20))
    #expect(end["params"]?["value"]?["message"] == "cancelled")
    #expect(answer["error"]?["code"] == -32800)
    #expect(try await session.finish() == 0)
    await silent.stop()
  }

  @Test("the LSP framing is answered with Content-Length headers and nothing else on stdout")
  func lspOutputIsClean() async throws {
    let session = try ServeSession(framing: .contentLength)
    _ = try await session.request("initialize")
    #expect(try await session.finish() == 0)
    // ServeSession parses stdout strictly: anything but framed messages shows up as a string.
    #expect(await session.received.allSatisfy { $0.objectValue != nil })
  }

  @Test("split and merged writes are reassembled", arguments: framings)
  func splitWrites(framing: Framing) async throws {
    let session = try ServeSession(framing: framing)
    var bytes: [UInt8] = []
    for id in 1...3 {
      framing.frame(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"initialize"}"#.utf8), into: &bytes)
    }
    // The first message byte by byte, the other two in one write.
    let first = bytes.count / 3
    for byte in bytes.prefix(first) { try await session.sendRaw([byte]) }
    try await session.sendRaw(Array(bytes.dropFirst(first)))
    let answers = [try await session.nextMessage(), try await session.nextMessage(), try await session.nextMessage()]
    #expect(answers.map { $0["id"] } == [1, 2, 3])
    #expect(answers.filter { $0["result"] != nil }.count == 1)  // initialize may be sent once
    #expect(try await session.finish() == 0)
  }
}
