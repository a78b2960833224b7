import JSON

/// devcontainer.json is "JSON with Comments", as the reference tools read it (`jsonc-parser`): `//` and `/* */`
/// comments and trailing commas are allowed. They are blanked out byte for byte, newlines kept, so that the JSON
/// parser's line and column still point into the file as written.
enum JSONWithComments {
  static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
    try JSONValue.parse(plain(bytes))
  }

  /// The text with comments and trailing commas replaced by spaces.
  static func plain(_ input: [UInt8]) -> [UInt8] {
    var bytes = input
    // A UTF-8 byte order mark is not JSON; editors on Windows write one.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.replaceSubrange(0..<3, with: [0x20, 0x20, 0x20]) }
    let slash = UInt8(ascii: "/"), star = UInt8(ascii: "*"), quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), comma = UInt8(ascii: ",")
    var index = 0
    var pendingComma: Int?  // a comma with only blanks and comments after it so far
    func blank(_ range: Range<Int>) {
      for position in range where bytes[position] != newline && bytes[position] != UInt8(ascii: "\r") {
        bytes[position] = space
      }
    }
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case quote:
        pendingComma = nil
        index += 1
        while index < bytes.count, bytes[index] != quote {
          index += bytes[index] == backslash ? 2 : 1
        }
        index += 1
      case slash where index + 1 < bytes.count && bytes[index + 1] == slash:
        let end = bytes[index...].firstIndex(of: newline) ?? bytes.count
        blank(index..<end)
        index = end
      case slash where index + 1 < bytes.count && bytes[index + 1] == star:
        var end = index + 2
        while end + 1 < bytes.count, !(bytes[end] == star && bytes[end + 1] == slash) { end += 1 }
        end = min(end + 2, bytes.count)
        blank(index..<end)
        index = end
      case comma:
        pendingComma = index
        index += 1
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        if let comma = pendingComma { bytes[comma] = space }
        pendingComma = nil
        index += 1
      case space, newline, UInt8(ascii: "\t"), UInt8(ascii: "\r"):
        index += 1
      default:
        pendingComma = nil
        index += 1
      }
    }
    return bytes
  }
}
