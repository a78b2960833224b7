import CJansson

extension JSONValue {
  /// Parses one JSON document (any value, not only objects and arrays).
  ///
  /// Strings may hold `\u0000`; duplicate keys in an object are rejected, since a message that says two
  /// things at once has no single meaning. ``JSONTextParser`` reads it; what that refuses goes to jansson, whose
  /// error is the one thrown. Size is checked first, depth before jansson recurses.
  public static func parse(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits = .default) throws(JSONError)
    -> JSONValue
  {
    guard bytes.count <= limits.maxBytes else { throw .tooLarge(size: bytes.count, limit: limits.maxBytes) }
    var parser = JSONTextParser(bytes, maxDepth: limits.maxDepth)
    if let value = try? parser.parseDocument() { return value }
    return try parseWithJansson(bytes, limits: limits)
  }

  /// What the Swift parser refused: jansson decides, so that errors keep jansson's reason, line and column, and
  /// anything jansson accepts that the Swift parser does not is still accepted.
  static func parseWithJansson(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits) throws(JSONError) -> JSONValue {
    if nestingExceeds(limits.maxDepth, in: bytes) { throw .tooDeep(limit: limits.maxDepth) }
    var error = json_error_t()
    let flags = Int(JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES)
    guard let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
      let root = json_loadb(base.assumingMemoryBound(to: CChar.self), bytes.count, flags, &error)
    else {
      throw .invalid(
        reason: reason(of: error), line: Int(error.line), column: Int(error.column), offset: Int(error.position))
    }
    defer { cjansson_decref(root) }
    return JSONValue(jansson: root)
  }

  public static func parse(_ bytes: [UInt8], limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
    try bytes.withUnsafeBytes { buffer in Result { () throws(JSONError) in try parse(buffer, limits: limits) } }.get()
  }

  public static func parse(_ bytes: ArraySlice<UInt8>, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
    try bytes.withUnsafeBytes { buffer in Result { () throws(JSONError) in try parse(buffer, limits: limits) } }.get()
  }

  public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
    try parse(Array(text.utf8), limits: limits)
  }

  /// Whether arrays and objects nest deeper than `limit`, counting brackets outside strings only.
  static func nestingExceeds(_ limit: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
    var scanner = JSONNestingScanner()
    for byte in bytes where scanner.consume(byte) > limit { return true }
    return false
  }

  private static func reason(of error: json_error_t) -> String {
    withUnsafeBytes(of: error.text) { raw in
      let text = raw.prefix { $0 != 0 }
      return String(decoding: text, as: UTF8.self)
    }
  }

  /// Copies a jansson tree into Swift values; the tree stays owned by the caller.
  init(jansson json: UnsafeMutablePointer<json_t>) {
    switch cjansson_typeof(json) {
    case JSON_OBJECT:
      var object = JSONObject(capacity: json_object_size(json))
      var iterator = json_object_iter(json)
      while let current = iterator {
        let key = String(
          decoding: UnsafeRawBufferPointer(start: json_object_iter_key(current), count: json_object_iter_key_len(current)),
          as: UTF8.self)
        object[key] = JSONValue(jansson: json_object_iter_value(current))
        iterator = json_object_iter_next(json, current)
      }
      self = .object(object)
    case JSON_ARRAY:
      let count = json_array_size(json)
      var array: [JSONValue] = []
      array.reserveCapacity(count)
      for index in 0..<count { array.append(JSONValue(jansson: json_array_get(json, index))) }
      self = .array(array)
    case JSON_STRING:
      self = .string(
        String(decoding: UnsafeRawBufferPointer(start: json_string_value(json), count: json_string_length(json)), as: UTF8.self))
    case JSON_INTEGER: self = .int(Int64(json_integer_value(json)))
    case JSON_REAL: self = .double(json_real_value(json))
    case JSON_TRUE: self = .bool(true)
    case JSON_FALSE: self = .bool(false)
    default: self = .null
    }
  }
}
