import JSON
import JSONRPC

/// One example session of protocol/examples/ (its README describes the format): header comments saying how to set
/// the session up, then each message as it travels, after a line `-->` (client to server) or `<--` (server to
/// client) that may carry a note.
struct ProtocolTranscript {
  enum Direction: String { case clientToServer = "-->", serverToClient = "<--" }

  struct Entry {
    /// Comment and blank lines before the marker, kept for rendering.
    var leading: [String]
    /// The marker line, note included, without its newline.
    var marker: String
    var direction: Direction
    /// The message body: one JSON text (for the client, any bytes: examples show malformed input too).
    var body: [UInt8]
  }

  struct FormatError: Error, CustomStringConvertible {
    let description: String
  }

  /// The directory the examples show; replaced with the session's own directory when replayed.
  static let placeholderDirectory = "/tmp/preflight-example"

  var header: [String] = []
  var entries: [Entry] = []
  var trailing: [String] = []
  var framing = Framing.newlineDelimited
  /// `# engine: running` starts a private dockerd on `unix:///tmp/preflight-example/docker.sock`.
  var engineRunning = false
  var environment: [String: String] = [:]
  var exitStatus: Int32 = 0

  init(parsing bytes: [UInt8]) throws {
    var lines = LineReader(bytes: bytes)
    var leading: [String] = []
    while let line = lines.next() {
      let text = String(decoding: line, as: UTF8.self)
      guard let direction = Direction(rawValue: String(text.prefix(3))) else {
        guard text.isEmpty || text.hasPrefix("#") else { throw FormatError(description: "unexpected line: \(text)") }
        if entries.isEmpty { try readHeader(text) }
        leading.append(text)
        continue
      }
      let body = try framing == .contentLength ? lines.contentLengthBody() : lines.requireLine()
      if entries.isEmpty {
        header = leading
        leading = []
      }
      entries.append(Entry(leading: leading, marker: text, direction: direction, body: body))
      leading = []
    }
    trailing = leading
  }

  private mutating func readHeader(_ line: String) throws {
    let fields = line.dropFirst().split(separator: ":", maxSplits: 1).map { $0.trimmingWhitespace() }
    guard fields.count == 2 else { return }
    switch fields[0] {
    case "framing":
      guard let value = ["ndjson": Framing.newlineDelimited, "lsp": .contentLength][fields[1]] else {
        throw FormatError(description: "framing must be ndjson or lsp, not \(fields[1])")
      }
      framing = value
    case "engine":
      engineRunning = fields[1] == "running"
    case "environment":
      let pair = fields[1].split(separator: "=", maxSplits: 1).map(String.init)
      guard pair.count == 2 else { throw FormatError(description: "environment needs NAME=VALUE: \(line)") }
      environment[pair[0]] = pair[1]
    case "exit":
      guard let status = Int32(fields[1]) else { throw FormatError(description: "exit needs a number: \(line)") }
      exitStatus = status
    default:
      break
    }
  }

  /// The bytes a client writes for `entry`, framed, with `directory` in place of the placeholder.
  func wireBytes(_ entry: Entry, directory: String) -> [UInt8] {
    let body = String(decoding: entry.body, as: UTF8.self).replacing(Self.placeholderDirectory, with: directory)
    var bytes: [UInt8] = []
    framing.frame(Array(body.utf8), into: &bytes)
    return bytes
  }

  /// The transcript as a file: what was parsed, with each server message's body as given.
  func rendered() -> [UInt8] {
    var output: [UInt8] = []
    func line(_ text: String) { output += Array(text.utf8) + [UInt8(ascii: "\n")] }
    header.forEach(line)
    for entry in entries {
      entry.leading.forEach(line)
      line(entry.marker)
      framing.frame(entry.body, into: &output)
      // In the file, a Content-Length body is followed by a line end that is not part of the stream.
      if framing == .contentLength { output.append(UInt8(ascii: "\n")) }
    }
    trailing.forEach(line)
    return output
  }
}

/// Lines of a byte buffer, and the Content-Length frames between them.
private struct LineReader {
  let bytes: [UInt8]
  var position = 0

  /// The next line without its `\n`, or `nil` at the end.
  mutating func next() -> [UInt8]? {
    guard position < bytes.count else { return nil }
    let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
    defer { position = end + 1 }
    return Array(bytes[position..<end])
  }

  mutating func requireLine() throws -> [UInt8] {
    guard let line = next() else { throw ProtocolTranscript.FormatError(description: "a marker ends the file") }
    return line
  }

  /// Headers ending in `\r\n`, an empty `\r\n` line, exactly Content-Length bytes, then the file's own `\n`.
  mutating func contentLengthBody() throws -> [UInt8] {
    var length: Int?
    while true {
      let line = try requireLine()
      guard line.last == UInt8(ascii: "\r") else {
        let text = String(decoding: line, as: UTF8.self)
        throw ProtocolTranscript.FormatError(description: "a header line must end in \\r\\n: \(text)")
      }
      let text = String(decoding: line.dropLast(), as: UTF8.self)
      if text.isEmpty { break }
      if text.lowercased().hasPrefix("content-length:") { length = Int(text.dropFirst(15).trimmingWhitespace()) }
    }
    guard let length, position + length < bytes.count, bytes[position + length] == UInt8(ascii: "\n") else {
      throw ProtocolTranscript.FormatError(
        description: "Content-Length does not match the body that follows it (near byte \(position))")
    }
    defer { position += length + 1 }
    return Array(bytes[position..<position + length])
  }
}

extension StringProtocol {
  fileprivate func trimmingWhitespace() -> String {
    String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }
}
