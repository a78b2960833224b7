import Foundation
import Testing

@testable import JSON

/// The Swift parser must accept only what jansson accepts, and make the same value of it: what it refuses goes to
/// jansson, which then reports the error, so a refusal is only slower, but an acceptance jansson would not make
/// would change what the server answers.
@Suite("JSON parsing in Swift agrees with jansson")
struct JSONTextParserTests {
  /// Parses with the Swift parser alone: the value, or nil for a refusal.
  static func swiftParse(_ bytes: [UInt8], maxDepth: Int = JSONLimits.default.maxDepth) -> JSONValue? {
    bytes.withUnsafeBytes { buffer in
      var parser = JSONTextParser(buffer, maxDepth: maxDepth)
      return try? parser.parseDocument()
    }
  }

  static func janssonParse(_ bytes: [UInt8]) -> Result<JSONValue, JSONError> {
    bytes.withUnsafeBytes { buffer in
      Result { () throws(JSONError) in try JSONValue.parseWithJansson(buffer, limits: JSONLimits(maxDepth: 1000)) }
    }
  }

  /// Same value, same text (so `-0.0` and `0.0`, or `1` and `1.0`, are told apart) and the same key order.
  static func expectAgreement(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    let input = String(decoding: bytes, as: UTF8.self).debugDescription
    guard let ours = swiftParse(bytes) else { return }
    switch janssonParse(bytes) {
    case .success(let theirs):
      #expect(ours == theirs, "value of \(input)", sourceLocation: sourceLocation)
      #expect(ours.serialized() == theirs.serialized(), "text of \(input)", sourceLocation: sourceLocation)
    case .failure(let error):
      Issue.record("Swift accepted \(input), jansson refused it: \(error)", sourceLocation: sourceLocation)
    }
  }

  /// "é" decomposed, then composed: different bytes, equal Swift strings.
  static let canonicallyEqualKeysText = "{\"e\u{301}\":1,\"\u{E9}\":2}"

  static let edgeCases: [String] = [
    "", " ", "null", " null ", "\tnull\r\n", "nul", "nulll", "truex", "true false", "True", "[true,false,null]",
    "0", "-0", "-", "--1", "+1", "01", "-01", "00", "1.", ".5", "1.5", "-0.0", "0.0", "1e5", "1E+5", "1e-5", "1e",
    "1e+", "1.5e3", "0e0", "1x", "1 2", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "18446744073709551616", "99999999999999999999999", "1e308", "1e309", "-1e309",
    "1e-400", "2.2250738585072014e-308", "4.9e-324", "0.1", "123456789012345678901234567890.5",
    "1.7976931348623157e308", "0.30000000000000004", "100000000000000000000000.0", "1E400", "1.0e-0",
    #""""#, #""a""#, #""\""#, #""\"""#, #""\\""#, #""\/""#, #""\b\f\n\r\t""#, #""\a""#, #""\x41""#, #""\'""#,
    #""\u0041""#, #""\u00e9\u00E9""#, #""\u0000""#, #""a\u0000b""#, #""\u001f""#, #""\u12""#, #""\u12g4""#,
    #""\ud83d\ude00""#, #""\ud83d""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ude00""#, #""\ude00\ud83d""#,
    #""\uD800\uDC00""#, #""\uDBFF\uDFFF""#, #""\ud83d\\ude00""#, #""\ud83d\"#, "\"a\nb\"", "\"a\tb\"", "\"\u{7f}\"",
    "\"é€😀\"", "\"unterminated", "[", "]", "[]", "[ ]", "[1,]", "[,1]", "[1 2]", "[1,,2]", "[[]]", "[[[]]",
    "{", "}", "{}", "{ }", #"{"a":1}"#, #"{"a" : 1 , "b" : [ ] }"#, #"{"a":1,}"#, #"{,"a":1}"#, #"{"a"}"#,
    #"{"a":}"#, #"{"a"::1}"#, #"{a:1}"#, #"{1:1}"#, #"{"a":1 "b":2}"#, #"{"a":1,"a":2}"#, #"{"a":1,"b":{"a":2}}"#,
    #"{"\u0000":1}"#, #"{"a\u0000":1}"#, #"{"":1}"#, #"{"":1,"":2}"#, #"{"\u0061":1,"a":2}"#, #"{"a":1}}"#,
    #"{"é":1,"é":2}"#, JSONTextParserTests.canonicallyEqualKeysText, "[1]x", "[1] ", "[1]\u{0}", "\u{0}", "NaN",
    "Infinity", "-Infinity", "'x'", "\u{FEFF}null", "[\"\\u0000\"]",
    #"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":[1,2.5,"s"]}}"#,
  ]

  @Test("edge cases: what Swift accepts, jansson accepts with the same value")
  func edgeCaseAgreement() {
    for text in Self.edgeCases { Self.expectAgreement(Array(text.utf8)) }
  }

  @Test("what jansson accepts among the edge cases, Swift accepts too (so that it stays the fast path)")
  func acceptsWhatJanssonAccepts() {
    // Refused by Swift on purpose although jansson accepts them: keys that Swift's String calls equal.
    let leftToJansson: Set<String> = [Self.canonicallyEqualKeysText]
    for text in Self.edgeCases where !leftToJansson.contains(text) {
      let bytes = Array(text.utf8)
      if case .success = Self.janssonParse(bytes) {
        #expect(Self.swiftParse(bytes) != nil, "Swift refused \(text.debugDescription)")
      }
    }
  }

  @Test(
    "invalid UTF-8 is refused anywhere, well-formed sequences of every length are kept",
    arguments: [
      [0x22, 0xC3, 0x28, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22],
      [0x22, 0xE0, 0x80, 0xAF, 0x22], [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
      [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0x80, 0x22],
      [0x22, 0x5C, 0x6E, 0xC3, 0x22], [0xC3, 0xA9], [0x22, 0xC3, 0xA9, 0x22], [0x22, 0xE2, 0x82, 0xAC, 0x22],
      [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22], [0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0x22], [0x22, 0xEF, 0xBF, 0xBF, 0x22],
      [0x22, 0x5C, 0x6E, 0xF0, 0x9F, 0x98, 0x80, 0x22], [0x22, 0xED, 0x9F, 0xBF, 0x22],
    ] as [[UInt8]])
  func utf8(bytes: [UInt8]) {
    Self.expectAgreement(bytes)
    if case .success = Self.janssonParse(bytes) { #expect(Self.swiftParse(bytes) != nil) }
  }

  @Test("nesting: within the limit is parsed, past it refused (and then reported by the nesting scanner)")
  func depth() throws {
    let eight = Array((String(repeating: "[", count: 8) + String(repeating: "]", count: 8)).utf8)
    #expect(Self.swiftParse(eight, maxDepth: 8) != nil)
    #expect(Self.swiftParse(eight, maxDepth: 7) == nil)
    let objects = Array((String(repeating: #"{"a":"#, count: 9) + "1" + String(repeating: "}", count: 9)).utf8)
    #expect(Self.swiftParse(objects, maxDepth: 8) == nil)
    #expect(throws: JSONError.tooDeep(limit: 8)) { try JSONValue.parse(objects, limits: JSONLimits(maxDepth: 8)) }
    // Past its own recursion limit the Swift parser hands over to jansson, even when the caller allows more.
    let deep = Array((String(repeating: "[", count: 300) + String(repeating: "]", count: 300)).utf8)
    #expect(Self.swiftParse(deep, maxDepth: 1000) == nil)
    #expect(try JSONValue.parse(deep, limits: JSONLimits(maxDepth: 1000)) == Self.janssonParse(deep).get())
  }

  @Test("keys Swift calls equal but jansson does not are kept as the jansson path always kept them")
  func canonicallyEqualKeys() throws {
    let value = try JSONValue.parse(Self.canonicallyEqualKeysText)
    #expect(Self.swiftParse(Array(Self.canonicallyEqualKeysText.utf8)) == nil)
    #expect(value.objectValue?.count == 1)
    #expect(value["é"] == .int(2))
  }

  @Test("every document in the fuzz corpus, line by line, gets the same answer")
  func fuzzCorpus() throws {
    let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fuzz/corpus")
    let files = try FileManager.default.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil)
    #expect(files.count > 10)
    for file in files {
      let data = try [UInt8](Data(contentsOf: file))
      for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        Self.expectAgreement(Array(line))
      }
    }
  }

  @Test("mutations of valid messages: what Swift accepts, jansson accepts with the same value")
  func mutations() {
    let seeds = [
      #"{"jsonrpc":"2.0","id":7,"method":"diagnose","params":{"deep":true,"host":"unix:///x.sock","n":-1.5e3}}"#,
      #"[{"a":[1,2,{"b":null}]},"\u00e9\ud83d\ude00\n",-0,0.25,1E2,[],{}]"#,
    ].map { Array($0.utf8) }
    let alphabet = Array(#"{}[]:,"\/ubfnrt0123456789.eE+-aAxé"#.utf8) + [0x00, 0x0A, 0x20, 0x80, 0xC3, 0xED, 0xFF]
    var generator = SplitMix64(seed: 16)
    for _ in 0..<20_000 {
      var bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
      for _ in 0..<(1 + generator.next() % 3) {
        let index = Int(generator.next() % UInt64(bytes.count))
        switch generator.next() % 3 {
        case 0: bytes[index] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
        case 1: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: index)
        default: bytes.remove(at: index)
        }
        if bytes.isEmpty { break }
      }
      Self.expectAgreement(bytes)
    }
  }
}

/// A small seeded generator, so that the mutations are the same on every run.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
