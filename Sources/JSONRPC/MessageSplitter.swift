/// Cuts a byte stream into message bodies: a small state machine, fed whatever the reads return (partial
/// messages, several at once) and asked for events until it has none.
///
/// The framing is detected from the first bytes: `{` or `[` starts newline-delimited JSON; a header name (an HTTP
/// token followed by `:`, or `Content-Length` in any case) starts the LSP base protocol; anything else is taken as a
/// (bad) JSON line. Problems are events, not throws: after each one the splitter resynchronises and carries on. In
/// the LSP framing it resynchronises at the next `Content-Length:`, searched from the byte after the first byte of
/// the offending header line, so that no problem costs the message after it.
public struct MessageSplitter: Sendable {
  public enum Event: Sendable, Equatable {
    /// One message body.
    case message([UInt8])
    /// A message longer than the limit was skipped without being buffered. For a JSON line, `size` is what had
    /// arrived when the limit was passed; the rest of the line is skipped as it comes. A `Content-Length` past
    /// ``maxSkippableBytes`` is not skipped: the splitter looks for the next `Content-Length:` instead.
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
  /// The most a header block may hold, its blank line included, however the reads cut it.
  public let maxHeaderBytes: Int
  /// The longest announced body skipped as it streams past; a longer `Content-Length` is refused and skipped over,
  /// since waiting for that many bytes would swallow every message after it.
  public let maxSkippableBytes: Int
  public private(set) var framing: Framing?
  private var state = State.detecting
  private var buffer: [UInt8] = []
  private var start = 0
  /// Where the search for the end of the current line goes on: the bytes before it have no newline. Without it,
  /// a long line arriving in many reads would be searched from its start at every read.
  private var lineScanned = 0
  /// How far the current header block has been read, from `start`: its lines before that are judged.
  private var headerScanned = 0
  /// The block's `Content-Length`, once its line has been read.
  private var headerLength: Int?

  public init(maxMessageBytes: Int, maxHeaderBytes: Int = 8 * 1024, maxSkippableBytes: Int = 1 << 30) {
    self.maxMessageBytes = maxMessageBytes
    self.maxHeaderBytes = maxHeaderBytes
    self.maxSkippableBytes = max(maxSkippableBytes, maxMessageBytes)
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
        if let event = nextHeaderBlock() { return event }
        if case .headers = state { return nil }
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
      headerScanned = 0
      headerLength = nil
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

  /// Decided at the first byte that ends the first token, without waiting for the end of the line: a header line
  /// may be longer than any limit, or arrive in pieces.
  private mutating func detect() -> Bool {
    while start < buffer.count, isWhitespace(buffer[start]) { start += 1 }
    guard start < buffer.count else { return false }
    let first = buffer[start]
    if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
      choose(.newlineDelimited)
      return true
    }
    // Token characters hold no newline: what was scanned here is also known to hold none.
    let tokenEnd = buffer[max(start, lineScanned)...].firstIndex { !isTokenCharacter($0) } ?? buffer.count
    lineScanned = tokenEnd
    let token = buffer[start..<tokenEnd]
    let name = Self.contentLengthName.dropLast()  // without its colon: the token ends before it
    if token.count >= name.count, token.prefix(name.count).elementsEqual(name, by: { lowercase($0) == $1 }) {
      choose(.contentLength)
      return true
    }
    guard token.endIndex < buffer.count else {
      // Only a token so far: a header name or a bare JSON word, told apart by what follows.
      guard token.count > maxHeaderBytes else { return false }
      choose(.newlineDelimited)
      return true
    }
    choose(!token.isEmpty && buffer[token.endIndex] == UInt8(ascii: ":") ? .contentLength : .newlineDelimited)
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

  /// Reads the current header block a line at a time, judging each line as soon as its newline arrives, so that a
  /// bad line is answered without waiting for the end of the block (which may never come). Returns `nil` when it
  /// needs more input (the state stays `.headers`) or when it has moved on to the body.
  private mutating func nextHeaderBlock() -> Event? {
    if headerScanned == 0 {
      while start < buffer.count, isWhitespace(buffer[start]) { start += 1 }
    }
    while true {
      let lineStart = start + headerScanned
      // The limit is on the block's bytes up to and including its blank line, wherever the reads cut it.
      let searchEnd = min(buffer.count, start + maxHeaderBytes)
      let newline = buffer[min(max(lineStart, lineScanned), searchEnd)..<searchEnd].firstIndex(of: UInt8(ascii: "\n"))
      guard let newline else {
        lineScanned = searchEnd
        guard buffer.count - start >= maxHeaderBytes else { return nil }
        return malformed("the header block is longer than \(maxHeaderBytes) bytes", at: lineStart)
      }
      headerScanned = newline + 1 - start
      let rawLine = buffer[lineStart..<newline]
      if rawLine.isEmpty || rawLine.elementsEqual([UInt8(ascii: "\r")]) {
        return endOfHeaderBlock(bodyStart: newline + 1)
      }
      let line = trimmed(rawLine)
      if line.isEmpty { continue }
      guard let name = headerName(of: line) else {
        return malformed("not a header line: \(printable(line))", at: lineStart)
      }
      guard name == "content-length", let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
      let text = trimmed(line[(colon + 1)...])
      guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
        let value = Int(String(decoding: text, as: UTF8.self))
      else {
        return malformed("Content-Length is not a non-negative integer: \(printable(text))", at: lineStart)
      }
      if let length = headerLength, length != value {
        return malformed("two Content-Length headers disagree (\(length) and \(value))", at: lineStart)
      }
      guard value <= maxSkippableBytes else {
        // Too long to skip: waiting for that many bytes would swallow every message after it.
        resync(after: lineStart)
        return .oversized(size: value, limit: maxMessageBytes)
      }
      headerLength = value
    }
  }

  private mutating func endOfHeaderBlock(bodyStart: Int) -> Event? {
    let length = headerLength
    headerScanned = 0
    headerLength = nil
    start = bodyStart
    guard let length else {
      state = .resyncing
      return .malformedHeader("the header block has no Content-Length")
    }
    guard length <= maxMessageBytes else {
      state = .skippingBody(remaining: length)
      return .oversized(size: length, limit: maxMessageBytes)
    }
    state = .body(length: length)
    return nil
  }

  /// A problem with the line at `lineStart`: reported, then the next `Content-Length:` is looked for from the byte
  /// after the line's first, so that a header glued to the end of the line (a body shorter than announced) is found.
  private mutating func malformed(_ reason: String, at lineStart: Int) -> Event {
    resync(after: lineStart)
    return .malformedHeader(reason)
  }

  /// `lineStart` may be the end of the buffer: a block that reached the limit where its next line would start.
  private mutating func resync(after lineStart: Int) {
    start = min(lineStart + 1, buffer.count)
    headerScanned = 0
    headerLength = nil
    state = .resyncing
  }

  /// The lowercased name of a header line (`Name: value`, the name an HTTP token); `nil` for any other line.
  private func headerName(of line: ArraySlice<UInt8>) -> String? {
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
      line[..<colon].allSatisfy(isTokenCharacter)
    else { return nil }
    return String(decoding: line[..<colon], as: UTF8.self).lowercased()
  }

  private static let contentLengthName = Array("content-length:".utf8)

  /// Skips to the next `Content-Length:` (any case, anywhere in a line), keeping a tail that might be the start of
  /// one.
  private mutating func resync() -> Bool {
    let needle = Self.contentLengthName
    var index = start
    while index + needle.count <= buffer.count {
      if lowercase(buffer[index]) == needle[0],
        buffer[index + 1..<index + needle.count].elementsEqual(needle.dropFirst(), by: { lowercase($0) == $1 })
      {
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
