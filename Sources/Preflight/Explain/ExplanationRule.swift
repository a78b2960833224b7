/// One kind of error a log may show: how to recognise a line of it, what it means and what fixes it.
///
/// Lines are recognised by their stable parts (pipe names, errno names, API paths, the fixed words of the docker
/// CLI, dockerd, Docker Desktop, Podman and the Dev Containers CLI), never by a whole sentence, so that wording
/// that changes between versions, or a Windows message in another language, is still recognised.
public struct ExplanationRule: Sendable {
  /// Stable, kebab-case: the issue code the project already uses where one fits (`socket-missing`, …).
  public var code: String
  /// Whether the error is about reaching or running the engine, so that the engine answering now means it is gone.
  public var concernsEngine: Bool
  /// What the text says happened, to follow "the text says": "the socket was missing".
  public var finding: String
  /// What the error means.
  public var meaning: String
  /// What to do about it.
  public var fix: String
  /// Whether a line (lower-cased) is an instance of this error.
  let matches: @Sendable (LogLine) -> Bool

  init(
    _ code: String, engine: Bool, finding: String, meaning: String, fix: String,
    matches: @escaping @Sendable (LogLine) -> Bool
  ) {
    self.code = code
    concernsEngine = engine
    self.finding = finding
    self.meaning = meaning
    self.fix = fix
    self.matches = matches
  }
}

/// A line of a log, lower-cased once, with the questions rules ask of it.
struct LogLine: Sendable {
  let text: String

  init(_ line: some StringProtocol) { text = line.lowercased() }

  /// Whether every fragment occurs.
  func has(_ fragments: String...) -> Bool { fragments.allSatisfy { text.contains($0) } }

  /// Whether any fragment occurs.
  func hasAny(_ fragments: String...) -> Bool { fragments.contains { text.contains($0) } }

  /// `open //./pipe/NAME:` or `open \\.\pipe\NAME:`: the docker CLI failing to open a named pipe, followed by the
  /// Windows message in the system's language.
  /// `//.pipe/` too: the origin story's message, as it was pasted (a lost `/`), still names a pipe.
  var opensPipe: Bool { hasAny("open //./pipe/", "open //.pipe/", #"open \\.\pipe\"#) }

  /// A call to an image registry's API (`/v2/`) or one of the well-known registries.
  var namesRegistry: Bool {
    hasAny("/v2/", "registry-1.docker.io", "index.docker.io", "ghcr.io", "quay.io", "gcr.io", "registry")
  }
}
