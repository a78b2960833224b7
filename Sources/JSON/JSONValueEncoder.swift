/// Encodes `Encodable` types into a ``JSONValue``, keeping keys in the order the type encodes them.
public struct JSONValueEncoder: Sendable {
  public init() {}

  public func encode(_ value: some Encodable) throws -> JSONValue {
    let encoder = ValueEncoder(codingPath: [])
    try encoder.encodeValue(value)
    return encoder.node.value
  }
}

/// A value under construction; containers hand out child nodes and fold them in when asked for the result.
final class EncodingNode {
  enum Content {
    case value(JSONValue)
    case array([EncodingNode])
    case object([(String, EncodingNode)])
  }
  var content: Content = .value(.null)

  var value: JSONValue {
    get {
      switch content {
      case .value(let value): value
      case .array(let nodes): .array(nodes.map(\.value))
      case .object(let members): .object(JSONObject(members.map { ($0.0, $0.1.value) }))
      }
    }
    set { content = .value(newValue) }
  }

  func child(forKey key: String) -> EncodingNode {
    let node = EncodingNode()
    if case .object(var members) = content {
      members.removeAll { $0.0 == key }
      members.append((key, node))
      content = .object(members)
    } else {
      content = .object([(key, node)])
    }
    return node
  }

  func appendChild() -> EncodingNode {
    let node = EncodingNode()
    if case .array(let nodes) = content {
      content = .array(nodes + [node])
    } else {
      content = .array([node])
    }
    return node
  }

  func makeObject() { if case .object = content {} else { content = .object([]) } }
  func makeArray() { if case .array = content {} else { content = .array([]) } }
}

final class ValueEncoder: Encoder {
  let node: EncodingNode
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  /// Writes into `node`: a fresh one for a value of its own, an existing one for `superEncoder`.
  init(node: EncodingNode = EncodingNode(), codingPath: [any CodingKey]) {
    self.node = node
    self.codingPath = codingPath
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    node.makeObject()
    return KeyedEncodingContainer(KeyedContainer(node: node, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    node.makeArray()
    return UnkeyedContainer(node: node, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

  func encodeValue(_ value: some Encodable) throws {
    switch value {
    case let value as JSONValue: node.value = value
    case let value as Bool: node.value = .bool(value)
    case let value as String: node.value = .string(value)
    case let value as Double: node.value = .double(value)
    case let value as Float: node.value = .double(Double(value))
    case let value as Int: node.value = .int(Int64(value))
    case let value as Int64: node.value = .int(value)
    case let value as Int32: node.value = .int(Int64(value))
    case let value as UInt32: node.value = .int(Int64(value))
    case let value as UInt:
      node.value = Int64(exactly: value).map(JSONValue.int) ?? .double(Double(value))
    case let value as UInt64:
      node.value = Int64(exactly: value).map(JSONValue.int) ?? .double(Double(value))
    default: try value.encode(to: self)
    }
  }

  static func encode(_ value: some Encodable, into node: EncodingNode, codingPath: [any CodingKey]) throws {
    let encoder = ValueEncoder(codingPath: codingPath)
    try encoder.encodeValue(value)
    node.content = encoder.node.content
  }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let node: EncodingNode
  let codingPath: [any CodingKey]

  mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).value = .null }

  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    try ValueEncoder.encode(value, into: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
    -> KeyedEncodingContainer<NestedKey>
  {
    let child = node.child(forKey: key.stringValue)
    child.makeObject()
    return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    let child = node.child(forKey: key.stringValue)
    child.makeArray()
    return UnkeyedContainer(node: child, codingPath: codingPath + [key])
  }

  mutating func superEncoder() -> any Encoder { superEncoder(forKey: JSONKey(stringValue: "super")) }
  mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(forKey: key as any CodingKey) }

  private func superEncoder(forKey key: any CodingKey) -> any Encoder {
    ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
  }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
  let node: EncodingNode
  let codingPath: [any CodingKey]
  var count: Int {
    if case .array(let nodes) = node.content { return nodes.count }
    return 0
  }

  mutating func encodeNil() throws { node.appendChild().value = .null }

  mutating func encode<T: Encodable>(_ value: T) throws {
    let path = codingPath + [JSONKey(intValue: count)]
    try ValueEncoder.encode(value, into: node.appendChild(), codingPath: path)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    let path = codingPath + [JSONKey(intValue: count)]
    let child = node.appendChild()
    child.makeObject()
    return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: path))
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let path = codingPath + [JSONKey(intValue: count)]
    let child = node.appendChild()
    child.makeArray()
    return UnkeyedContainer(node: child, codingPath: path)
  }

  mutating func superEncoder() -> any Encoder {
    ValueEncoder(node: node.appendChild(), codingPath: codingPath + [JSONKey(intValue: count)])
  }
}

private struct SingleContainer: SingleValueEncodingContainer {
  let encoder: ValueEncoder
  var codingPath: [any CodingKey] { encoder.codingPath }
  mutating func encodeNil() throws { encoder.node.value = .null }
  mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encodeValue(value) }
}
