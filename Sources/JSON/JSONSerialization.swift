import CJansson

extension JSONValue {
  /// Compact UTF-8 JSON text, keys in their order. Non-finite doubles, which JSON cannot express, are written as
  /// `null`.
  public func serialized() -> [UInt8] {
    var output: [UInt8] = []
    appendSerialized(to: &output)
    return output
  }

  /// Appends compact JSON text to `output`, so that several messages can share one buffer.
  public func appendSerialized(to output: inout [UInt8]) {
    guard let root = makeJansson() else { return }
    defer { cjansson_decref(root) }
    let flags = Int(JSON_COMPACT | JSON_ENCODE_ANY)
    withUnsafeMutablePointer(to: &output) { target in
      _ = json_dump_callback(
        root,
        { chunk, size, context in
          guard let chunk, let context else { return -1 }
          context.assumingMemoryBound(to: [UInt8].self).pointee.append(
            contentsOf: UnsafeRawBufferPointer(start: chunk, count: size))
          return 0
        }, target, flags)
    }
  }

  /// A new jansson tree the caller owns; `nil` only if jansson cannot allocate.
  private func makeJansson() -> UnsafeMutablePointer<json_t>? {
    switch self {
    case .null: return json_null()
    case .bool(let value): return value ? json_true() : json_false()
    case .int(let value): return json_integer(json_int_t(value))
    case .double(let value): return value.isFinite ? json_real(value) : json_null()
    case .string(var value):
      return value.withUTF8 { utf8 in
        utf8.withMemoryRebound(to: CChar.self) { text in
          guard let base = text.baseAddress else { return json_string("") }
          return json_stringn_nocheck(base, text.count)
        }
      }
    case .array(let elements):
      guard let array = json_array() else { return nil }
      for element in elements {
        if let child = element.makeJansson() { json_array_append_new(array, child) }
      }
      return array
    case .object(let members):
      guard let object = json_object() else { return nil }
      for (var key, value) in members {
        guard let child = value.makeJansson() else { continue }
        key.withUTF8 { utf8 in
          utf8.withMemoryRebound(to: CChar.self) { text in
            guard let base = text.baseAddress else { return _ = json_object_set_new_nocheck(object, "", child) }
            _ = json_object_setn_new_nocheck(object, base, text.count, child)
          }
        }
      }
      return object
    }
  }
}
