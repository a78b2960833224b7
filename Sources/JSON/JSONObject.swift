/// A JSON object that remembers the order its keys were first set in.
///
/// Equality ignores order: two objects are equal when they hold the same keys with equal values.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
  public private(set) var keys: [String] = []
  private var values: [String: JSONValue] = [:]

  public init() {}

  /// An empty object with room for `capacity` keys: what a parse of a known size starts from.
  init(capacity: Int) {
    keys.reserveCapacity(capacity)
    values.reserveCapacity(capacity)
  }

  /// Adds a key not yet present; `false` when it is (its value is then replaced): for a parse that refuses duplicates
  /// and drops the object.
  mutating func insertNew(_ key: String, _ value: JSONValue) -> Bool {
    guard values.updateValue(value, forKey: key) == nil else { return false }
    keys.append(key)
    return true
  }

  /// The members in key order, without the boxed iterator of `makeIterator()`: what the serializer walks.
  func forEachMember(_ body: (String, JSONValue) -> Void) {
    for key in keys { body(key, values[key]!) }
  }

  public init(_ pairs: some Sequence<(String, JSONValue)>) {
    for (key, value) in pairs { self[key] = value }
  }

  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self.init(elements)
  }

  public var count: Int { keys.count }
  public var isEmpty: Bool { keys.isEmpty }

  /// Setting `nil` removes the key.
  public subscript(key: String) -> JSONValue? {
    get { values[key] }
    set {
      if let newValue {
        if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
      } else if values.removeValue(forKey: key) != nil {
        keys.removeAll { $0 == key }
      }
    }
  }

  public func makeIterator() -> some IteratorProtocol<(key: String, value: JSONValue)> {
    var index = keys.startIndex
    return AnyIterator { [keys, values] in
      guard index < keys.endIndex else { return nil }
      defer { index += 1 }
      let key = keys[index]
      return (key, values[key]!)
    }
  }

  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.values == rhs.values }
  public func hash(into hasher: inout Hasher) { hasher.combine(values) }
}
