import EngineKit

/// An explained error beside the engine's state now: what `explain` answers, on the command line and over the
/// protocol.
public struct ExplainedError: Sendable, Codable {
  /// The known error's code, or `unknown`.
  public var code: String
  /// The line the code was read from; absent for unknown text.
  public var matched: String?
  public var meaning: String
  public var fix: String
  /// The engine address the text names.
  public var endpoint: String?
  /// The diagnosis of the engine now (the one the text names when it is on this machine, else the configured one).
  public var live: HealthReport
  /// One sentence: how the text's situation compares with the engine now.
  public var now: String

  public init(_ explanation: Explanation, live: HealthReport) {
    code = explanation.code
    matched = explanation.matched
    meaning = explanation.meaning
    fix = explanation.fix
    endpoint = explanation.endpoint
    self.live = live
    now = Self.comparison(explanation, live: live)
  }

  /// Whether the text held a known error.
  public var isKnown: Bool { code != Explanation.unknownCode }

  /// "The text says the pipe was missing; the engine at … answers now: retry."
  static func comparison(_ explanation: Explanation, live: HealthReport) -> String {
    let host = live.endpoint.host
    var said = explanation.finding.map { "The text says \($0)" } ?? "No known error in this text"
    if let named = explanation.endpoint, named != host { said += " (it names \(named); checked \(host))" }
    let issue = live.issues.first?.message ?? live.status.rawValue
    let state: String
    switch live.status {
    case .ready:
      state =
        !explanation.isKnown
        ? "the engine at \(host) answers now"
        : explanation.concernsEngine
          ? "the engine at \(host) answers now: retry"
          : "the engine at \(host) answers now, so the fix above is what is left"
    case .degraded:
      state = "the engine at \(host) answers now, but \(issue)"
    case .starting:
      state = "the engine at \(host) is starting now: wait for it (docker-preflight wait), then retry"
    case .hung:
      state = "the engine at \(host) is hung now: \(issue); docker-preflight heal restarts it"
    case .unreachable:
      let still = explanation.concernsEngine ? "still does not answer" : "does not answer now"
      state = "the engine at \(host) \(still): \(issue); docker-preflight heal starts it"
    }
    return "\(said); \(state)."
  }
}

extension Explanation {
  var isKnown: Bool { code != Self.unknownCode }

  /// The endpoint the text names, when this machine has it: a unix socket in a directory that exists here. A pipe,
  /// or a socket path of another machine's layout (a CI runner's, a Mac's), is not one to diagnose from here.
  public var localEndpoint: Endpoint? {
    guard let endpoint, let parsed = try? Endpoint(parsing: endpoint, source: .namedInText),
      case .unix(let path) = parsed.transport, let slash = path.lastIndex(of: "/")
    else { return nil }
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    return fileExists(directory) ? parsed : nil
  }
}

extension ErrorExplainer {
  /// Explains `text`, then diagnoses the engine: `configured` when the caller chose it (`-H`, `--context`, the
  /// request's `host`), else the socket the text names when it is on this machine, else `configured`.
  public func explainWithLiveState(
    _ text: String, configured: Endpoint, endpointChosen: Bool, options: DiagnoseOptions
  ) async -> ExplainedError {
    let explanation = explain(text)
    let endpoint = endpointChosen ? configured : (explanation.localEndpoint ?? configured)
    let report = await Diagnoser(endpoint: endpoint, options: options).diagnose()
    return ExplainedError(explanation, live: report)
  }
}
