#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What stderr can show, decided once from the descriptor and the environment:
/// - a terminal gets one live status line; anything else (a pipe, a CI log, `TERM=dumb`) plain timestamped lines;
/// - escape sequences (colour, erase-line) only on a terminal, and neither with `NO_COLOR` (any value, as
///   no-color.org says) nor with `TERM=dumb`: the live line is then redrawn with a carriage return and spaces;
/// - `✔ ✘ ⠋ ·` only when the locale's character set is UTF-8 (`LC_ALL`, else `LC_CTYPE`, else `LANG`), else ASCII.
struct TerminalStyle: Sendable, Equatable {
  /// One line redrawn in place, rather than a line per change.
  var liveLine: Bool
  /// Escape sequences may be written.
  var escapes: Bool
  var unicode: Bool

  static func forStandardError(environment: [String: String]) -> TerminalStyle {
    TerminalStyle(isTerminal: isatty(2) == 1, environment: environment)
  }

  init(liveLine: Bool, escapes: Bool, unicode: Bool) {
    self.liveLine = liveLine
    self.escapes = escapes
    self.unicode = unicode
  }

  init(isTerminal: Bool, environment: [String: String]) {
    let dumb = environment["TERM"] == "dumb"
    liveLine = isTerminal && !dumb
    escapes = liveLine && environment["NO_COLOR"] == nil
    unicode = Self.localeIsUTF8(environment)
  }

  static func localeIsUTF8(_ environment: [String: String]) -> Bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
    let normalized = locale.lowercased().replacing("-", with: "")
    return normalized.contains("utf8")
  }

  var spinnerFrames: [String] {
    unicode ? ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] : ["-", "\\", "|", "/"]
  }
  var separator: String { unicode ? "·" : "-" }

  /// `✔`/`✘`, in green/red where escapes are allowed; `ok`/`FAILED` in ASCII.
  func mark(succeeded: Bool) -> String {
    let text = unicode ? (succeeded ? "✔" : "✘") : (succeeded ? "ok" : "FAILED")
    return escapes ? "\u{1B}[\(succeeded ? 32 : 31)m\(text)\u{1B}[0m" : text
  }

  /// Text for a terminal that might not show every character: in ASCII, the marks and punctuation our own messages
  /// use become their nearest ASCII.
  func text(_ text: String) -> String {
    guard !unicode else { return text }
    var result = ""
    for character in text {
      switch character {
      case "…": result += "..."
      case "→": result += "->"
      case "·": result += "-"
      case "✔": result += "ok"
      case "✘": result += "FAILED"
      default: result.append(character)
      }
    }
    return result
  }
}
