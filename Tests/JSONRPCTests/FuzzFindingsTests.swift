import Foundation
import JSON
import JSONRPC
import Testing

/// Regressions for what fuzz/ found: each test replays the shape of a crash, hang or leak libFuzzer reported.
@Suite("JSON-RPC connection: regressions found by fuzzing")
struct FuzzFindingsTests {
  static var callbackMethods: MethodTable {
    var table = MethodTable()
    table.request("callback") { context in try await context.client.request("client/ping", params: nil) }
    return table
  }

  @Test("end of input while a handler waits for the client's answer ends the session instead of hanging")
  func endOfInputFailsServerToClientRequests() async throws {
    // fuzz/corpus/ndjson-callback-unanswered: the connection waited for the request in flight, which waited for
    // an answer the closed input could never bring.
    let transcript = await ConnectionHarness.transcript(
      [#"{"jsonrpc":"2.0","id":1,"method":"callback"}"#], methods: Self.callbackMethods, endingWithin: .seconds(10))
    let (ending, messages) = try #require(transcript, "the connection did not end after its input did")
    #expect(ending == .endOfInput)
    let response = try #require(messages.first { $0["id"] == 1 && $0["method"] == nil })
    #expect(response["error"]?["code"] == -32603)
  }
}

/// The seeds fuzz/corpus holds for issue 16 (the header section must never swallow the next request), replayed the
/// way the fuzzer cuts them: the first byte picks the size of the reads and the limits.
@Suite("fuzz seeds of issue 16: the header section never swallows the next request")
struct HeaderSeedTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("fuzz/corpus")

  @Test(
    "after each header problem, the echo request that follows still arrives",
    arguments: [
      "lsp-glued-header", "lsp-huge-length", "lsp-huge-length-split", "lsp-past-skippable-length",
      "lsp-first-long-header", "lsp-first-no-colon", "lsp-header-limit-split",
      "lsp-header-limit-lines", "small-first-long-header",
    ])
  func seed(name: String) throws {
    let data = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(name)))
    let control = try #require(data.first)
    let readSize = [1, 2, 3, 7, 16, 61, 512, Int.max][Int(control & 0x07)]
    #expect(control & 0x08 == 0, "the seed is meant to be sent as it is")
    var splitter = MessageSplitter(maxMessageBytes: control & 0x10 != 0 ? 256 : 4096)
    var events: [MessageSplitter.Event] = []
    let stream = data.dropFirst()
    var offset = stream.startIndex
    while offset < stream.endIndex {
      let end = stream.endIndex - offset > readSize ? offset + readSize : stream.endIndex
      splitter.append(stream[offset..<end])
      offset = end
      while let event = splitter.next() { events.append(event) }
    }
    #expect(splitter.finish() == nil)
    #expect(splitter.framing == .contentLength)
    guard case .message(let body)? = events.last else {
      Issue.record("the last event is not a message: \(events)")
      return
    }
    #expect(try JSONValue.parse(body)["method"] == "echo")
    #expect(events.dropLast().contains { if case .message = $0 { false } else { true } }, "no problem was reported")
  }
}
