import Testing

@testable import JSON

@Suite("JSONObject: ordered members, found by comparison when small and by hashing when large")
struct JSONObjectTests {
  /// Objects on both sides of the size where a key index is kept.
  static let sizes = [0, 1, 5, JSONObject.indexedCount, JSONObject.indexedCount + 1, 40]

  static func object(size: Int, reversed: Bool = false) -> JSONObject {
    let indices = reversed ? Array((0..<size).reversed()) : Array(0..<size)
    return JSONObject(indices.map { ("key\($0)", JSONValue.int(Int64($0))) })
  }

  @Test("keys keep their order; lookups find every member", arguments: sizes)
  func orderAndLookup(size: Int) {
    let object = Self.object(size: size)
    #expect(object.keys == (0..<size).map { "key\($0)" })
    #expect(object.count == size)
    for index in 0..<size { #expect(object["key\(index)"] == .int(Int64(index))) }
    #expect(object["missing"] == nil)
    #expect(object.map(\.key) == object.keys)
  }

  @Test("setting replaces in place, nil removes, and lookups still find the rest", arguments: sizes)
  func mutation(size: Int) {
    var object = Self.object(size: size)
    object["key0"] = "replaced"
    object["added"] = true
    if size > 2 { object["key1"] = nil }
    #expect(object.count == max(size, 1) + 1 - (size > 2 ? 1 : 0))
    #expect(object["key0"] == "replaced")
    #expect(object.keys.last == "added")
    #expect(object.keys.first == "key0")
    if size > 2 {
      #expect(object["key1"] == nil)
      #expect(!object.keys.contains("key1"))
      for index in 2..<size { #expect(object["key\(index)"] == .int(Int64(index))) }
    }
    #expect(object["added"] == true)
  }

  @Test("equal and equally hashed whatever the order", arguments: sizes)
  func equalityIgnoresOrder(size: Int) {
    let forward = Self.object(size: size)
    let backward = Self.object(size: size, reversed: true)
    #expect(forward == backward)
    #expect(forward.hashValue == backward.hashValue)
    var changed = backward
    changed["key0"] = "other"
    #expect(forward != changed)
    changed["key0"] = nil
    #expect(size == 0 || forward != changed)
  }

  @Test("a parse refuses a repeated key in a large object too")
  func duplicateInLargeObject() {
    let members = (0..<30).map { "\"k\($0)\":\($0)" } + ["\"k17\":0"]
    #expect(throws: JSONError.self) { try JSONValue.parse("{" + members.joined(separator: ",") + "}") }
  }
}
