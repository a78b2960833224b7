import JSONRPC
import Testing

@Suite("Framing: splitting a byte stream into messages")
struct MessageSplitterTests {
  /// Feeds `input` in chunks of `chunkSize` bytes and collects every event, then the end-of-input event.
  func events(_ input: String, chunkSize: Int = .max, limit: Int = 1024) -> [MessageSplitter.Event] {
    var splitter = MessageSplitter(maxMessageBytes: limit)
    var events: [MessageSplitter.Event] = []
    let bytes = Array(input.utf8)
    var offset = 0
    while offset < bytes.count {
      let end = min(bytes.count, offset + chunkSize)
      splitter.append(bytes[offset..<end])
      offset = end
      while let event = splitter.next() { events.append(event) }
    }
    if let event = splitter.finish() { events.append(event) }
    return events
  }

  func messages(_ texts: String...) -> [MessageSplitter.Event] { texts.map { .message(Array($0.utf8)) } }

  @Test("Content-Length messages survive any split of the reads", arguments: [1, 2, 3, 7, 16, 1000])
  func lspSplitReads(chunkSize: Int) {
    let input = "Content-Length: 7\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n[]"
    #expect(events(input, chunkSize: chunkSize) == messages(#"{"a":1}"#, "[]"))
    #expect(framing(of: input) == .contentLength)
  }

  @Test("newline-delimited messages survive any split of the reads", arguments: [1, 2, 5, 1000])
  func ndjsonSplitReads(chunkSize: Int) {
    let input = "{\"a\":1}\n\r\n[2]\r\n  \n{\"b\":\"x\\ny\"}"
    #expect(events(input, chunkSize: chunkSize) == messages(#"{"a":1}"#, "[2]", #"{"b":"x\ny"}"#))
    #expect(framing(of: input) == .newlineDelimited)
  }

  @Test(
    "headers: any case, any order, optional Content-Type, LF-only line ends",
    arguments: [
      "content-length: 2\r\n\r\n{}",
      "CONTENT-LENGTH:2\r\n\r\n{}",
      "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}",
      "Content-Length: 2\r\nContent-Type: application/json\r\nX-Other: 1\r\n\r\n{}",
      "Content-Length: 2\n\n{}",
      "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    ])
  func headerVariants(input: String) {
    #expect(events(input) == messages("{}"))
  }

  @Test(
    "bad headers are reported and the next message still arrives",
    arguments: [
      ("Content-Length: abc\r\n\r\n{}", "not a non-negative integer"),
      ("Content-Length: -5\r\n\r\n{}", "not a non-negative integer"),
      ("Content-Length: 99999999999999999999999\r\n\r\n{}", "not a non-negative integer"),
      ("Content-Type: x\r\n\r\n{}", "no Content-Length"),
      ("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "disagree"),
      ("Content-Length: 2\r\nbroken line\r\n\r\n{}", "not a header line"),
      ("Content-Length: 2\r\n{\"a\":1}\r\n\r\n{}", "not a header line"),
      ("Content-Length: 2\r\n: 2\r\n\r\n{}", "not a header line"),
      ("Content-Length: +2\r\n\r\n{}", "not a non-negative integer"),
      ("Content-Length: 0x2\r\n\r\n{}", "not a non-negative integer"),
      ("Content-Length:\r\n\r\n{}", "not a non-negative integer"),
    ])
  func badHeaders(input: String, reason: String) {
    let result = events(input + "Content-Length: 4\r\n\r\n[12]")
    #expect(result.count == 2)
    guard case .malformedHeader(let message)? = result.first else {
      Issue.record("expected a malformed header, got \(result)")
      return
    }
    #expect(message.contains(reason))
    #expect(result.last == .message(Array("[12]".utf8)))
  }

  @Test(
    "a stray line before a Content-Length header costs an error, not the message after it",
    arguments: [
      // A JSON text sent in the wrong framing.
      "Content-Length: 2\r\n\r\n[]{\"jsonrpc\":\"2.0\",\"id\":1}\nContent-Length: 2\r\n\r\n{}",
      // A body longer than its Content-Length said: its tail is a stray line.
      "Content-Length: 2\r\n\r\n[]  tail]\r\nContent-Length: 2\r\n\r\n{}",
      "Content-Length: 2\r\n\r\n[]garbage without colon\nX-Other: 1\nContent-Length: 2\n\n{}",
    ])
  func strayLine(input: String) {
    let result = events(input, chunkSize: 5)
    #expect(result.count == 3)
    #expect(result.first == .message(Array("[]".utf8)))
    guard case .malformedHeader(let reason)? = result.dropFirst().first else {
      Issue.record("expected a malformed header, got \(result)")
      return
    }
    #expect(reason.contains("not a header line"))
    #expect(result.last == .message(Array("{}".utf8)))
  }

  @Test("an oversized Content-Length body is skipped without being buffered, then framing resumes")
  func oversizedLSP() {
    let body = String(repeating: "x", count: 5000)
    let result = events("Content-Length: 5000\r\n\r\n\(body)Content-Length: 2\r\n\r\n{}", chunkSize: 100, limit: 1000)
    #expect(result == [.oversized(size: 5000, limit: 1000)] + messages("{}"))
  }

  @Test("a huge announced length is refused at once")
  func hugeAnnouncedLength() {
    var splitter = MessageSplitter(maxMessageBytes: 1000)
    splitter.append(Array("Content-Length: 100000000\r\n\r\n".utf8))
    #expect(splitter.next() == .oversized(size: 100_000_000, limit: 1000))
  }

  @Test("an oversized line is skipped up to its newline, then framing resumes")
  func oversizedLine() {
    let line = "[" + String(repeating: "1,", count: 1000) + "1]"
    let result = events("\(line)\n[2]\n", chunkSize: 64, limit: 100)
    #expect(result.count == 2)
    guard case .oversized(let size, 100)? = result.first else {
      Issue.record("expected oversized, got \(result)")
      return
    }
    // The size is what had arrived when the limit was passed: the line's end is not waited for.
    #expect(size > 100 && size < line.utf8.count)
    #expect(result.last == .message(Array("[2]".utf8)))
  }

  @Test("input that ends mid-message is reported as truncated")
  func truncated() {
    guard case .truncated? = events("Content-Length: 10\r\n\r\n{\"a\"").last else {
      Issue.record("expected truncation")
      return
    }
    guard case .truncated? = events("Content-Length: 10\r\n").last else {
      Issue.record("expected truncation in headers")
      return
    }
  }

  @Test("a last JSON line without newline is still a message")
  func lastLineWithoutNewline() {
    #expect(events("{\"a\":1}\n{\"b\":2}") == messages(#"{"a":1}"#, #"{"b":2}"#))
  }

  @Test("a first line that is neither JSON nor a header is taken as a (bad) JSON line")
  func garbageFirstLine() {
    #expect(events("hello world\n{}\n") == messages("hello world", "{}"))
    #expect(framing(of: "hello world\n") == .newlineDelimited)
  }

  // MARK: - Robustness of the header section (issue 16)

  static let chunkSizes = [1, 2, 7, 100, 4096, Int.max]

  @Test(
    "header-shaped first bytes choose Content-Length framing however the reads cut them",
    arguments: [
      "content-length: 2\r\n\r\n{}",
      "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}",
      "X-Long: " + String(repeating: "a", count: 9000) + "\r\n\r\nContent-Length: 2\r\n\r\n{}",
      "Content-Length 2\r\n\r\nContent-Length: 2\r\n\r\n{}",
      "X-Trace: 1\r\n\r\nContent-Length: 2\r\n\r\n{}",
    ])
  func headerShapedFirstBytes(input: String) {
    for chunkSize in Self.chunkSizes {
      var splitter = MessageSplitter(maxMessageBytes: 1024)
      let bytes = Array(input.utf8)
      var events: [MessageSplitter.Event] = []
      for offset in stride(from: 0, to: bytes.count, by: min(chunkSize, bytes.count)) {
        splitter.append(bytes[offset..<min(bytes.count, offset + chunkSize)])
        while let event = splitter.next() { events.append(event) }
      }
      #expect(splitter.framing == .contentLength, "chunks of \(chunkSize)")
      #expect(events.last == .message(Array("{}".utf8)), "chunks of \(chunkSize): \(events)")
    }
  }

  @Test("a first token that is not followed by a colon is a (bad) JSON line", arguments: ["true\n", "nope nope\n"])
  func bareWordFirst(input: String) {
    #expect(framing(of: input) == .newlineDelimited)
  }

  @Test(
    "a header glued to the end of a body shorter than announced is found: resync starts inside the offending line",
    arguments: chunkSizes)
  func gluedHeader(chunkSize: Int) {
    let result = events(
      "Content-Length: 5\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]",
      chunkSize: chunkSize)
    #expect(result.count == 4)
    #expect(result.first == .message(Array(#"{"a":"#.utf8)))
    guard case .malformedHeader(let reason)? = result.dropFirst().first else {
      Issue.record("expected a malformed header, got \(result)")
      return
    }
    #expect(reason.contains("not a header line"))
    #expect(Array(result.suffix(2)) == messages("{}", "[1]"))
  }

  @Test("a bad header line is answered as soon as its line ends, without waiting for the end of the block")
  func badLineAnsweredAtOnce() {
    var splitter = MessageSplitter(maxMessageBytes: 1024)
    splitter.append(Array("Content-Length: 2\r\n{\"not\": \"a header\"}\r\n".utf8))
    guard case .malformedHeader? = splitter.next() else {
      Issue.record("the bad line waited for the end of its block")
      return
    }
    splitter.append(Array("Content-Length: 2\r\n\r\n{}".utf8))
    #expect(splitter.next() == .message(Array("{}".utf8)))
  }

  /// `Content-Length: 2\r\nX-Pad: …\r\n\r\n`, exactly `size` bytes long.
  func headerBlock(size: Int) -> String {
    let fixed = "Content-Length: 2\r\nX-Pad: \r\n\r\n".utf8.count
    return "Content-Length: 2\r\nX-Pad: " + String(repeating: "p", count: size - fixed) + "\r\n\r\n"
  }

  @Test("the 8 KiB header limit holds however the reads cut the block", arguments: chunkSizes)
  func headerLimitAnySplit(chunkSize: Int) {
    let next = "Content-Length: 3\r\n\r\n[1]"
    #expect(events(headerBlock(size: 8192) + "{}" + next, chunkSize: chunkSize) == messages("{}", "[1]"))
    let refused = events(headerBlock(size: 8193) + "{}" + next, chunkSize: chunkSize)
    #expect(refused == [.malformedHeader("the header block is longer than 8192 bytes")] + messages("[1]"))
  }

  /// Found by the fuzz seed lsp-header-limit-lines: resynchronising after a block that filled the limit exactly
  /// where a read ended pointed past the buffer, and the next read crashed.
  @Test("a block that fills the limit at a line's end, where a read ends", arguments: [16, 4096, 8192, Int.max])
  func limitAtLineEnd(chunkSize: Int) {
    let input = String(repeating: "X-A: 1\r\n", count: 1024) + "\r\n{}Content-Length: 3\r\n\r\n[1]"
    #expect(
      events(input, chunkSize: chunkSize)
        == [.malformedHeader("the header block is longer than 8192 bytes")] + messages("[1]"))
  }

  @Test("a header line longer than the limit costs an error, and the next message arrives", arguments: chunkSizes)
  func longHeaderLine(chunkSize: Int) {
    let input =
      "Content-Length: 2\r\n\r\n{}X-Long: " + String(repeating: "a", count: 20_000)
      + "\r\n\r\nContent-Length: 3\r\n\r\n[1]"
    #expect(
      events(input, chunkSize: chunkSize)
        == messages("{}") + [.malformedHeader("the header block is longer than 8192 bytes")] + messages("[1]"))
  }

  @Test(
    "a Content-Length too long to skip is refused and the next header is read, however the reads cut it",
    arguments: chunkSizes)
  func unskippableLength(chunkSize: Int) {
    let input = "Content-Length: 999999999999999999\r\n\r\nContent-Length: 2\r\n\r\n{}"
    #expect(
      events(input, chunkSize: chunkSize) == [.oversized(size: 999_999_999_999_999_999, limit: 1024)] + messages("{}"))
  }

  /// A message hidden in what an announced length covers tells skipping (it is not seen) from refusing (it is).
  @Test("lengths up to maxSkippableBytes are skipped as they stream; one byte more is refused at once")
  func skippableBound() {
    func run(_ length: Int) -> [MessageSplitter.Event] {
      var splitter = MessageSplitter(maxMessageBytes: 100, maxSkippableBytes: 10_000)
      var events: [MessageSplitter.Event] = []
      splitter.append(Array("Content-Length: \(length)\r\n\r\n".utf8))
      while let event = splitter.next() { events.append(event) }
      let hidden = Array("Content-Length: 2\r\n\r\n[]".utf8)
      splitter.append(hidden + [UInt8](repeating: UInt8(ascii: "x"), count: 10_001 - hidden.count))
      splitter.append(Array("\nContent-Length: 2\r\n\r\n{}".utf8))
      while let event = splitter.next() { events.append(event) }
      return events
    }
    // 10 000 bytes skipped, then a stray "x" line before the next header.
    #expect(
      run(10_000) == [.oversized(size: 10_000, limit: 100), .malformedHeader(#"not a header line: "x""#)]
        + messages("{}"))
    // Refused: the hidden message is read, then the 10 KB line of x is too long for a header block.
    #expect(
      run(10_001) == [.oversized(size: 10_001, limit: 100)] + messages("[]")
        + [.malformedHeader("the header block is longer than 8192 bytes")] + messages("{}"))
  }

  func framing(of input: String) -> Framing? {
    var splitter = MessageSplitter(maxMessageBytes: 1024)
    splitter.append(Array(input.utf8))
    _ = splitter.next()
    return splitter.framing
  }
}
