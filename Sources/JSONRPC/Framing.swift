/// How messages are delimited on the byte stream.
public enum Framing: String, Sendable, Hashable {
  /// The Language Server Protocol's base protocol: `Content-Length: N\r\n\r\n` then N bytes.
  case contentLength
  /// One JSON text per line, for scripts.
  case newlineDelimited

  /// Appends `body` to `output`, framed.
  public func frame(_ body: [UInt8], into output: inout [UInt8]) {
    switch self {
    case .contentLength:
      output.append(contentsOf: "Content-Length: \(body.count)\r\n\r\n".utf8)
      output.append(contentsOf: body)
    case .newlineDelimited:
      output.append(contentsOf: body)
      output.append(UInt8(ascii: "\n"))
    }
  }
}
