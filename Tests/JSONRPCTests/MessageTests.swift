import JSON
import JSONRPC
import Testing

@Suite("The JSON-RPC 2.0 message model")
struct MessageTests {
  @Test(
    "requests, notifications and responses are told apart",
    arguments: [
      (#"{"jsonrpc":"2.0","id":1,"method":"m"}"#, Message.request(id: .number(1), method: "m", params: nil)),
      (#"{"jsonrpc":"2.0","id":"a","method":"m","params":[1]}"#, .request(id: .string("a"), method: "m", params: [1])),
      (#"{"jsonrpc":"2.0","id":null,"method":"m","params":{}}"#, .request(id: .null, method: "m", params: [:])),
      (#"{"jsonrpc":"2.0","method":"n","params":null}"#, .notification(method: "n", params: nil)),
      (#"{"jsonrpc":"2.0","id":3,"result":null}"#, .response(id: .number(3), result: .success(.null))),
      (
        #"{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"m"}}"#,
        .response(id: .number(3), result: .failure(ResponseError(code: -1, message: "m")))
      ),
    ])
  func valid(text: String, expected: Message) throws {
    #expect(try Message(JSONValue.parse(text)) == expected)
  }

  @Test(
    "invalid messages name the problem and keep a usable id",
    arguments: [
      (#"{"id":1,"method":"m"}"#, RequestID.number(1), "jsonrpc"),
      (#"{"jsonrpc":"1.0","id":1,"method":"m"}"#, .number(1), "jsonrpc"),
      (#"{"jsonrpc":"2.0","id":1,"method":5}"#, .number(1), "method"),
      (#"{"jsonrpc":"2.0","id":1,"method":"m","params":5}"#, .number(1), "params"),
      (#"{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}"#, .number(1), "params"),
      (#"{"jsonrpc":"2.0","id":{},"method":"m"}"#, .null, "id"),
      (#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#, .null, "id"),
      (#"{"jsonrpc":"2.0","id":true,"method":"m"}"#, .null, "id"),
      (#"{"jsonrpc":"2.0"}"#, .null, "method"),
      (#"{"jsonrpc":"2.0","id":1}"#, .number(1), "result"),
      (#"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#, .number(1), "result"),
      (#"5"#, .null, "object"),
      (#""x""#, .null, "object"),
    ])
  func invalid(text: String, id: RequestID, mentions: String) throws {
    let value = try JSONValue.parse(text)
    #expect {
      try Message(value)
    } throws: { error in
      guard let error = error as? InvalidMessage else { return false }
      return error.id == id && error.error.code == -32600 && error.error.message.contains(mentions)
    }
  }

  @Test("messages serialize with jsonrpc first and only the members they have")
  func serialize() {
    #expect(
      Message.request(id: .number(1), method: "m", params: nil).json.description
        == #"{"jsonrpc":"2.0","id":1,"method":"m"}"#)
    #expect(
      Message.response(id: .string("x"), result: .failure(.methodNotFound("y"))).json.description
        == #"{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"method not found: y"}}"#)
  }
}
