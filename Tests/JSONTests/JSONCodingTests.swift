import JSON
import Testing

@Suite("Codable bridging to JSONValue")
struct JSONCodingTests {
  struct Params: Codable, Equatable {
    var name: String
    var timeoutMs: Int?
    var deep: Bool?
    var tags: [String]
    var extra: JSONValue?
    var nested: Nested?
    struct Nested: Codable, Equatable { var level: Double }
  }

  @Test("encoding keeps declaration order and omits nil optionals")
  func encodeOrder() throws {
    let value = try JSONValueEncoder().encode(Params(name: "x", timeoutMs: 5, deep: nil, tags: ["a"], extra: nil))
    #expect(value.description == #"{"name":"x","timeoutMs":5,"tags":["a"]}"#)
  }

  @Test("a value round-trips through encode and decode")
  func roundTrip() throws {
    let params = Params(
      name: "é", timeoutMs: 1, deep: true, tags: [], extra: ["k": [1, "2", nil]], nested: .init(level: 0.5))
    let value = try JSONValueEncoder().encode(params)
    #expect(try JSONValueDecoder().decode(Params.self, from: value) == params)
  }

  @Test("null and absent are the same to optionals; unknown keys are ignored")
  func nullIsAbsent() throws {
    let decoded = try JSONValueDecoder().decode(
      Params.self, from: try JSONValue.parse(#"{"name":"n","timeoutMs":null,"tags":[],"unknown":1}"#))
    #expect(decoded.timeoutMs == nil)
  }

  @Test(
    "a type mismatch names the path and both types",
    arguments: [
      (#"{"name":1,"tags":[]}"#, "name", "expected a string, found integer"),
      (#"{"name":"n","tags":[3]}"#, "tags.0", "expected a string, found integer"),
      (#"{"name":"n","tags":[],"timeoutMs":"5"}"#, "timeoutMs", "expected an integer, found string"),
      (#"{"name":"n","tags":[],"timeoutMs":1.5}"#, "timeoutMs", "expected an integer, found number"),
      (#"{"name":"n","tags":[],"nested":{"level":true}}"#, "nested.level", "expected a number, found boolean"),
    ])
  func mismatch(text: String, path: String, message: String) throws {
    let value = try JSONValue.parse(text)
    do {
      _ = try JSONValueDecoder().decode(Params.self, from: value)
      Issue.record("decoded \(text)")
    } catch DecodingError.typeMismatch(_, let context) {
      #expect(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") == path)
      #expect(context.debugDescription == message)
    }
  }

  struct Options: Codable, Equatable {
    var deep: Bool?
    var labels: [String: String]?
  }

  @Test("an empty array reads as an empty object where an object is expected (Lua and PHP encode {} so)")
  func emptyArrayIsEmptyObject() throws {
    #expect(try JSONValueDecoder().decode(Options.self, from: []) == Options())
    #expect(try JSONValueDecoder().decode(Options.self, from: ["labels": []]) == Options(labels: [:]))
    #expect(try JSONValueDecoder().decode([String: Int].self, from: []) == [:])
    // Read as an object, so a required member is still missing.
    #expect(throws: DecodingError.self) {
      try JSONValueDecoder().decode(Params.self, from: ["name": "n", "tags": [], "nested": []])
    }
    // Where an array is expected, it stays an array.
    #expect(try JSONValueDecoder().decode(Params.self, from: ["name": "n", "tags": []]).tags == [])
  }

  @Test(
    "only an empty array stands for an object: anything else is a type mismatch",
    arguments: [[1], [[]], [[:]], [nil], "", 0, true] as [JSONValue])
  func notAnObject(value: JSONValue) {
    do {
      _ = try JSONValueDecoder().decode(Options.self, from: ["labels": value])
      Issue.record("decoded \(value) as an object")
    } catch DecodingError.typeMismatch(_, let context) {
      #expect(context.debugDescription == "expected an object, found \(value.typeName)")
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test("objectValueAllowingEmptyArray: an object's members, none for [], nil for anything else")
  func objectValueAllowingEmptyArray() {
    #expect(JSONValue.object(["a": 1]).objectValueAllowingEmptyArray == ["a": 1])
    #expect(JSONValue.array([]).objectValueAllowingEmptyArray == JSONObject())
    #expect(JSONValue.array([1]).objectValueAllowingEmptyArray == nil)
    #expect(JSONValue.null.objectValueAllowingEmptyArray == nil)
  }

  @Test("a missing required key is reported")
  func missingKey() throws {
    #expect(throws: DecodingError.self) {
      try JSONValueDecoder().decode(Params.self, from: ["tags": []])
    }
  }

  @Test("integers out of range for the target type are refused")
  func outOfRange() throws {
    struct Small: Codable { var value: Int32 }
    #expect(throws: DecodingError.self) {
      try JSONValueDecoder().decode(Small.self, from: ["value": .int(Int64(Int32.max) + 1)])
    }
  }
}
