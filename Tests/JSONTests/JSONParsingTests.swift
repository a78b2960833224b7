import JSON
import Foundation
import Testing

@Suite("JSON parsing and serialization through jansson")
struct JSONParsingTests {
  @Test(
    "text round-trips to the same compact text",
    arguments: [
      #"null"#, #"true"#, #"false"#, #"0"#, #"-1"#, #"9223372036854775807"#, #"-9223372036854775808"#,
      #"1.5"#, #"-0.25"#, #""""#, #"[]"#, #"{}"#, #"[[],{}]"#, #"{"b":1,"a":2,"c":[true,null]}"#,
      #""\"\\\/\b\f\n\r\t""#, #""\u0000x\u001F""#, #""é€😀""#, #"{"":""}"#,
    ])
  func roundTrip(text: String) throws {
    let value = try JSONValue.parse(text)
    let expected = text.replacingOccurrences(of: #"\/"#, with: "/")
    #expect(String(decoding: value.serialized(), as: UTF8.self) == expected)
  }

  @Test(
    "escapes decode to the right characters",
    arguments: [
      (#""\u00e9""#, "é"), (#""\ud83d\ude00""#, "😀"), (#""a\u0000b""#, "a\u{0}b"), (#""\/""#, "/"),
      (#""\t\n""#, "\t\n"), (#""\u20ac""#, "€"),
    ])
  func escapes(text: String, expected: String) throws {
    let value = try JSONValue.parse(text)
    #expect(value == .string(expected))
    #expect(value.stringValue?.utf8.count == expected.utf8.count)
  }

  @Test("doubles parse back to the same value", arguments: [1e300, -0.1, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 0.5])
  func doubleRoundTrip(value: Double) throws {
    #expect(try JSONValue.parse(JSONValue.double(value).serialized()) == .double(value))
  }

  @Test("integers keep their exact value up to Int64's limits")
  func integerLimits() throws {
    #expect(try JSONValue.parse("9223372036854775807") == .int(.max))
    #expect(try JSONValue.parse("-9223372036854775808") == .int(.min))
    #expect(try JSONValue.parse("2.5") == .double(2.5))
    #expect(try JSONValue.parse("0.1").doubleValue == 0.1)
  }

  @Test("objects keep key order on output and compare without it")
  func keyOrder() throws {
    let value = try JSONValue.parse(#"{"z":1,"a":2,"m":3}"#)
    #expect(value.objectValue?.keys == ["z", "a", "m"])
    #expect(value == (try JSONValue.parse(#"{"a":2,"m":3,"z":1}"#)))
    #expect(value.description == #"{"z":1,"a":2,"m":3}"#)
  }

  @Test(
    "malformed input is rejected with the reason",
    arguments: [
      ("", "unexpected token near end of file"), ("{", "end of file"), (#"{"a":}"#, "unexpected token"),
      ("[1] x", "end of file expected"), (#""\ud800""#, "invalid Unicode"), ("NaN", "invalid token"),
      ("Infinity", "invalid token"), ("99999999999999999999", "too big"), ("1e400", "overflow"),
      (#"{"a":1,"a":2}"#, "duplicate"), ("[1,]", "unexpected token"), ("'x'", "invalid token"),
    ])
  func rejects(text: String, reasonFragment: String) {
    #expect {
      try JSONValue.parse(text)
    } throws: { error in
      guard case JSONError.invalid(let reason, _, _, _) = error else { return false }
      return reason.localizedLowercase.contains(reasonFragment.localizedLowercase)
    }
  }

  @Test("invalid UTF-8 is rejected", arguments: [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]])
  func invalidUTF8(bytes: [UInt8]) {
    #expect(throws: JSONError.self) { try JSONValue.parse(bytes) }
  }

  @Test("nesting past the limit is refused before jansson recurses")
  func depthLimit() throws {
    let limits = JSONLimits(maxDepth: 8)
    #expect(try JSONValue.parse(String(repeating: "[", count: 8) + String(repeating: "]", count: 8), limits: limits) != nil)
    #expect(throws: JSONError.tooDeep(limit: 8)) {
      try JSONValue.parse(String(repeating: "[", count: 9) + String(repeating: "]", count: 9), limits: limits)
    }
    // Brackets inside strings do not count, escaped quotes do not end the string.
    #expect(try JSONValue.parse(#"["[[[[[[[[[[\"[[[[[[[[["]"#, limits: limits).arrayValue?.count == 1)
    // Far deeper than jansson's own limit: refused quickly, no stack exhaustion.
    #expect(throws: JSONError.tooDeep(limit: JSONLimits.default.maxDepth)) {
      try JSONValue.parse(String(repeating: "[", count: 100_000))
    }
  }

  @Test("input over the size limit is refused")
  func sizeLimit() {
    #expect(throws: JSONError.tooLarge(size: 12, limit: 10)) {
      try JSONValue.parse(#""0123456789""#, limits: JSONLimits(maxBytes: 10))
    }
  }

  @Test("non-finite doubles serialize as null")
  func nonFinite() {
    #expect(JSONValue.array([.double(.nan), .double(.infinity)]).description == "[null,null]")
  }

  @Test("errors carry line and column")
  func errorPosition() {
    #expect(throws: JSONError.self) { try JSONValue.parse("{\n  \"a\": tru\n}") }
    do {
      _ = try JSONValue.parse("{\n  \"a\": tru\n}")
    } catch {
      guard case .invalid(_, let line, _, _) = error else { Issue.record("wrong error \(error)"); return }
      #expect(line == 2)
    }
  }
}
