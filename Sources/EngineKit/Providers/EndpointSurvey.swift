/// An endpoint worth trying: configured (flag, environment, context, default) or discovered from the socket table.
public struct EndpointCandidate: Sendable, Hashable {
  public var endpoint: Endpoint
  /// Whose it is, from where it points.
  public var attribution: ProviderAttribution?
  /// The one the docker CLI would use now.
  public var isCurrent: Bool
}

/// A candidate after it was asked `_ping`, `/version` and `/info`.
public struct ProbedEndpoint: Sendable {
  public var candidate: EndpointCandidate
  public var ping: PingResult?
  public var version: EngineVersion?
  public var info: SystemInfo?
  /// Why it did not answer.
  public var error: EngineError?
  /// Whose it is, from its answers when it answered, else from where it points.
  public var provider: ProviderAttribution?

  /// `_ping` and `/version` answered.
  public var answers: Bool { version != nil }
}

/// Every endpoint this machine offers: the configured ones, Docker contexts, and the sockets of the socket table that
/// exist. Probed concurrently, each bounded by a short timeout, so that one black hole does not hold up the list.
public struct EndpointSurvey: Sendable {
  /// The endpoint the docker CLI would use, first, then any other configured ones.
  public var configured: [Endpoint]
  /// Every docker context's endpoint.
  public var contexts: [Endpoint]
  public var host: HostEnvironment
  /// What could not be read on the way: the configured endpoint (a malformed `DOCKER_HOST`, `config.json`, a
  /// missing context) and contexts whose `meta.json` is damaged. The rest is still listed.
  public var problems: [EndpointError]

  public init(configured: [Endpoint], contexts: [Endpoint] = [], host: HostEnvironment) {
    self.configured = configured
    self.contexts = contexts
    self.host = host
    problems = []
  }

  /// The endpoint `resolver` resolves to, and every context in its docker configuration directory.
  public init(resolver: EndpointResolver, host: HostEnvironment) {
    self.init(configured: [], host: host)
    do {
      configured = [try resolver.resolve()]
    } catch {
      problems.append(error)
    }
    let store = resolver.contextStore
    let listing = store.list()
    problems += listing.problems
    for context in listing.contexts {
      do {
        contexts.append(try store.endpoint(for: context))
      } catch {
        problems.append(error)
      }
    }
  }

  /// Configured first, then contexts, then discovered sockets that exist (on Windows, every known pipe: a pipe's
  /// existence cannot be told without opening it). One entry per address, the first source kept.
  public func candidates() -> [EndpointCandidate] {
    let table = ProviderSocketTable(host: host)
    var seen: Set<String> = []
    var result: [EndpointCandidate] = []
    func add(_ endpoint: Endpoint, current: Bool) {
      guard seen.insert(Self.identity(of: endpoint)).inserted else { return }
      result.append(
        EndpointCandidate(endpoint: endpoint, attribution: table.attribution(of: endpoint), isCurrent: current))
    }
    for (index, endpoint) in configured.enumerated() { add(endpoint, current: index == 0) }
    for endpoint in contexts { add(endpoint, current: false) }
    for socket in table.entries() {
      // Existence only: connecting is the probe's job, once.
      if let path = socket.path, !HostFiles.exists(path) { continue }
      add(socket.endpoint, current: false)
    }
    return result
  }

  /// Probes at once at most: enough that a machine's handful of endpoints are asked together, few enough that a
  /// configuration listing hundreds does not open hundreds of connections (or ssh children) at a time.
  public static let maximumConcurrentProbes = 16

  /// Asks the candidates concurrently (``maximumConcurrentProbes`` at a time); the answers keep their order.
  public func probe(timeout: Duration) async -> [ProbedEndpoint] {
    let candidates = candidates()
    let detector = ProviderDetector(host: host, inWSL: WSLDetector(host: host).kernelFacts().version != nil)
    return await withTaskGroup(of: (Int, ProbedEndpoint).self) { group in
      var results: [ProbedEndpoint?] = Array(repeating: nil, count: candidates.count)
      for (index, candidate) in candidates.enumerated() {
        if index >= Self.maximumConcurrentProbes, let (done, probed) = await group.next() { results[done] = probed }
        group.addTask {
          var probed = ProbedEndpoint(candidate: candidate, provider: candidate.attribution)
          do throws(EngineError) {
            try await EngineClient(endpoint: candidate.endpoint, timeout: timeout).withSession { session in
              probed.ping = try await session.ping()
              probed.version = try await session.version()
              probed.info = try? await session.info()
            }
          } catch {
            probed.error = error
          }
          if probed.answers {
            probed.provider = detector.identify(
              endpoint: candidate.endpoint, ping: probed.ping, version: probed.version, info: probed.info)
          }
          return (index, probed)
        }
      }
      for await (index, probed) in group { results[index] = probed }
      return results.compactMap { $0 }
    }
  }

  /// `unix:///var/run/docker.sock` and `/var/run/docker.sock` are one endpoint.
  static func identity(of endpoint: Endpoint) -> String {
    switch endpoint.transport {
    case .unix(let path): "unix://\(path)"
    case .namedPipe(let path): "npipe://\(path.lowercased())"
    default: endpoint.host
    }
  }
}
