/// Follows the nesting of JSON text byte by byte — brackets outside strings, escapes inside them — without parsing
/// it: enough to refuse input nested too deep before a parser recurses, and to cut a stream of concatenated values.
public struct JSONNestingScanner: Sendable {
  /// How many arrays and objects are open after the last byte.
  public var depth: Int { openBrackets }
  @usableFromInline var openBrackets = 0
  @usableFromInline var inString = false
  @usableFromInline var escaped = false

  public init() {}

  /// Takes the next byte; returns the depth after it.
  @inlinable
  public mutating func consume(_ byte: UInt8) -> Int {
    if inString {
      if escaped {
        escaped = false
      } else if byte == UInt8(ascii: "\\") {
        escaped = true
      } else if byte == UInt8(ascii: "\"") {
        inString = false
      }
      return openBrackets
    }
    switch byte {
    case UInt8(ascii: "\""): inString = true
    case UInt8(ascii: "["), UInt8(ascii: "{"): openBrackets += 1
    case UInt8(ascii: "]"), UInt8(ascii: "}"): openBrackets -= 1
    default: break
    }
    return openBrackets
  }
}
