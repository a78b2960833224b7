import EngineKit

/// What an error text is about: its issue code, the line that says so, what it means and the fix.
public struct Explanation: Sendable, Hashable, Codable {
  /// The rule's stable code; `unknown` when no line of the text is a known error.
  public var code: String
  /// The line the code was read from; absent for unknown text.
  public var matched: String?
  public var meaning: String
  public var fix: String
  /// The engine address the text names (`unix:///var/run/docker.sock`, `npipe:////./pipe/docker_engine`, …),
  /// decoded from the forms the docker CLI writes it in.
  public var endpoint: String?
  /// What the text says happened, as a clause ("the socket was missing"); absent for unknown text.
  public var finding: String?
  /// Whether the error is about reaching or running the engine.
  public var concernsEngine: Bool

  public static let unknownCode = "unknown"
}

/// Reads a raw error (a line, or a whole log excerpt) and tells which known error it is.
public struct ErrorExplainer: Sendable {
  /// The longest line kept in ``Explanation/matched``: a log line may be a whole JSON document.
  static let matchedLimit = 1000

  public var rules: [ExplanationRule]

  public init(rules: [ExplanationRule] = ExplanationRule.table) { self.rules = rules }

  /// The most specific known error in `text`: of all lines, the one whose rule comes first in ``rules`` (the
  /// earliest such line on a tie, as a log's first error is usually the cause of the rest).
  public func explain(_ text: String) -> Explanation {
    let lines = text.split(whereSeparator: \.isNewline).map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
    var best: (rule: Int, line: String)?
    for line in lines {
      let logLine = LogLine(line)
      let limit = best?.rule ?? rules.count
      guard let index = rules[..<limit].firstIndex(where: { $0.matches(logLine) }) else { continue }
      best = (index, line)
      if index == 0 { break }
    }
    let endpoint =
      best.flatMap { EndpointMention.find(in: $0.line) } ?? lines.lazy.compactMap(EndpointMention.find).first
    guard let best else {
      return Explanation(
        code: Explanation.unknownCode, matched: nil, meaning: "no known error in this text",
        fix: "Nothing to fix from the text alone; the live state of the engine is below", endpoint: endpoint,
        finding: nil, concernsEngine: false)
    }
    let rule = rules[best.rule]
    return Explanation(
      code: rule.code, matched: String(best.line.prefix(Self.matchedLimit)), meaning: rule.meaning, fix: rule.fix,
      endpoint: endpoint, finding: rule.finding, concernsEngine: rule.concernsEngine)
  }
}

/// Finds the engine address a line names, in each form the docker CLI and Windows write it.
enum EndpointMention {
  /// The first address in `line`: a written one (`unix://`, `npipe://`, `tcp://`, `ssh://`), else one decoded from
  /// an API URL (`http://%2Fvar%2Frun%2Fdocker.sock/v1.24/…`), an `open //./pipe/NAME:` or a `dial unix PATH:`.
  static func find(in line: String) -> String? {
    written(in: line) ?? escaped(in: line) ?? openedPipe(in: line) ?? dialedSocket(in: line)
  }

  private static let schemes = ["unix://", "npipe://", "tcp://", "ssh://"]

  /// Characters that end an address in running text.
  private static func endsAddress(_ character: Character) -> Bool {
    character.isWhitespace || "\"'`;,()<>[]".contains(character)
  }

  private static func written(in line: String) -> String? {
    let found = schemes.compactMap { scheme in line.firstRange(of: scheme) }.min { $0.lowerBound < $1.lowerBound }
    guard let found else { return nil }
    var address = String(line[found.lowerBound...].prefix { !endsAddress($0) })
    // The sentence's own punctuation: "… at unix:///var/run/docker.sock. Is the docker daemon running?"
    while let last = address.last, ".:".contains(last) { address.removeLast() }
    return address.count > line[found].count ? address : nil
  }

  /// `http://%2F%2F.%2Fpipe%2FNAME/v1.51/…` (a pipe) and `http://%2Fvar%2Frun%2Fdocker.sock/v1.24/…` (a
  /// socket): the Go client puts the socket's path, escaped, where an HTTP URL has its host.
  private static func escaped(in line: String) -> String? {
    guard let start = line.firstRange(of: "http://%2") else { return nil }
    let authority = line[line.index(start.lowerBound, offsetBy: 7)...].prefix { $0 != "/" && !endsAddress($0) }
    guard let path = percentDecoded(String(authority)), path.hasPrefix("/") else { return nil }
    return path.hasPrefix("//./pipe/") ? "npipe://\(path)" : "unix://\(path)"
  }

  private static func openedPipe(in line: String) -> String? {
    for prefix in ["open //./pipe/", #"open \\.\pipe\"#] {
      guard let found = line.firstRange(of: prefix) else { continue }
      let name = line[found.upperBound...].prefix { $0 != ":" && !endsAddress($0) }
      if !name.isEmpty { return "npipe:////./pipe/\(name)" }
    }
    return nil
  }

  private static func dialedSocket(in line: String) -> String? {
    guard let found = line.firstRange(of: "dial unix ") else { return nil }
    let path = line[found.upperBound...].prefix { $0 != ":" && !endsAddress($0) }
    return path.hasPrefix("/") ? "unix://\(path)" : nil
  }

  /// `%2F` → `/`; `nil` for a malformed escape.
  static func percentDecoded(_ text: String) -> String? {
    var bytes: [UInt8] = []
    var utf8 = text.utf8.makeIterator()
    while let byte = utf8.next() {
      guard byte == UInt8(ascii: "%") else {
        bytes.append(byte)
        continue
      }
      guard let high = utf8.next(), let low = utf8.next(),
        let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
      else { return nil }
      bytes.append(value)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
