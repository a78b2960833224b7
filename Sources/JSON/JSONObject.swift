/// A JSON object that remembers the order its keys were first set in.
///
/// Equality ignores order: two objects are equal when they hold the same keys with equal values.
///
/// The members are an array searched in order; a dictionary from key to position is kept only for objects of more
/// than ``indexedCount`` members. Messages are mostly objects of a few keys, and for those hashing every key
/// (Hasher's setup and finalization) cost more than comparing it: it was a fifth of `serve`'s instructions.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
  private var members: [(key: String, value: JSONValue)] = []
  /// Key → position in `members`, for large objects only (`nil` at or below ``indexedCount``).
  private var positions: [String: Int]?

  /// The size past which keys are found by hashing rather than by comparison.
  static let indexedCount = 12

  public init() {}

  /// An empty object with room for `capacity` keys: what a parse of a known size starts from.
  init(capacity: Int) {
    members.reserveCapacity(capacity)
  }

  public init(_ pairs: some Sequence<(String, JSONValue)>) {
    for (key, value) in pairs { self[key] = value }
  }

  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self.init(elements)
  }

  /// The keys in order.
  public var keys: [String] { members.map(\.key) }
  public var count: Int { members.count }
  public var isEmpty: Bool { members.isEmpty }

  /// Where `key` is among the members.
  private func position(of key: String) -> Int? {
    if let positions { return positions[key] }
    for index in members.indices where members[index].key == key { return index }
    return nil
  }

  /// Adds a key not yet present; `false` (and no change) when it is: for a parse that refuses duplicates.
  mutating func insertNew(_ key: String, _ value: JSONValue) -> Bool {
    guard position(of: key) == nil else { return false }
    append(key, value)
    return true
  }

  private mutating func append(_ key: String, _ value: JSONValue) {
    members.append((key, value))
    if positions != nil {
      positions![key] = members.count - 1
    } else if members.count > Self.indexedCount {
      rebuildPositions()
    }
  }

  private mutating func rebuildPositions() {
    guard members.count > Self.indexedCount else { return positions = nil }
    var positions: [String: Int] = [:]
    positions.reserveCapacity(members.count)
    for (index, member) in members.enumerated() { positions[member.key] = index }
    self.positions = positions
  }

  /// The members in key order, without an iterator: what the serializer walks.
  func forEachMember(_ body: (String, JSONValue) -> Void) {
    for member in members { body(member.key, member.value) }
  }

  /// Setting `nil` removes the key.
  public subscript(key: String) -> JSONValue? {
    get { position(of: key).map { members[$0].value } }
    set {
      let existing = position(of: key)
      switch (existing, newValue) {
      case (let index?, let newValue?): members[index].value = newValue
      case (nil, let newValue?): append(key, newValue)
      case (let index?, nil):
        members.remove(at: index)
        if positions != nil { rebuildPositions() }
      case (nil, nil): break
      }
    }
  }

  public func makeIterator() -> some IteratorProtocol<(key: String, value: JSONValue)> {
    members.makeIterator()
  }

  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    guard lhs.count == rhs.count else { return false }
    for member in lhs.members where rhs[member.key] != member.value { return false }
    return true
  }

  /// Independent of order, as equality is: each member hashed alone, the results combined commutatively (as
  /// `Dictionary` does).
  public func hash(into hasher: inout Hasher) {
    var commutative = 0
    for member in members {
      var memberHasher = hasher
      memberHasher.combine(member.key)
      memberHasher.combine(member.value)
      commutative ^= memberHasher.finalize()
    }
    hasher.combine(count)
    hasher.combine(commutative)
  }
}
