import EngineKit
import Preflight
import Synchronization

/// `check`'s questions to the engine, asked before the command line is parsed: the argument parser takes 3–5 ms to
/// reflect on the command, and dockerd takes longer than that to answer `/version`, so the two run side by side
/// instead of one after the other.
///
/// Only a plain `check` command line gets a head start (the subcommand first, then flags from a short list whose
/// meaning is plain without the parser), and only for an engine on a unix socket or TCP. What the parser then makes
/// of the command line decides: ``take(for:)`` hands the probe over only when it asks what the diagnosis would (same
/// endpoint, same bounds); otherwise it is cancelled, and nothing was lost but a connection.
enum EngineHeadStart {
  private static let started = Mutex<EngineProbe?>(nil)

  /// Flags of `check` that say nothing about where or how to ask the engine.
  private static let plainFlags: Set<String> = ["--json", "-q", "--quiet", "--deep"]
  /// Options that take a value; of them only the global ones (-H, --host, --context, --config) change the endpoint.
  private static let valueOptions: Set<String> = [
    "-H", "--host", "--context", "--config", "--log-level", "--probe-image", "--probe-timeout",
  ]

  /// Starts the probe when `arguments` (global options already after the subcommand) are a plain `check`.
  static func begin(_ arguments: [String]) {
    guard arguments.first == "check",
      let options = PlainCommandLine.split(
        Array(arguments.dropFirst()), flags: plainFlags, options: valueOptions)?.values
    else { return }
    var environment = HostEnvironment.processEnvironment
    if let directory = options["--config"] { environment["DOCKER_CONFIG"] = directory }
    let resolver = EndpointResolver(
      hostFlag: options["-H"] ?? options["--host"], contextFlag: options["--context"], environment: environment)
    // Over ssh a question is an ssh process: not one to start for a command line that may still be refused.
    guard let endpoint = try? resolver.resolve(), endpoint.connectsCheaply else { return }
    let probe = EngineProbe.start(DiagnoseOptions().client(for: endpoint), asking: Diagnoser.standardQuestions)
    started.withLock { $0 = probe }
  }

  /// The probe started by ``begin(_:)``, when it asks like `client` would; `nil` (and the probe cancelled) otherwise.
  static func take(for client: EngineClient) -> EngineProbe? {
    guard let probe = started.withLock({ $0.take() }) else { return nil }
    guard probe.asks(like: client) else {
      probe.cancel()
      return nil
    }
    return probe
  }
}
