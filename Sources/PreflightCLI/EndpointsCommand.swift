import ArgumentParser
import EngineKit
import Preflight

/// `docker-preflight endpoints`: every endpoint this machine offers, where each came from, whose it is, and whether it
/// answers.
struct EndpointsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "endpoints",
    abstract: "List every engine endpoint known here, where it came from, and whether it answers.",
    discussion: """
      Lists the endpoint the docker CLI would use (marked *), every docker context's endpoint, then the sockets of \
      known providers that exist on this machine (Docker Desktop, rootless Docker, Podman, Colima, Rancher Desktop, \
      OrbStack, Lima). Every endpoint is asked `_ping`, `/version` and `/info` at the same time, each bounded by \
      --timeout.

      Examples:
        docker-preflight endpoints
        docker-preflight endpoints --json | jq '.endpoints[] | select(.answers)'

      Exit codes: 0 (the list is the result, whether or not anything answers).
      """
  )

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print the list as JSON on stdout.")
  var json = false

  @Option(help: "How long each endpoint may take to answer, e.g. 1s, 300ms.")
  var timeout: TimeoutValue = TimeoutValue(duration: .seconds(1))

  func run() async throws {
    global.bootstrapLogging()
    let survey = EndpointSurvey(resolver: global.resolver, host: HostEnvironment(environment: global.environment))
    let probed = await survey.probe(timeout: timeout.duration)
    let listing = EndpointListing(
      endpoints: probed.map(EndpointListing.Entry.init), problems: survey.problems.map(\.description))
    if json {
      try FileHandleStream.standardOutput.writeJSON(listing)
    } else {
      FileHandleStream.standardOutput.write(listing.rendered)
    }
  }
}

/// What `endpoints --json` prints.
struct EndpointListing: Codable {
  struct Entry: Codable {
    struct Engine: Codable {
      var product: String
      var version: String
      var apiVersion: String
    }
    struct Failure: Codable {
      var code: String
      var message: String
      var recommendation: String
    }
    var host: String
    /// `flag`, `env DOCKER_HOST`, `context NAME`, `default`, `discovered PROVIDER`.
    var source: String
    var transport: String
    /// A provider id (`docker-engine`, `podman`, …), from the answers when it answered, else from the address.
    var provider: String?
    var providerReason: String?
    /// The endpoint the docker CLI would use.
    var current: Bool
    var answers: Bool
    var engine: Engine?
    var error: Failure?

    init(_ probed: ProbedEndpoint) {
      let endpoint = probed.candidate.endpoint
      host = endpoint.host
      source = endpoint.source.description
      transport = endpoint.transportName
      provider = probed.provider?.provider.rawValue
      providerReason = probed.provider?.reason
      current = probed.candidate.isCurrent
      answers = probed.answers
      engine = probed.version.map {
        Engine(product: $0.product, version: $0.version, apiVersion: probed.ping?.apiVersion ?? $0.apiVersion)
      }
      error = probed.error.map { Failure(code: $0.code, message: $0.message, recommendation: $0.recommendation) }
    }
  }

  var endpoints: [Entry]
  /// What could not be read: the configured endpoint (a malformed DOCKER_HOST, config.json, a missing context) or a
  /// damaged context. Each names the setting or file.
  var problems: [String]

  /// A table for people: the current endpoint marked `*`.
  var rendered: String {
    let header = ["ENDPOINT", "SOURCE", "PROVIDER", "STATUS"]
    let rows = endpoints.map { entry -> [String] in
      let provider = entry.provider.map { Provider(rawValue: $0)?.displayName ?? $0 } ?? "-"
      let status =
        if let engine = entry.engine { "answers: \(engine.product) \(engine.version), API \(engine.apiVersion)" } else {
          entry.error?.code ?? "does not answer"
        }
      return [(entry.current ? "* " : "  ") + entry.host, entry.source, provider, status]
    }
    let table = [["  " + header[0]] + header.dropFirst()] + rows
    let widths = (0..<header.count - 1).map { column in table.map { $0[column].count }.max() ?? 0 }
    var lines = table.map { row in
      row.enumerated().map { index, cell in index < widths.count ? cell.padding(toLength: widths[index]) : cell }
        .joined(separator: "  ")
    }
    lines += problems.map { "problem: \($0)" }
    return lines.joined(separator: "\n") + "\n"
  }
}
