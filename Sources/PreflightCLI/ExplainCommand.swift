import ArgumentParser
import EngineKit
import Preflight

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `docker-preflight explain`: a raw error from a log → its issue code, meaning and fix, and the engine's state now.
struct ExplainCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain an error from a log (docker, Dev Containers, CI) and say whether it still holds.",
    discussion: """
      Reads the error from the arguments, or from stdin (`-`, or no arguments when stdin is not a terminal). A \
      whole log excerpt may be given: the most specific known error in it is explained. Then the engine is \
      diagnosed as `check` does: the socket the text names when it is on this machine, else the engine docker \
      would use here (-H and --context choose another).

      Examples:
        docker-preflight explain 'open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file ...'
        docker-preflight explain 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.'
        docker compose up 2>&1 | docker-preflight explain -
        docker-preflight explain --json - < devcontainer.log | jq -r .code

      Exit codes: 0 a known error was explained, 1 no known error in the text, 2 usage or configuration error.
      """
  )

  /// Logs larger than this are read up to here: the error that stopped a run is rarely megabytes into it.
  static let inputLimit = 16 << 20

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print {code, matched, meaning, fix, endpoint, live, now} as JSON on stdout.")
  var json = false

  @Option(help: "How long to wait for the engine to answer each call, e.g. 1s, 500ms.")
  var timeout: TimeoutValue = TimeoutValue(duration: .seconds(1))

  @Argument(
    help: ArgumentHelp("The error text (its words may be separate arguments), or - for stdin.", valueName: "text"))
  var text: [String] = []

  func validate() throws {
    if text.isEmpty && isatty(0) == 1 {
      throw ValidationError("give the error text as arguments, or on stdin (explain -)")
    }
  }

  func run() async throws {
    global.bootstrapLogging()
    let configuration = try global.loadConfiguration()
    let endpoint = try global.resolveEndpoint()
    let input = text.isEmpty || text == ["-"] ? Self.readStandardInput() : text.joined(separator: " ")
    var options = DiagnoseOptions(timeout: timeout.duration, host: HostEnvironment(environment: global.environment))
    options.applyDefaults(from: configuration)
    let explained = await ErrorExplainer().explainWithLiveState(
      input, configured: endpoint, endpointChosen: global.host != nil || global.context != nil, options: options)
    if json {
      try FileHandleStream.standardOutput.writeJSON(explained)
    } else {
      FileHandleStream.standardOutput.write(Self.render(explained))
    }
    if !explained.isKnown { throw ExitCode(ExitStatus.unhealthy) }
  }

  static func render(_ explained: ExplainedError) -> String {
    var lines = [explained.isKnown ? "\(explained.code): \(explained.meaning)" : "unknown: \(explained.meaning)"]
    if let matched = explained.matched { lines.append("  line:     \(matched)") }
    if let endpoint = explained.endpoint { lines.append("  endpoint: \(endpoint)") }
    if explained.isKnown { lines.append("  fix:      \(explained.fix)") }
    lines.append("  now:      \(explained.now)")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Standard input up to ``inputLimit`` bytes, as UTF-8 (invalid bytes replaced).
  static func readStandardInput() -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while bytes.count < inputLimit {
      let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      bytes += chunk[..<count]
    }
    return String(decoding: bytes.prefix(inputLimit), as: UTF8.self)
  }
}
