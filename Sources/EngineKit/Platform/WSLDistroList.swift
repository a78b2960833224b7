/// One line of `wsl.exe -l -v`.
public struct WSLDistro: Sendable, Hashable, Codable {
  public var name: String
  /// `Running`, `Stopped`, `Installing`, … (localized by Windows).
  public var state: String
  /// 1 or 2.
  public var version: Int
  /// Marked `*`: the default distribution.
  public var isDefault: Bool

  public init(name: String, state: String, version: Int, isDefault: Bool = false) {
    self.name = name
    self.state = state
    self.version = version
    self.isDefault = isDefault
  }

  public var isRunning: Bool { state.lowercased() == "running" }
}

/// Parses what `wsl.exe -l -v` prints.
///
/// wsl.exe writes UTF-16LE (with or without a byte-order mark) unless `WSL_UTF8=1` is set, when it writes UTF-8; the
/// encoding is told from the bytes. The header is localized, so it is recognised by its shape (its last column is not
/// a number), not by its words.
public enum WSLDistroList {
  public static func parse(_ bytes: [UInt8]) -> [WSLDistro] {
    parse(text: decode(bytes))
  }

  public static func parse(text: String) -> [WSLDistro] {
    text.split(whereSeparator: \.isNewline).compactMap { line in
      var fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
      var isDefault = false
      if fields.first == "*" {
        isDefault = true
        fields.removeFirst()
      } else if let first = fields.first, first.hasPrefix("*") {
        isDefault = true
        fields[0] = String(first.dropFirst())
      }
      guard fields.count >= 3, let version = Int(fields[fields.count - 1]) else { return nil }
      let name = fields[..<(fields.count - 2)].joined(separator: " ")
      return WSLDistro(name: name, state: fields[fields.count - 2], version: version, isDefault: isDefault)
    }
  }

  /// UTF-16LE when a BOM says so or when every other byte of ASCII text is zero; UTF-8 otherwise.
  public static func decode(_ bytes: [UInt8]) -> String {
    var body = bytes[...]
    if body.starts(with: [0xFF, 0xFE]) {
      return utf16LittleEndian(body.dropFirst(2))
    }
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    let oddZeros = stride(from: body.startIndex + 1, to: body.endIndex, by: 2).filter { body[$0] == 0 }.count
    if body.count >= 2, oddZeros * 2 >= body.count / 2 {
      return utf16LittleEndian(body)
    }
    return String(decoding: body, as: UTF8.self)
  }

  static func utf16LittleEndian(_ bytes: ArraySlice<UInt8>) -> String {
    var units: [UInt16] = []
    units.reserveCapacity(bytes.count / 2)
    var index = bytes.startIndex
    while index + 1 < bytes.endIndex {
      units.append(UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
      index += 2
    }
    return String(decoding: units, as: UTF16.self).replacingNulls
  }
}

extension String {
  fileprivate var replacingNulls: String { String(unicodeScalars.filter { $0 != "\0" }) }
}
