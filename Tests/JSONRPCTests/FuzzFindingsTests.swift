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
