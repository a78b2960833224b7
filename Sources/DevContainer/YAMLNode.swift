/// A node of a YAML document as Compose files use them: mappings with scalar keys, sequences and scalars, aliases
/// already resolved and merge keys (`<<`) applied. Scalars keep their text; Compose gives them types by where they are.
public struct YAMLNode: Sendable, Hashable {
  public enum Content: Sendable, Hashable {
    case scalar(String)
    case sequence([YAMLNode])
    case mapping([Entry])
  }

  /// A key of a mapping, in document order.
  public struct Entry: Sendable, Hashable {
    public var key: String
    public var value: YAMLNode
  }

  public var content: Content
  /// The explicit tag (`!override`, `!reset`, `!!str`), if any.
  public var tag: String?
  /// A scalar written without quotes: only these can be `null` (`~`, `null`, or nothing at all).
  public var isPlain: Bool
  /// Where the node starts, 1-based.
  public var line: Int
  public var column: Int

  public var scalar: String? {
    guard case .scalar(let text) = content, !isNull else { return nil }
    return text
  }

  public var sequence: [YAMLNode]? {
    guard case .sequence(let items) = content else { return nil }
    return items
  }

  public var entries: [Entry]? {
    guard case .mapping(let entries) = content else { return nil }
    return entries
  }

  public var isNull: Bool {
    guard case .scalar(let text) = content, isPlain, tag == nil else { return false }
    return ["", "~", "null", "Null", "NULL"].contains(text)
  }

  /// The value of `key` in a mapping; `nil` for an absent key or a node that is not a mapping.
  public subscript(key: String) -> YAMLNode? {
    entries?.first { $0.key == key }?.value
  }

  /// What the node is, for messages: `a mapping`, `a sequence`, `a scalar`, `null`.
  public var kindName: String {
    switch content {
    case .mapping: "a mapping"
    case .sequence: "a sequence"
    case .scalar: isNull ? "null" : "a scalar"
    }
  }
}
