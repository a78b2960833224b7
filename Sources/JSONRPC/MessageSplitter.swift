/// Cuts a byte stream into message bodies: a small state machine, fed whatever the reads return (partial
/// messages, several at once) and asked for events until it has none.
///
/// The framing is detected from the first bytes: `{` or `[` starts newline-delimited JSON; a first line shaped
/// like a header (`Name: value`) starts the LSP base protocol; anything else is taken as a (bad) JSON line.
/// Problems are events, not throws: after each one the splitter resynchronises and carries on.
public struct MessageSplitter: Sendable {
  public enum Event: Sendable, Equatable {
    /// One message body.
    case message([UInt8])
    /// A message longer than the limit was skipped without being buffered. For a JSON line, `size` is what had
    /// arrived when the limit was passed; the rest of the line is skipped as it comes.
    case oversized(size: Int, limit: Int)
    /// A header block that could not be understood; the splitter skips to the next `Content-Length` header.
    case malformedHeader(String)
    /// The input ended inside a message; only from ``finish()``.
    case truncated(String)
  }

  enum State: Sendable {
    case detecting
    case headers
    case body(length: Int)
    case skippingBody(remaining: Int)
    case resyncing
    case lines
    case discardingLine
  }

  public let maxMessageBytes: Int
  public let maxHeaderBytes: Int
  public private(set) var framing: Framing?
  private var state = State.detecting
  private var buffer: [UInt8] = []
  private var start = 0
  /// Where the search for the end of the current line goes on: the bytes before it have no newline. Without it,
  /// a long line arriving in many reads would be searched from its start at every read.
  private var lineScanned = 0

  public init(maxMessageBytes: Int, maxHeaderBytes: Int = 8 * 1024) {
    self.maxMessageBytes = maxMessageBytes
    self.maxHeaderBytes = maxHeaderBytes
  }

  public mutating func append(_ bytes: some Collection<UInt8>) {
    if start > 0 && start >= buffer.count / 2 {
      buffer.removeSubrange(0..<start)
      lineScanned = max(0, lineScanned - start)
      start = 0
    }
    switch state {
    case .skippingBody(let remaining) where buffer.count == start:
      // Discard straight from the read: an oversized body is never buffered.
      let skipped = min(remaining, bytes.count)
      buffer.append(contentsOf: bytes.dropFirst(skipped))
      state = remaining == skipped ? .headers : .skippingBody(remaining: remaining - skipped)
    default:
      buffer.append(contentsOf: bytes)
    }
  }

  /// The next complete event, or `nil` when more input is needed.
  public mutating func next() -> Event? {
    while true {
      switch state {
      case .detecting:
        guard detect() else { return nil }
      case .lines:
        return nextLine()
      case .discardingLine:
        guard let newline = firstIndex(of: UInt8(ascii: "\n")) else {
          start = buffer.count
          return nil
        }
        start = newline + 1
        state = .lines
      case .headers:
        return nextHeaderBlock()
      case .body(let length):
        guard buffer.count - start >= length else { return nil }
        let body = Array(buffer[start..<start + length])
        start += length
        state = .headers
        return .message(body)
      case .skippingBody(let remaining):
        let skipped = min(remaining, buffer.count - start)
        start += skipped
        guard skipped == remaining else {
          state = .skippingBody(remaining: remaining - skipped)
          return nil
        }
        state = .headers
      case .resyncing:
        guard resync() else { return nil }
      }
    }
  }

  /// Called once the input has ended: what is left, if anything. A last JSON line without its newline is still a
  /// message; a partial LSP message is reported as truncated.
  public mutating func finish() -> Event? {
    defer {
      start = buffer.count
      state = framing == .newlineDelimited ? .lines : .headers
    }
    let rest = buffer[start...]
    switch state {
    case .lines, .detecting:
      let line = trimmed(rest)
      if line.isEmpty { return nil }
      if line.count > maxMessageBytes { return .oversized(size: line.count, limit: maxMessageBytes) }
      return .message(Array(line))
    case .discardingLine, .resyncing:
      return nil
    case .headers:
      return trimmed(rest).isEmpty ? nil : .truncated("the input ended inside a header block")
    case .body(let length):
      return .truncated("the input ended \(length - rest.count) bytes before the end of a \(length)-byte message")
    case .skippingBody:
      return .truncated("the input ended inside an oversized message")
    }
  }

  // MARK: - Detection

  private mutating func detect() -> Bool {
    while start < buffer.count, isWhitespace(buffer[start]) { start += 1 }
    guard start < buffer.count else { return false }
    let first = buffer[start]
    if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
      choose(.newlineDelimited)
      return true
    }
    guard let newline = firstIndex(of: UInt8(ascii: "\n")) else {
      if buffer.count - start > maxHeaderBytes { choose(.newlineDelimited) }
      return buffer.count - start > maxHeaderBytes
    }
    choose(headerName(of: buffer[start..<newline]) != nil ? .contentLength : .newlineDelimited)
    return true
  }

  private mutating func choose(_ framing: Framing) {
    self.framing = framing
    state = framing == .contentLength ? .headers : .lines
  }


  // MARK: - Newline-delimited JSON

  private mutating func nextLine() -> Event? {
    while true {
      guard let newline = buffer[max(start, lineScanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
        lineScanned = buffer.count
        let pending = buffer.count - start
        guard pending > maxMessageBytes else { return nil }
        start = buffer.count
        state = .discardingLine
        return .oversized(size: pending, limit: maxMessageBytes)
      }
      let line = trimmed(buffer[start..<newline])
      start = newline + 1
      if line.isEmpty { continue }
      if line.count > maxMessageBytes { return .oversized(size: line.count, limit: maxMessageBytes) }
      return .message(Array(line))
    }
  }

  // MARK: - Content-Length headers

  private mutating func nextHeaderBlock() -> Event? {
    while start < buffer.count, isWhitespace(buffer[start]) { start += 1 }
    guard let (headerEnd, bodyStart) = headerTerminator() else {
      guard buffer.count - start > maxHeaderBytes else { return nil }
      start = buffer.count
      state = .resyncing
      return .malformedHeader("the header block is longer than \(maxHeaderBytes) bytes")
    }
    let block = buffer[start..<headerEnd]
    switch contentLength(in: block) {
    case .success(let length) where length > maxMessageBytes:
      start = bodyStart
      state = .skippingBody(remaining: length)
      return .oversized(size: length, limit: maxMessageBytes)
    case .success(let length):
      start = bodyStart
      state = .body(length: length)
      return next()
    case .failure(let problem) where problem.resumeAt != nil:
      start = problem.resumeAt!
      return .malformedHeader(problem.reason)
    case .failure(let problem):
      start = bodyStart
      state = .resyncing
      return .malformedHeader(problem.reason)
    }
  }

  /// The end of the header block and the start of the body; a bare `\n\n` is accepted as well as `\r\n\r\n`.
  private func headerTerminator() -> (Int, Int)? {
    var index = start
    while let newline = buffer[index...].firstIndex(of: UInt8(ascii: "\n")) {
      var next = newline + 1
      if next < buffer.count, buffer[next] == UInt8(ascii: "\r") { next += 1 }
      guard next < buffer.count else { return nil }
      if buffer[next] == UInt8(ascii: "\n") { return (newline, next + 1) }
      index = newline + 1
    }
    return nil
  }

  struct HeaderProblem: Error {
    let reason: String
    /// Where reading resumes when a stray line is followed by a `Content-Length` header in the same block: the
    /// start of the line after it. `nil`: the block and its body are skipped up to the next `Content-Length`.
    var resumeAt: Int?
  }

  /// The block's `Content-Length`. Other headers (`Content-Type` included) are ignored. A line that is not a header
  /// (no colon, or a name that is not an HTTP token: a JSON text sent in the wrong framing, the tail of a body longer
  /// than announced) is a problem; when a `Content-Length` header follows it, reading resumes after it, so that a
  /// stray line costs an error but not the message after it.
  private func contentLength(in block: ArraySlice<UInt8>) -> Result<Int, HeaderProblem> {
    var length: Int?
    let lines = block.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
    for (index, rawLine) in lines.enumerated() {
      let line = trimmed(rawLine)
      if line.isEmpty { continue }
      guard let name = headerName(of: line) else {
        let laterLength = lines[(index + 1)...].contains { headerName(of: trimmed($0)) == "content-length" }
        return .failure(
          HeaderProblem(
            reason: "not a header line: \(printable(line))",
            resumeAt: laterLength ? rawLine.endIndex + 1 : nil))
      }
      guard name == "content-length", let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
      let text = trimmed(line[(colon + 1)...])
      guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
        let value = Int(String(decoding: text, as: UTF8.self))
      else {
        return .failure(HeaderProblem(reason: "Content-Length is not a non-negative integer: \(printable(text))"))
      }
      if let length, length != value {
        return .failure(HeaderProblem(reason: "two Content-Length headers disagree (\(length) and \(value))"))
      }
      length = value
    }
    guard let length else { return .failure(HeaderProblem(reason: "the header block has no Content-Length")) }
    return .success(length)
  }

  /// The lowercased name of a header line (`Name: value`, the name an HTTP token); `nil` for any other line.
  private func headerName(of line: ArraySlice<UInt8>) -> String? {
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
      line[..<colon].allSatisfy(isTokenCharacter)
    else { return nil }
    return String(decoding: line[..<colon], as: UTF8.self).lowercased()
  }

  /// Skips to the next `Content-Length` header name, keeping a tail that might be the start of one.
  private mutating func resync() -> Bool {
    let needle = Array("content-length".utf8)
    var index = start
    while index + needle.count <= buffer.count {
      if zip(buffer[index..<index + needle.count], needle).allSatisfy({ lowercase($0) == $1 }) {
        start = index
        state = .headers
        return true
      }
      index += 1
    }
    start = max(start, buffer.count - needle.count + 1)
    return false
  }

  // MARK: - Bytes

  private func firstIndex(of byte: UInt8) -> Int? { buffer[start...].firstIndex(of: byte) }

  private func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var slice = bytes
    while let first = slice.first, isWhitespace(first) { slice.removeFirst() }
    while let last = slice.last, isWhitespace(last) { slice.removeLast() }
    return slice
  }

  private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }

  /// HTTP's `tchar` (RFC 9110): what a header name is made of.
  private func isTokenCharacter(_ byte: UInt8) -> Bool {
    (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
      || "!#$%&'*+-.^_`|~".utf8.contains(byte)
  }

  private func lowercase(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }

  private func printable(_ bytes: ArraySlice<UInt8>) -> String {
    let text = String(decoding: bytes.prefix(60), as: UTF8.self)
    return "\"\(text)\"" + (bytes.count > 60 ? "…" : "")
  }
}
