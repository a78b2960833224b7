import JSON
import Testing

@testable import PreflightServer

/// Lua tables (Neovim plugins) and PHP arrays encode an empty object as `[]`: wherever a method's params expect an
/// object, `[]` is read as `{}` (protocol/README.md, "Messages"), and only an empty array counts.
@Suite("params: an empty array where an object is expected")
struct EmptyArrayParamsTests {
  static func decodes(_ type: (some Decodable).Type, _ text: String) -> Bool {
    (try? JSONValueDecoder().decode(type, from: try JSONValue.parse(text))) != nil
  }

  /// heal and waitReady are not sent `[]` in the live malformed-input corpus (they would start engines or wait the
  /// configured timeout): their params are checked here, with every other method's.
  @Test("every method's params accept [] and refuse [1]")
  func everyMethod() {
    let types: [(String, any Decodable.Type)] = [
      ("initialize", InitializeParams.self), ("diagnose", DiagnoseParams.self), ("heal", HealParams.self),
      ("waitReady", WaitReadyParams.self), ("watch", WatchParams.self),
    ]
    for (method, type) in types {
      let (empty, nonEmpty) = (Self.decodes(type, "[]"), Self.decodes(type, "[1]"))
      #expect(empty, "\(method): []")
      #expect(!nonEmpty, "\(method): [1]")
    }
  }

  @Test(
    "initialize: [] is an empty object for capabilities, initializationOptions and clientInfo",
    arguments: [
      #"{"capabilities":[]}"#, #"{"initializationOptions":[]}"#, #"{"clientInfo":[]}"#,
      #"{"capabilities":{"window":[],"workspace":[]}}"#,
      #"{"capabilities":[],"clientInfo":[],"initializationOptions":[]}"#,
    ])
  func initializeAccepts(params: String) {
    #expect(Self.decodes(InitializeParams.self, params))
  }

  @Test("initialize: a clientInfo without members ({} or []) counts as absent; with members it needs a name")
  func emptyClientInfo() throws {
    for text in [#"{"clientInfo":[]}"#, #"{"clientInfo":{}}"#] {
      let params = try JSONValueDecoder().decode(InitializeParams.self, from: try JSONValue.parse(text))
      #expect(params.clientInfo == nil, "\(text)")
    }
    #expect(!Self.decodes(InitializeParams.self, #"{"clientInfo":{"version":"1"}}"#))
    let named = try JSONValueDecoder().decode(
      InitializeParams.self, from: try JSONValue.parse(#"{"clientInfo":{"name":"nvim"}}"#))
    #expect(named.clientInfo?.name == "nvim")
  }

  @Test(
    "initialize: a non-empty array where an object is expected is still refused",
    arguments: [#"{"capabilities":[1]}"#, #"{"clientInfo":[1]}"#, #"{"clientInfo":[{}]}"#, "[[]]"])
  func initializeRefuses(params: String) {
    #expect(!Self.decodes(InitializeParams.self, params))
  }
}
