import CYAML

/// Reads the first document of a YAML stream into a `YAMLNode` with libyaml's event parser: anchors and aliases
/// resolved, merge keys (`<<`) applied, a key repeated in one mapping refused (as Compose's YAML reader refuses it).
/// Errors name the file, the 1-based line and column, and libyaml's own words.
enum YAMLLoader {
  /// What aliases may expand to, in nodes: a document of a few aliases that nest (the "billion laughs") is refused
  /// rather than walked.
  static let nodeBudget = 1_000_000

  /// `nil` for an empty stream.
  static func load(_ bytes: [UInt8], path: String) throws(DevContainerError) -> YAMLNode? {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else {
      throw .unreadable(path: path, reason: "libyaml could not allocate a parser")
    }
    defer { yaml_parser_delete(&parser) }
    return try bytes.withUnsafeBufferPointer { (buffer) throws(DevContainerError) -> YAMLNode? in
      yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
      var builder = Builder(path: path)
      while true {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { throw problem(parser, path: path) }
        defer { yaml_event_delete(&event) }
        if event.type == YAML_STREAM_END_EVENT { return builder.root }
        try builder.handle(event)
      }
    }
  }

  /// libyaml's problem at its mark (0-based there), with the context it was in (`while parsing a block mapping`).
  private static func problem(_ parser: yaml_parser_t, path: String) -> DevContainerError {
    let mark = parser.problem != nil ? parser.problem_mark : parser.context_mark
    var reason = parser.problem.map { String(cString: $0) } ?? "the YAML parser failed"
    if let context = parser.context {
      reason +=
        " (\(String(cString: context)) at line \(parser.context_mark.line + 1), column "
        + "\(parser.context_mark.column + 1))"
    }
    return .malformed(path: path, line: Int(mark.line) + 1, column: Int(mark.column) + 1, reason: reason)
  }

  /// Nodes under construction, innermost last.
  private struct Builder {
    let path: String
    var root: YAMLNode?
    var documents = 0
    var stack: [Frame] = []
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var size = 0

    struct Frame {
      var node: YAMLNode
      var anchor: String?
      var items: [YAMLNode] = []
      var entries: [YAMLNode.Entry] = []
      var pendingKey: String?
      var keys: Set<String> = []
      var size = 1
      var isMapping: Bool
    }

    mutating func handle(_ event: yaml_event_t) throws(DevContainerError) {
      let line = Int(event.start_mark.line) + 1
      let column = Int(event.start_mark.column) + 1
      switch event.type {
      case YAML_DOCUMENT_START_EVENT:
        documents += 1
      case YAML_SCALAR_EVENT:
        guard documents == 1 else { return }
        let scalar = event.data.scalar
        let text = String(
          decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
        let node = YAMLNode(
          content: .scalar(text), tag: Self.string(scalar.tag), isPlain: scalar.style == YAML_PLAIN_SCALAR_STYLE,
          line: line, column: column)
        try attach(node, size: 1, anchor: Self.string(scalar.anchor))
      case YAML_ALIAS_EVENT:
        guard documents == 1 else { return }
        let name = Self.string(event.data.alias.anchor) ?? ""
        guard let (node, size) = anchors[name] else {
          throw .malformed(path: path, line: line, column: column, reason: "found undefined alias \"\(name)\"")
        }
        try attach(node, size: size, anchor: nil)
      case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
        guard documents == 1 else { return }
        let isMapping = event.type == YAML_MAPPING_START_EVENT
        let (tag, anchor) =
          isMapping
          ? (Self.string(event.data.mapping_start.tag), Self.string(event.data.mapping_start.anchor))
          : (Self.string(event.data.sequence_start.tag), Self.string(event.data.sequence_start.anchor))
        let node = YAMLNode(
          content: isMapping ? .mapping([]) : .sequence([]), tag: tag, isPlain: false, line: line, column: column)
        stack.append(Frame(node: node, anchor: anchor, isMapping: isMapping))
      case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
        guard documents == 1, var frame = stack.popLast() else { return }
        frame.node.content = frame.isMapping ? .mapping(try merged(frame.entries)) : .sequence(frame.items)
        try attach(frame.node, size: frame.size, anchor: frame.anchor)
      default:
        break
      }
    }

    private mutating func attach(_ node: YAMLNode, size nodeSize: Int, anchor: String?) throws(DevContainerError) {
      size += nodeSize
      guard size <= YAMLLoader.nodeBudget else {
        throw .malformed(
          path: path, line: node.line, column: node.column,
          reason: "aliases expand to more than \(YAMLLoader.nodeBudget) nodes")
      }
      if let anchor { anchors[anchor] = (node, nodeSize) }
      guard var frame = stack.popLast() else {
        root = node
        return
      }
      frame.size += nodeSize
      if !frame.isMapping {
        frame.items.append(node)
      } else if let key = frame.pendingKey {
        frame.entries.append(YAMLNode.Entry(key: key, value: node))
        frame.pendingKey = nil
      } else {
        guard case .scalar(let text) = node.content else {
          throw .malformed(
            path: path, line: node.line, column: node.column,
            reason: "a mapping key must be a scalar, not "
              + node.kindName)
        }
        // Several merge keys are allowed; any other key only once.
        guard text == "<<" || frame.keys.insert(text).inserted else {
          throw .malformed(
            path: path, line: node.line, column: node.column, reason: "mapping key \"\(text)\" already defined")
        }
        frame.pendingKey = text
      }
      stack.append(frame)
    }

    /// The entries with the mappings `<<` names folded in: keys of the mapping itself win, then the earlier of the
    /// merged mappings.
    private func merged(_ entries: [YAMLNode.Entry]) throws(DevContainerError) -> [YAMLNode.Entry] {
      let merges = entries.filter { $0.key == "<<" }
      guard !merges.isEmpty else { return entries }
      var result = entries.filter { $0.key != "<<" }
      var present = Set(result.map(\.key))
      for merge in merges {
        for source in merge.value.sequence ?? [merge.value] {
          guard let sourceEntries = source.entries else {
            throw .malformed(
              path: path, line: source.line, column: source.column,
              reason: "a merge key (<<) takes a mapping or a sequence of mappings, not \(source.kindName)")
          }
          for entry in sourceEntries where present.insert(entry.key).inserted { result.append(entry) }
        }
      }
      return result
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
      pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }
  }
}
