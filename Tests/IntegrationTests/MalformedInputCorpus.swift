import JSON
import JSONRPC
import Testing

/// The malformed inputs `MalformedInputTests` sends to a live `serve`, and what the server owes each
/// (protocol/README.md, "Malformed input").
struct MalformedCase: Sendable, CustomTestStringConvertible {
  /// What the client sends.
  enum Input: Sendable {
    /// Bodies, each framed in the session's framing.
    case bodies([[UInt8]])
    /// Bytes as they are, for framing errors (cases of one framing only).
    case raw([UInt8])
  }

  /// An answer the server owes, in the order it owes them, before the follow-up request's.
  enum Owed: Sendable, Equatable {
    /// An error response with this code and id.
    case error(Int, id: JSONValue)
    /// An error response with this code and id whose message mentions `text`.
    case errorMentioning(Int, id: JSONValue, text: String)
    /// A success response for this id.
    case result(id: JSONValue)
    /// A batch response: per member, an error code, or `nil` for a success.
    case batch([Int?])
  }

  /// How the session goes on after the input.
  enum Ending: Sendable {
    /// A follow-up request is answered (the server kept its footing).
    case followUp
    /// The input swallows what follows (an LSP body announced longer than what is sent): the follow-up is never
    /// answered, and closing stdin ends the session with the owed errors and status 0.
    case swallowsFollowUp
  }

  var name: String
  var framings: [Framing]
  var input: Input
  var owed: [Owed]
  var ending = Ending.followUp
  /// The input shuts the server down: the follow-up is refused with -32600 instead of answered with a report.
  var shutsDown = false
  /// The case is about the first bytes a server reads (framing detection).
  var comesFirst = false
  /// The input changes the session for the cases after it (an `initialize` that succeeds, a watch that starts).
  var changesSession = false

  /// Whether the case needs a server of its own rather than one that has taken other cases before.
  var needsOwnServer: Bool { comesFirst || shutsDown || changesSession || ending == .swallowsFollowUp }

  var testDescription: String { name }

  func bytes(in framing: Framing) -> [UInt8] {
    switch input {
    case .raw(let bytes): return bytes
    case .bodies(let bodies):
      var output: [UInt8] = []
      for body in bodies { framing.frame(body, into: &output) }
      return output
    }
  }
}

enum MalformedInputCorpus {
  static let both: [Framing] = [.contentLength, .newlineDelimited]

  /// Built once: some cases hold megabytes.
  static let cases: [MalformedCase] = {
    badJSON + badEnvelopes + unknownMethods + clientResponses + cancels + batches + limits + wrongParamTypes
      + emptyObjectsAsArrays + lspHeaders + ndjsonLines
  }()

  // MARK: - Building inputs

  static func body(_ text: String) -> [UInt8] { Array(text.utf8) }

  /// A request with id 1 whose text is given, for cases about the text.
  static func bodyCase(_ name: String, _ text: String, _ owed: MalformedCase.Owed..., framings: [Framing] = both)
    -> MalformedCase
  {
    MalformedCase(name: name, framings: framings, input: .bodies([body(text)]), owed: owed)
  }

  static func bytesCase(_ name: String, _ bytes: [UInt8], _ owed: MalformedCase.Owed...) -> MalformedCase {
    MalformedCase(name: name, framings: both, input: .bodies([bytes]), owed: owed)
  }

  static func request(id: JSONValue = 1, _ method: String, params: JSONValue? = nil) -> String {
    var object: JSONObject = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
    object["params"] = params
    return JSONValue.object(object).description
  }

  static func notification(_ method: String, params: JSONValue? = nil) -> String {
    var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
    object["params"] = params
    return JSONValue.object(object).description
  }

  static let parseError = MalformedCase.Owed.error(-32700, id: .null)
  static func invalid(id: JSONValue = .null) -> MalformedCase.Owed { .error(-32600, id: id) }

  // MARK: - Bad JSON: -32700 with id null

  static var badJSON: [MalformedCase] {
    let request = #"{"jsonrpc":"2.0","id":1,"method":"diagnose""#
    let texts: [(String, String)] = [
      ("truncated object", #"{"jsonrpc":"2.0","id":1,"#),
      ("truncated after a key", #"{"jsonrpc":"2.0","id""#),
      ("truncated string", #"{"jsonrpc":"2.0","id":1,"method":"diag"#),
      ("truncated array", #"[{"jsonrpc":"2.0""#),
      ("truncated literal", "tru"),
      ("truncated number", "-"),
      ("lone opening brace", "{"),
      ("lone closing brace", "}"),
      ("lone closing bracket", "]"),
      ("unbalanced closers", request + "}}"),
      ("trailing comma in an object", request + ",}"),
      ("trailing comma in an array", "[1,]"),
      ("missing comma", #"{"jsonrpc":"2.0" "id":1}"#),
      ("missing colon", #"{"jsonrpc" "2.0"}"#),
      ("single quotes", "{'jsonrpc':'2.0','id':1,'method':'diagnose'}"),
      ("unquoted keys", "{jsonrpc:\"2.0\",id:1,method:\"diagnose\"}"),
      ("a comment", request + " /* c */}"),
      ("a line comment", "// comment"),
      ("NaN", "NaN"),
      ("NaN as a param", #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"timeoutMs":NaN}}"#),
      ("Infinity", "Infinity"),
      ("-Infinity as an id", #"{"jsonrpc":"2.0","id":-Infinity,"method":"diagnose"}"#),
      ("an integer one past Int64.max as id", #"{"jsonrpc":"2.0","id":9223372036854775808,"method":"diagnose"}"#),
      ("an integer one below Int64.min as id", #"{"jsonrpc":"2.0","id":-9223372036854775809,"method":"diagnose"}"#),
      ("a 100-digit integer", #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"timeoutMs":"# + String(repeating: "9", count: 100) + "}}"),
      ("a double beyond Double.greatestFiniteMagnitude", #"{"jsonrpc":"2.0","id":1e400,"method":"diagnose"}"#),
      ("a negative double beyond range", #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"x":-1e400}}"#),
      ("leading zeros", #"{"jsonrpc":"2.0","id":007,"method":"diagnose"}"#),
      ("a leading plus", #"{"jsonrpc":"2.0","id":+1,"method":"diagnose"}"#),
      ("a bare decimal point", #"{"jsonrpc":"2.0","id":.5,"method":"diagnose"}"#),
      ("hexadecimal", #"{"jsonrpc":"2.0","id":0x10,"method":"diagnose"}"#),
      ("a duplicate id key", #"{"jsonrpc":"2.0","id":1,"id":2,"method":"diagnose"}"#),
      ("a duplicate method key", #"{"jsonrpc":"2.0","id":1,"method":"diagnose","method":"shutdown"}"#),
      ("a duplicate key in params", #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"deep":true,"deep":false}}"#),
      ("a lone high surrogate escape", #"{"jsonrpc":"2.0","id":"\ud800","method":"diagnose"}"#),
      ("a lone low surrogate escape", #"{"jsonrpc":"2.0","id":1,"method":"\udc00"}"#),
      ("a high surrogate before a non-surrogate", #"{"jsonrpc":"2.0","id":"\ud800\u0041","method":"diagnose"}"#),
      ("surrogates in the wrong order", #"{"jsonrpc":"2.0","id":"\udc00\ud800","method":"diagnose"}"#),
      ("an invalid escape", #"{"jsonrpc":"2.0","id":"\x41","method":"diagnose"}"#),
      ("a short unicode escape", #"{"jsonrpc":"2.0","id":"\u12","method":"diagnose"}"#),
      ("a raw tab in a string", "{\"jsonrpc\":\"2.0\",\"id\":\"a\tb\",\"method\":\"diagnose\"}"),
      ("two documents in one message", #"{"jsonrpc":"2.0","id":1,"method":"x"} {"jsonrpc":"2.0","id":2,"method":"x"}"#),
      ("nesting one level past the limit (65 arrays)", String(repeating: "[", count: 65) + String(repeating: "]", count: 65)),
      ("nesting past the limit in params (65 objects)", #"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":"# + String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 65)),
      ("10000 opening brackets", String(repeating: "[", count: 10_000)),
      ("a byte order mark", "\u{FEFF}" + request + "}"),
    ]
    let invalidUTF8: [(String, [UInt8])] = [
      ("invalid UTF-8: a stray 0xFF", [0xFF]),
      ("invalid UTF-8: a missing continuation byte", [0xC3, 0x28]),
      ("invalid UTF-8: an overlong slash", [0xC0, 0xAF]),
      ("invalid UTF-8: an encoded surrogate", [0xED, 0xA0, 0x80]),
      ("invalid UTF-8: beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
      ("invalid UTF-8: a truncated sequence", [0xE2, 0x82]),
      ("a raw NUL in a string", [0x00]),
    ]
    return texts.map { bodyCase("bad JSON: \($0.0)", $0.1, parseError) }
      + invalidUTF8.map { name, bytes in
        bytesCase(name, body(#"{"jsonrpc":"2.0","id":1,"method":"diagnose","params":{"host":""#) + bytes + body(#""}}"#), parseError)
      }
      + [bytesCase("invalid UTF-8 outside strings", body(#"{"jsonrpc":"2.0","id":1,"#) + [0xFF] + body(#""method":"x"}"#), parseError)]
  }

  // MARK: - JSON, but not a JSON-RPC message: -32600

  static var badEnvelopes: [MalformedCase] {
    [
      bodyCase("not an object: null", "null", invalid()),
      bodyCase("not an object: a number", "42", invalid()),
      bodyCase("not an object: a string", #""diagnose""#, invalid()),
      bodyCase("not an object: true", "true", invalid()),
      bodyCase("no jsonrpc member", #"{"id":1,"method":"diagnose"}"#, invalid(id: 1)),
      bodyCase("jsonrpc 1.0", #"{"jsonrpc":"1.0","id":1,"method":"diagnose"}"#, invalid(id: 1)),
      bodyCase("jsonrpc as a number", #"{"jsonrpc":2.0,"id":1,"method":"diagnose"}"#, invalid(id: 1)),
      bodyCase("jsonrpc with a trailing space", #"{"jsonrpc":"2.0 ","id":1,"method":"diagnose"}"#, invalid(id: 1)),
      bodyCase("an id that is a fraction", #"{"jsonrpc":"2.0","id":1.5,"method":"diagnose"}"#, invalid()),
      bodyCase("an id that is a boolean", #"{"jsonrpc":"2.0","id":true,"method":"diagnose"}"#, invalid()),
      bodyCase("an id that is an array", #"{"jsonrpc":"2.0","id":[1],"method":"diagnose"}"#, invalid()),
      bodyCase("an id that is an object", #"{"jsonrpc":"2.0","id":{"a":1},"method":"diagnose"}"#, invalid()),
      bodyCase("a method that is a number", #"{"jsonrpc":"2.0","id":1,"method":5}"#, invalid(id: 1)),
      bodyCase("a method that is null", #"{"jsonrpc":"2.0","id":1,"method":null}"#, invalid(id: 1)),
      bodyCase("a method that is an array", #"{"jsonrpc":"2.0","id":1,"method":["diagnose"]}"#, invalid(id: 1)),
      bodyCase("a method that is an object", #"{"jsonrpc":"2.0","id":1,"method":{}}"#, invalid(id: 1)),
      bodyCase("neither method nor id", #"{"jsonrpc":"2.0"}"#, invalid()),
      bodyCase("an id without a method", #"{"jsonrpc":"2.0","id":1}"#, invalid(id: 1)),
      bodyCase("params on a notification that are a string", #"{"jsonrpc":"2.0","method":"diagnose","params":"x"}"#, invalid()),
      bodyCase("an empty object", "{}", invalid()),
    ]
  }

  // MARK: - Unknown methods: -32601 for requests, nothing for notifications

  static var unknownMethods: [MalformedCase] {
    let requests: [(String, String)] = [
      ("an unknown method", "nope"),
      ("an unknown $/ method", "$/nope"),
      ("an empty method name", ""),
      ("a method with a NUL", "diagnose\u{0}"),
      ("a method in the wrong case", "Diagnose"),
      ("a method with a leading space", " diagnose"),
      ("a method name of 100000 characters", String(repeating: "m", count: 100_000)),
      ("the exit notification as a request", "exit"),
      ("the initialized notification as a request", "initialized"),
      ("$/cancelRequest as a request", "$/cancelRequest"),
    ]
    let notifications = ["nope", "$/nope", "diagnose", "initialize", "shutdown", String(repeating: "n", count: 100_000)]
    return requests.map { name, method in
      bodyCase("unknown: \(name)", request(method), .error(-32601, id: 1))
    }
      + notifications.map { method in
        bodyCase("unknown notification \(method.prefix(20))\(method.count > 20 ? "…" : "") is ignored", notification(method))
      }
      + [bodyCase("a request with a 1 MB string id is answered with that id", request(id: .string(String(repeating: "i", count: 1 << 20)), "nope"), .error(-32601, id: .string(String(repeating: "i", count: 1 << 20))))]
  }

  // MARK: - Responses from the client: never answered

  static var clientResponses: [MalformedCase] {
    let texts: [(String, String)] = [
      ("a result for an id never sent", #"{"jsonrpc":"2.0","id":99,"result":{}}"#),
      ("a result for a string id never sent", #"{"jsonrpc":"2.0","id":"abc","result":null}"#),
      ("a result for id null", #"{"jsonrpc":"2.0","id":null,"result":1}"#),
      ("an error for an id never sent", #"{"jsonrpc":"2.0","id":5,"error":{"code":-1,"message":"no"}}"#),
      ("an error with data for an id never sent", #"{"jsonrpc":"2.0","id":6,"error":{"code":1,"message":"m","data":[1,2]}}"#),
      ("a response with both result and error", #"{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}}"#),
      ("an error without a code", #"{"jsonrpc":"2.0","id":1,"error":{"message":"m"}}"#),
      ("an error whose code is a string", #"{"jsonrpc":"2.0","id":1,"error":{"code":"1","message":"m"}}"#),
      ("an error without a message", #"{"jsonrpc":"2.0","id":1,"error":{"code":1}}"#),
      ("an error that is not an object", #"{"jsonrpc":"2.0","id":1,"error":"bad"}"#),
      ("a result with an invalid id", #"{"jsonrpc":"2.0","id":true,"result":1}"#),
      ("a result without jsonrpc", #"{"id":1,"result":1}"#),
      ("a result without an id", #"{"jsonrpc":"2.0","result":1}"#),
    ]
    return texts.map { bodyCase("client response: \($0.0)", $0.1) }
  }

  // MARK: - $/cancelRequest for what is not in flight: ignored

  static var cancels: [MalformedCase] {
    let params: [(String, JSONValue?)] = [
      ("an unknown numeric id", ["id": 12345]),
      ("an unknown string id", ["id": "nope"]),
      ("id null", ["id": nil]),
      ("an id that is an object", ["id": ["a": 1]]),
      ("an id that is a fraction", ["id": 1.5]),
      ("no id", [:]),
      ("no params", nil),
      ("params that are an array", [1]),
    ]
    return params.map { name, params in
      bodyCase("cancel with \(name)", notification("$/cancelRequest", params: params))
    }
  }

  // MARK: - Batches

  static var batches: [MalformedCase] {
    let unknown = request("nope")
    let note = notification("initialized")
    return [
      bodyCase("an empty batch", "[]", invalid()),
      bodyCase("a batch of numbers", "[1,2,3]", .batch([-32600, -32600, -32600])),
      bodyCase("a batch holding an empty batch", "[[]]", .batch([-32600])),
      bodyCase("a batch holding a batch", "[[\(unknown)]]", .batch([-32600])),
      bodyCase("a batch of notifications", "[\(note),\(note)]"),
      bodyCase("a batch of responses", #"[{"jsonrpc":"2.0","id":1,"result":1},{"jsonrpc":"2.0","id":2,"error":5}]"#),
      bodyCase("a batch mixing good and bad", "[\(unknown),5,\(note),{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"x\"}]", .batch([-32601, -32600, -32600])),
      bodyCase("a batch of 128 members (the limit)", "[" + Array(repeating: "0", count: 128).joined(separator: ",") + "]", .batch(Array(repeating: -32600, count: 128))),
      bodyCase("a batch of 129 members (past the limit)", "[" + Array(repeating: unknown, count: 129).joined(separator: ",") + "]", .errorMentioning(-32600, id: .null, text: "limit of 128")),
      bodyCase("a batch of 100000 members", "[" + Array(repeating: "0", count: 100_000).joined(separator: ",") + "]", .errorMentioning(-32600, id: .null, text: "limit of 128")),
    ]
  }

  // MARK: - Sizes at and past the limits

  static var limits: [MalformedCase] {
    let limit = 4 << 20
    func padded(to size: Int) -> String {
      let head = #"{"jsonrpc":"2.0","id":1,"method":"nope","params":[""#
      let tail = #""]}"#
      return head + String(repeating: "x", count: size - head.utf8.count - tail.utf8.count) + tail
    }
    let nested64 = #"{"jsonrpc":"2.0","id":1,"method":"nope","params":"# + String(repeating: "[", count: 63)
      + String(repeating: "]", count: 63) + "}"
    return [
      bodyCase("a message of exactly 4 MiB is read", padded(to: limit), .error(-32601, id: 1)),
      bodyCase("a message of 4 MiB + 1 byte is refused", padded(to: limit + 1), .errorMentioning(-32600, id: .null, text: "exceeds the limit")),
      bodyCase("nesting of exactly 64 levels is read", nested64, .error(-32601, id: 1)),
      bodyCase("an underflowing double id reads as 0", #"{"jsonrpc":"2.0","id":1e-400,"method":"nope"}"#, .error(-32601, id: 0)),
      bodyCase("an integral double id reads as an integer", #"{"jsonrpc":"2.0","id":7.0,"method":"nope"}"#, .error(-32601, id: 7)),
      bodyCase("-0 as an id reads as 0", #"{"jsonrpc":"2.0","id":-0,"method":"nope"}"#, .error(-32601, id: 0)),
    ]
  }

  // MARK: - Wrong types for every field of every method

  /// The params of every method the server has, field by field. A new method is one entry here.
  static let methodParams: [MethodParams] = [
    MethodParams(
      "initialize",
      // A clientInfo without members counts as absent: "version" keeps it present when its "name" is taken away.
      valid: ["clientInfo": ["name": "t", "version": "1"], "workspaceFolders": [["uri": "file:///w", "name": "w"]]],
      withoutParams: .answeredInOwnServer,
      fields: [
        .init("processId", .integer(nil)),
        .init("clientInfo", .object),
        .init("clientInfo.name", .string, required: true),
        .init("clientInfo.version", .string),
        .init("locale", .string),
        .init("rootPath", .string),
        .init("rootUri", .string),
        .init("capabilities", .object),
        .init("trace", .oneOf(["off", "messages", "verbose"])),
        .init("workspaceFolders", .array),
        .init("workspaceFolders[0]", .object),
        .init("workspaceFolders[0].uri", .string, required: true),
        .init("workspaceFolders[0].name", .string, required: true),
        .init("workDoneToken", .progressToken),
      ]),
    MethodParams(
      "diagnose",
      fields: [
        .init("host", .string, invalid: ["bogus://x", "unix://", "tcp://", "ssh://"]),
        .init("context", .string, invalid: ["no-such-context"]),
        .init("deep", .boolean),
        .init("probeImage", .string),
        .init("timeoutMs", .integer(1...3_600_000)),
        .init("probeTimeoutMs", .integer(1...3_600_000)),
        .init("devcontainer", .string, invalid: [""]),
        .init("workDoneToken", .progressToken),
      ]),
    // Every case fails before the engine is diagnosed: params are checked first.
    MethodParams(
      "explain", valid: ["text": "Cannot connect to the Docker daemon"],
      fields: [
        .init("text", .string, required: true),
        .init("host", .string, invalid: ["bogus://x", "unix://"]),
        .init("context", .string, invalid: ["no-such-context"]),
        .init("timeoutMs", .integer(1...3_600_000)),
      ]),
    // Every case fails before a heal could start anything: params are checked first.
    MethodParams(
      "heal", valid: ["strategies": ["none"]], withoutParams: .notSent,
      fields: [
        .init("dryRun", .boolean),
        .init("strategies", .array),
        .init("strategies[0]", .string),
        .init("allow", .boolean),
        .init("timeoutMs", .integer(1...3_600_000)),
        .init("workDoneToken", .progressToken),
      ]),
    MethodParams(
      "waitReady", withoutParams: .notSent,
      fields: [
        .init("host", .string, invalid: ["bogus://x", "unix://"]),
        .init("context", .string, invalid: ["no-such-context"]),
        .init("timeoutMs", .integer(0...3_600_000)),
        .init("heal", .boolean),
        .init("allow", .boolean),
        .init("workDoneToken", .progressToken),
      ]),
    MethodParams(
      "watch", withoutParams: .answeredInOwnServer,
      fields: [
        .init("host", .string, invalid: ["bogus://x", "unix://"]),
        .init("context", .string, invalid: ["no-such-context"]),
        .init("intervalMs", .integer(1...3_600_000)),
        .init("recover", .boolean),
        .init("allow", .boolean),
      ]),
    MethodParams("unwatch", acceptsAnyStructuredParams: true),
    MethodParams("shutdown", acceptsAnyStructuredParams: true, shutsDown: true),
  ]

  static var wrongParamTypes: [MalformedCase] {
    methodParams.flatMap { method in
      let fieldCases = method.fields.flatMap { field in
        field.wrongValues.map { label, value in
          bodyCase(
            "\(method.name): \(field.path) = \(label)",
            request(method.name, params: method.valid.setting(field.path, to: value)),
            .errorMentioning(-32602, id: 1, text: field.path.split(separator: ".").last.map(String.init) ?? field.path))
        }
      }
      let unstructured: [(String, String)] = [("a string", #""x""#), ("a number", "1"), ("true", "true"), ("false", "false")]
      let unstructuredCases = unstructured.map { label, params in
        bodyCase(
          "\(method.name): params = \(label)", #"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":\#(params)}"#,
          invalid(id: 1))
      }
      func paramsCase(_ params: String, _ owed: MalformedCase.Owed) -> MalformedCase {
        var testCase = bodyCase(
          "\(method.name): params = \(params)", #"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":\#(params)}"#,
          owed)
        testCase.shutsDown = method.shutsDown
        return testCase
      }
      // `[]` is an empty object (Lua and PHP encode `{}` so): the method runs with its defaults.
      var arrays = [
        paramsCase(
          "[1]",
          method.acceptsAnyStructuredParams
            ? .result(id: 1) : .errorMentioning(-32602, id: 1, text: "expected an object"))
      ]
      if let required = method.fields.first(where: { $0.required && !$0.path.contains(".") }) {
        // An empty object lacks what the method requires.
        arrays.append(paramsCase("[]", .errorMentioning(-32602, id: 1, text: required.path)))
      } else if method.withoutParams != .notSent {
        var empty = paramsCase("[]", .result(id: 1))
        empty.changesSession = method.withoutParams == .answeredInOwnServer
        arrays.append(empty)
      }
      return fieldCases + unstructuredCases + arrays
    }
  }

  // MARK: - Empty objects encoded as []

  /// Lua tables (Neovim plugins) and PHP arrays encode `{}` as `[]`: read as an empty object wherever an object is
  /// expected. Each initializes the session, so each gets a server of its own.
  static var emptyObjectsAsArrays: [MalformedCase] {
    let params: [(String, JSONValue)] = [
      ("capabilities, clientInfo and initializationOptions as []",
        ["capabilities": [], "clientInfo": [], "initializationOptions": []]),
      ("capabilities.window and showMessage as []", ["capabilities": ["window": ["showMessage": []]]]),
      ("an empty clientInfo object counts as absent", ["clientInfo": [:]]),
    ]
    return params.map { name, params in
      var testCase = bodyCase("initialize: \(name)", request("initialize", params: params), .result(id: 1))
      testCase.changesSession = true
      return testCase
    }
  }

  // MARK: - LSP headers

  static var lspHeaders: [MalformedCase] {
    let next = request(id: "in-case", "nope")
    let framedNext = "Content-Length: \(next.utf8.count)\r\n\r\n\(next)"
    func lsp(
      _ name: String, _ text: String, _ owed: MalformedCase.Owed..., ending: MalformedCase.Ending = .followUp,
      comesFirst: Bool = false
    ) -> MalformedCase {
      var testCase = MalformedCase(
        name: "LSP header: \(name)", framings: [.contentLength], input: .raw(body(text)), owed: owed, ending: ending)
      testCase.comesFirst = comesFirst
      return testCase
    }
    let tooLong = MalformedCase.Owed.errorMentioning(-32700, id: .null, text: "longer than 8192 bytes")
    let notAHeader = MalformedCase.Owed.errorMentioning(-32700, id: .null, text: "not a header line")
    let longLine = "X-Long: " + String(repeating: "a", count: 9000)
    // A header block of exactly 8 KiB, its blank line included.
    let padding = 8192 - "Content-Length: \(next.utf8.count)\r\nX-Pad: \r\n\r\n".utf8.count
    let exactLimit = "Content-Length: \(next.utf8.count)\r\nX-Pad: \(String(repeating: "p", count: padding))\r\n\r\n"
    let answered = MalformedCase.Owed.error(-32601, id: "in-case")
    // Negative, non-numeric, hexadecimal, fractional, with an exponent or a sign, empty, 20 digits.
    let badLengths = ["-5", "abc", "0x2", "2.0", "2e0", "+2", "", "99999999999999999999"]
    return badLengths.map { lsp("Content-Length: \"\($0)\"", "Content-Length: \($0)\r\n\r\n{}", parseError) } + [
      lsp("no Content-Length", "Content-Type: application/json\r\n\r\n{}", parseError),
      lsp("two lengths that disagree", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", parseError),
      lsp("two lengths that agree", "Content-Length: \(next.utf8.count)\r\ncontent-length: \(next.utf8.count)\r\n\r\n\(next)", answered),
      lsp("lower-case and upper-case names", "content-length: \(next.utf8.count)\r\n\r\n\(next)", answered),
      lsp("LF-only line ends", "Content-Length: \(next.utf8.count)\n\n\(next)", answered),
      lsp("mixed line ends", "Content-Type: x\n" + "Content-Length: \(next.utf8.count)\r\n\n\(next)", answered),
      lsp("spaces around the value", "Content-Length:    \(next.utf8.count)   \r\n\r\n\(next)", answered),
      lsp("leading zeros in the value", "Content-Length: 000\(next.utf8.count)\r\n\r\n\(next)", answered),
      lsp("a Content-Type with another charset is ignored", "Content-Type: application/json; charset=latin1\r\n" + framedNext, answered),
      lsp("unknown headers are ignored", "X-Trace: 1\r\nX-Empty:\r\n" + framedNext, answered),
      lsp("a header line without a colon", "Content-Length: 2\r\nbroken line\r\n\r\n{}", parseError),
      lsp("a header name that is not a token", "Content-Length: 2\r\nBad Name: x\r\n\r\n{}", parseError),
      lsp("a JSON text in the LSP framing, then a framed message", next + "\n" + framedNext, parseError, answered),
      // `{}` is read as the body (an invalid request), its tail as a stray header line, then the next message.
      lsp("a body longer than its Content-Length", "Content-Length: 2\r\n\r\n{}tail of the body\r\n" + framedNext, invalid(), parseError, answered),
      lsp("a header block over 8 KiB", "X-Long: " + String(repeating: "a", count: 9000) + "\r\n\r\n", parseError),
      lsp("a Content-Length of 0", "Content-Length: 0\r\n\r\n", parseError),
      lsp("whitespace between messages", "\r\n\r\n  \t" + framedNext + "\r\n\r\n", answered),
      lsp("a body that is only whitespace", "Content-Length: 3\r\n\r\n   ", parseError),
      // Past 1 GiB a length is not waited for (it would swallow every message after it): the next header is read.
      lsp(
        "a length announced past what is skipped, with no body", "Content-Length: 999999999999999999\r\n\r\n",
        .errorMentioning(-32600, id: .null, text: "exceeds the limit")),
      lsp(
        "a length of 2 GB, then a framed message", "Content-Length: 2000000000\r\n\r\n" + framedNext,
        .errorMentioning(-32600, id: .null, text: "exceeds the limit"), answered),
      // `{"a":` is read as the body; the header glued to its tail is found inside the offending line.
      lsp(
        "a header glued to a body shorter than its Content-Length", "Content-Length: 5\r\n\r\n{\"a\":1}" + framedNext,
        parseError, notAHeader, answered),
      lsp("a header line over 8 KiB, then a framed message", longLine + "\r\n" + framedNext, tooLong, answered),
      lsp("a header block over 8 KiB of short lines", String(repeating: "X-A: 1\r\n", count: 1200) + "\r\n{}", tooLong),
      lsp("a header block of exactly 8 KiB is read", exactLimit + next, answered),
      // The framing is chosen from the first token: a header that is wrong from its first bytes is still a header.
      lsp(
        "first bytes: a header line over 8 KiB", longLine + "\r\n\r\n" + framedNext, tooLong, answered,
        comesFirst: true),
      lsp(
        "first bytes: Content-Length without a colon", "Content-Length 2\r\n\r\n{}" + framedNext, notAHeader,
        answered, comesFirst: true),
      lsp(
        "first bytes: a header block without Content-Length", "X-Trace: 1\r\n\r\n" + framedNext, parseError,
        answered, comesFirst: true),
      lsp(
        "first bytes: a lower-case content-length", "content-length: \(next.utf8.count)\r\n\r\n\(next)", answered,
        comesFirst: true),
      // The follow-up's first 50 bytes are read as the body, the rest is a header block cut short by the end of input.
      lsp("a header block with no body (input closed)", "Content-Length: 50\r\n\r\n", parseError, parseError, ending: .swallowsFollowUp),
      lsp("a body cut short (input closed)", "Content-Length: 500\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,", parseError, ending: .swallowsFollowUp),
      // The follow-up's header is glued to the cut one, and found inside the offending line.
      lsp(
        "a header line cut short, the next header glued to it", "Content-Length: 5",
        .errorMentioning(-32700, id: .null, text: "not a non-negative integer")),
      // The follow-up's header is read as a second, disagreeing Content-Length of the cut block.
      lsp(
        "a header block cut short before the next message (input closed)", "Content-Length: 50\r\n",
        .errorMentioning(-32700, id: .null, text: "disagree"), ending: .swallowsFollowUp),
    ]
  }

  // MARK: - Newline-delimited lines

  static var ndjsonLines: [MalformedCase] {
    func lines(_ name: String, _ text: String, _ owed: MalformedCase.Owed...) -> MalformedCase {
      MalformedCase(name: "NDJSON: \(name)", framings: [.newlineDelimited], input: .raw(body(text)), owed: owed)
    }
    let next = request(id: "in-case", "nope")
    let answered = MalformedCase.Owed.error(-32601, id: "in-case")
    return [
      lines("blank lines and whitespace are ignored", "\n\r\n  \t \n" + next + "\n\n", answered),
      lines("CRLF line ends", next + "\r\n", answered),
      lines("a raw newline inside a string splits the message", "{\"jsonrpc\":\"2.0\",\"id\":\"a\nb\",\"method\":\"x\"}\n", parseError, parseError),
      lines("a Content-Length header after the framing is fixed", "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\"}\nContent-Length: 2\n\n{}\n", parseError, invalid()),
      {
        var testCase = lines("a garbage first line", "hello world\n" + next + "\n", parseError, answered)
        testCase.comesFirst = true
        return testCase
      }(),
      lines("two messages on one line", next + next + "\n", parseError),
    ]
  }
}

/// One method's params, for the wrong-type cases.
struct MethodParams: Sendable {
  var name: String
  /// Params that are valid as they stand (required nested fields filled in); each case spoils one field.
  var valid: JSONValue
  var fields: [ParamField]
  /// Any object or array is accepted (the method has no params and ignores what it is sent).
  var acceptsAnyStructuredParams: Bool
  var shutsDown: Bool
  var withoutParams: WithoutParams

  /// How the method is sent `"params": []` (read as `{}`, so the method runs with its defaults).
  enum WithoutParams: Sendable {
    /// In the shared session: it answers at once and changes nothing.
    case answered
    /// In a session of its own: it changes the session (initialize succeeds once; a watch starts).
    case answeredInOwnServer
    /// Not sent: with its defaults it would start engines (heal) or wait the configured timeout (waitReady).
    /// PreflightServerTests' EmptyArrayParamsTests decodes its params from `[]` instead.
    case notSent
  }

  init(
    _ name: String, valid: JSONValue = [:], withoutParams: WithoutParams = .answered, fields: [ParamField] = [],
    acceptsAnyStructuredParams: Bool = false, shutsDown: Bool = false
  ) {
    self.name = name
    self.valid = valid
    self.fields = fields
    self.acceptsAnyStructuredParams = acceptsAnyStructuredParams
    self.shutsDown = shutsDown
    self.withoutParams = withoutParams
  }
}

/// A field of a method's params, and the values it must refuse.
struct ParamField: Sendable {
  enum Kind: Sendable {
    case string, boolean, object, array, progressToken
    case integer(ClosedRange<Int64>?)
    case oneOf([String])
  }

  /// `a.b[0].c`.
  var path: String
  var kind: Kind
  /// Required inside its parent: null and absence are wrong too.
  var required: Bool
  /// Values of the right type that are still wrong.
  var invalid: [JSONValue]

  init(_ path: String, _ kind: Kind, required: Bool = false, invalid: [JSONValue] = []) {
    self.path = path
    self.kind = kind
    self.required = required
    self.invalid = invalid
  }

  /// Every wrong value, labelled. `null` is absence, which optional fields accept.
  var wrongValues: [(String, JSONValue?)] {
    var values: [JSONValue]
    switch kind {
    case .string: values = [true, 0, 1.5, [], [:]]
    case .boolean: values = ["true", 0, 1, [], [:]]
    // `[]` is an empty object; a non-empty array is not.
    case .object: values = ["x", true, 0, [1]]
    case .array: values = ["x", true, 0, [:]]
    case .progressToken: values = [true, 1.5, [], [:]]
    case .oneOf: values = ["bogus", "", 0, true]
    case .integer(let range):
      values = ["1", true, 1.5, [], [:]]
      if let range {
        values += [.int(range.lowerBound - 1), .int(range.upperBound + 1), .int(.max), .int(.min)]
      }
    }
    var labelled = (values + invalid).map { ($0.description, Optional($0)) }
    if required { labelled += [("null", JSONValue.null), ("absent", nil)] }
    return labelled
  }
}

extension JSONValue {
  /// This value with the member at `path` (`a.b[0].c`) set, or removed when `value` is `nil`.
  func setting(_ path: String, to value: JSONValue?) -> JSONValue {
    var components: [Either] = []
    for part in path.split(separator: ".") {
      var name = Substring(part)
      var indices: [Int] = []
      while let open = name.lastIndex(of: "["), let index = Int(name[name.index(after: open)...].dropLast()) {
        indices.insert(index, at: 0)
        name = name[..<open]
      }
      components.append(.key(String(name)))
      components += indices.map(Either.index)
    }
    return setting(components[...], to: value)
  }

  private enum Either {
    case key(String)
    case index(Int)
  }

  private func setting(_ path: ArraySlice<Either>, to value: JSONValue?) -> JSONValue {
    guard let first = path.first else { return value ?? .null }
    switch (first, self) {
    case (.key(let key), .object(var object)):
      let child = object[key] ?? .object([:])
      object[key] = path.count == 1 ? value : child.setting(path.dropFirst(), to: value)
      return .object(object)
    case (.index(let index), .array(var array)) where array.indices.contains(index):
      if path.count == 1, value == nil { array.remove(at: index) } else {
        array[index] = path.count == 1 ? value! : array[index].setting(path.dropFirst(), to: value)
      }
      return .array(array)
    default:
      return self
    }
  }
}
