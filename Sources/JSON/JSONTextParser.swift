/// Parses JSON text straight into ``JSONValue``, without building a jansson tree and copying it: on `serve`, the
/// parse and that copy were most of the instructions spent per request.
///
/// It accepts exactly what `JSONValue.parse`'s jansson call accepts (JSON_DECODE_ANY, JSON_ALLOW_NUL,
/// JSON_REJECT_DUPLICATES) and produces the same value; anything it does not accept it only refuses, without a
/// reason: the caller then asks jansson, whose error (reason, line, column) is the one we report. So a refusal
/// here is never wrong, only slower; an acceptance must be one jansson would make. What jansson accepts:
/// - whitespace is space, tab, LF and CR; any value may be the whole document; nothing may follow it;
/// - strings are valid UTF-8 without control characters; escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, where a
///   surrogate must be a high one followed by `\u` and a low one; `\u0000` is allowed, except in object keys;
/// - numbers as RFC 8259 writes them; without fraction or exponent they are integers and must fit Int64
///   (strtoll), otherwise doubles that must not overflow to infinity (underflow to zero is fine);
/// - no key twice in one object (by bytes; a key canonically equal to another but spelled differently is refused
///   here and left to jansson, which keeps both, and to the conversion that follows it).
struct JSONTextParser {
  /// Refused: not JSON, or not certainly the same as jansson would make it.
  struct Refusal: Error {}

  private let bytes: UnsafePointer<UInt8>
  private let count: Int
  private var position = 0
  private let maxDepth: Int
  private var depth = 0
  /// Decoded bytes of the string with escapes being read, reused from string to string.
  private var scratch: [UInt8] = []

  /// The deepest this parser recurses whatever the limit (jansson's own is 2048), so that its stack stays small on a
  /// task's thread; deeper input goes to the nesting scanner and jansson as anything refused does.
  private static let recursionLimit = 256

  init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) {
    self.bytes = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: UInt8.self)
    self.count = bytes.count
    self.maxDepth = min(maxDepth, Self.recursionLimit)
  }

  /// The document, or a refusal.
  mutating func parseDocument() throws(Refusal) -> JSONValue {
    let value = try parseValue()
    skipWhitespace()
    guard position == count else { throw Refusal() }
    return value
  }

  // MARK: - Values

  private mutating func parseValue() throws(Refusal) -> JSONValue {
    skipWhitespace()
    guard position < count else { throw Refusal() }
    switch bytes[position] {
    case UInt8(ascii: "\""):
      position += 1
      return .string(try parseString(isKey: false))
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw Refusal()
    }
  }

  /// A literal must end where a structural character or whitespace follows: `truex` is refused by whatever
  /// comes next (it must be `,`, `]`, `}`, whitespace or the end).
  private mutating func expectLiteral(_ literal: StaticString) throws(Refusal) {
    let length = literal.utf8CodeUnitCount
    guard count - position >= length else { throw Refusal() }
    let expected = literal.utf8Start
    for offset in 0..<length where bytes[position + offset] != expected[offset] { throw Refusal() }
    position += length
  }

  private mutating func parseArray() throws(Refusal) -> JSONValue {
    try enterContainer()
    defer { depth -= 1 }
    var elements: [JSONValue] = []
    if consumes(UInt8(ascii: "]")) { return .array(elements) }
    repeat {
      elements.append(try parseValue())
    } while try continuesAfterMember(closedBy: UInt8(ascii: "]"))
    return .array(elements)
  }

  private mutating func parseObject() throws(Refusal) -> JSONValue {
    try enterContainer()
    defer { depth -= 1 }
    var object = JSONObject()
    if consumes(UInt8(ascii: "}")) { return .object(object) }
    repeat {
      guard consumes(UInt8(ascii: "\"")) else { throw Refusal() }
      let key = try parseString(isKey: true)
      guard consumes(UInt8(ascii: ":")) else { throw Refusal() }
      let value = try parseValue()
      guard object.insertNew(key, value) else { throw Refusal() }
    } while try continuesAfterMember(closedBy: UInt8(ascii: "}"))
    return .object(object)
  }

  /// Past an array's or object's opening byte, one level deeper; refused past the depth limit. The caller steps
  /// back out (`depth -= 1`) when it is done.
  private mutating func enterContainer() throws(Refusal) {
    position += 1
    depth += 1
    guard depth <= maxDepth else { throw Refusal() }
  }

  /// Whether `byte` comes next after any whitespace; it is consumed when it does.
  private mutating func consumes(_ byte: UInt8) -> Bool {
    skipWhitespace()
    guard position < count, bytes[position] == byte else { return false }
    position += 1
    return true
  }

  /// After an element or member: `,` (another follows, `true`) or the container's `closing` byte (`false`);
  /// anything else is refused.
  private mutating func continuesAfterMember(closedBy closing: UInt8) throws(Refusal) -> Bool {
    skipWhitespace()
    guard position < count else { throw Refusal() }
    let byte = bytes[position]
    position += 1
    if byte == UInt8(ascii: ",") { return true }
    if byte == closing { return false }
    throw Refusal()
  }

  @inline(__always)
  private mutating func skipWhitespace() {
    while position < count {
      switch bytes[position] {
      case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): position += 1
      default: return
      }
    }
  }

  // MARK: - Strings

  /// Reads a string whose opening quote has been consumed, through its closing quote.
  private mutating func parseString(isKey: Bool) throws(Refusal) -> String {
    let start = position
    var ascii = true
    // The common case: no escapes, so the text is the bytes as they stand.
    while position < count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        let text = UnsafeBufferPointer(start: bytes + start, count: position - start)
        position += 1
        if !ascii { try Self.validateUTF8(text) }
        return String(decoding: text, as: UTF8.self)
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw Refusal() }
      if byte >= 0x80 { ascii = false }
      position += 1
    }
    guard position < count else { throw Refusal() }
    if !ascii { try Self.validateUTF8(UnsafeBufferPointer(start: bytes + start, count: position - start)) }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: UnsafeBufferPointer(start: bytes + start, count: position - start))
    return try parseEscapedRest(isKey: isKey)
  }

  /// The rest of a string from its first backslash, decoded into `scratch`.
  private mutating func parseEscapedRest(isKey: Bool) throws(Refusal) -> String {
    var runStart = position
    while position < count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        try appendRun(from: runStart)
        position += 1
        if isKey, scratch.contains(0) { throw Refusal() }
        return String(decoding: scratch, as: UTF8.self)
      }
      if byte < 0x20 { throw Refusal() }
      guard byte == UInt8(ascii: "\\") else {
        position += 1
        continue
      }
      try appendRun(from: runStart)
      guard position + 1 < count else { throw Refusal() }
      let escape = bytes[position + 1]
      position += 2
      switch escape {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
      case UInt8(ascii: "b"): scratch.append(0x08)
      case UInt8(ascii: "f"): scratch.append(0x0C)
      case UInt8(ascii: "n"): scratch.append(0x0A)
      case UInt8(ascii: "r"): scratch.append(0x0D)
      case UInt8(ascii: "t"): scratch.append(0x09)
      case UInt8(ascii: "u"): try appendUnicodeEscape()
      default: throw Refusal()
      }
      runStart = position
    }
    throw Refusal()
  }

  /// Appends the unescaped bytes from `runStart` to the current position, checking that they are UTF-8.
  private mutating func appendRun(from runStart: Int) throws(Refusal) {
    guard runStart < position else { return }
    let run = UnsafeBufferPointer(start: bytes + runStart, count: position - runStart)
    try Self.validateUTF8(run)
    scratch.append(contentsOf: run)
  }

  /// Decodes the four hex digits after `\u` (and the low surrogate's escape after a high one) into UTF-8.
  private mutating func appendUnicodeEscape() throws(Refusal) {
    var scalar = try readHex4()
    if 0xD800...0xDBFF ~= scalar {
      guard count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
      else { throw Refusal() }
      position += 2
      let low = try readHex4()
      guard 0xDC00...0xDFFF ~= low else { throw Refusal() }
      scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
    } else if 0xDC00...0xDFFF ~= scalar {
      throw Refusal()
    }
    switch scalar {
    case ..<0x80:
      scratch.append(UInt8(scalar))
    case ..<0x800:
      scratch.append(0xC0 | UInt8(scalar >> 6))
      scratch.append(0x80 | UInt8(scalar & 0x3F))
    case ..<0x10000:
      scratch.append(0xE0 | UInt8(scalar >> 12))
      scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
      scratch.append(0x80 | UInt8(scalar & 0x3F))
    default:
      scratch.append(0xF0 | UInt8(scalar >> 18))
      scratch.append(0x80 | UInt8((scalar >> 12) & 0x3F))
      scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
      scratch.append(0x80 | UInt8(scalar & 0x3F))
    }
  }

  private mutating func readHex4() throws(Refusal) -> UInt32 {
    guard count - position >= 4 else { throw Refusal() }
    var value: UInt32 = 0
    for offset in 0..<4 {
      let byte = bytes[position + offset]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
      default: throw Refusal()
      }
      value = value << 4 | UInt32(digit)
    }
    position += 4
    return value
  }

  /// Well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), as jansson's `utf8_check_full`
  /// and the standard define it.
  static func validateUTF8(_ text: UnsafeBufferPointer<UInt8>) throws(Refusal) {
    var index = 0
    let end = text.count
    while index < end {
      let lead = text[index]
      if lead < 0x80 {
        index += 1
        continue
      }
      // The allowed range of the second byte depends on the first; the rest are 0x80...0xBF.
      let length: Int
      var low: UInt8 = 0x80
      var high: UInt8 = 0xBF
      switch lead {
      case 0xC2...0xDF: length = 2
      case 0xE0: length = 3; low = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: length = 3; high = 0x9F
      case 0xF0: length = 4; low = 0x90
      case 0xF1...0xF3: length = 4
      case 0xF4: length = 4; high = 0x8F
      default: throw Refusal()
      }
      guard end - index >= length, low...high ~= text[index + 1] else { throw Refusal() }
      for offset in 2..<max(2, length) where !(0x80...0xBF ~= text[index + offset]) { throw Refusal() }
      index += length
    }
  }

  // MARK: - Numbers

  private mutating func parseNumber() throws(Refusal) -> JSONValue {
    let start = position
    let negative = bytes[position] == UInt8(ascii: "-")
    if negative { position += 1 }
    guard position < count else { throw Refusal() }
    var magnitude: UInt64 = 0
    var overflow = false
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
    } else {
      guard UInt8(ascii: "1")...UInt8(ascii: "9") ~= bytes[position] else { throw Refusal() }
      while position < count, UInt8(ascii: "0")...UInt8(ascii: "9") ~= bytes[position] {
        let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[position] &- UInt8(ascii: "0")))
        overflow = overflow || o1 || o2
        magnitude = sum
        position += 1
      }
    }
    var isInteger = true
    if position < count, bytes[position] == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      try skipDigits()
    }
    if position < count, bytes[position] | 0x20 == UInt8(ascii: "e") {
      isInteger = false
      position += 1
      if position < count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
        position += 1
      }
      try skipDigits()
    }
    if isInteger {
      // strtoll's range: -2^63 ... 2^63 - 1; beyond it jansson says "too big integer".
      let limit = negative ? UInt64(1) << 63 : UInt64(Int64.max)
      guard !overflow, magnitude <= limit else { throw Refusal() }
      return .int(negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude))
    }
    let text = String(decoding: UnsafeBufferPointer(start: bytes + start, count: position - start), as: UTF8.self)
    guard let value = Double(text), value.isFinite else { throw Refusal() }
    return .double(value)
  }

  /// One or more digits.
  private mutating func skipDigits() throws(Refusal) {
    let start = position
    while position < count, UInt8(ascii: "0")...UInt8(ascii: "9") ~= bytes[position] { position += 1 }
    guard position > start else { throw Refusal() }
  }
}
