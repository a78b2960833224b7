import EngineKit
import Synchronization

/// The questions a diagnosis asks the engine, all asked the moment the endpoint is known: `_ping`, `/version`, and
/// `/info` when a check needs it. dockerd 20.10 answers `/version` and `/info` by running `runc --version` and
/// `docker-init --version` (~7 ms each), so asking them together, rather than one after another, is most of how fast a
/// diagnosis is; and a probe started before the waiting begins (a connection queued on the socket of a daemon that is
/// still starting) is answered the moment the daemon serves.
///
/// Where a connection is cheap (a unix socket, TCP) each question has its own; over ssh, where a connection is an ssh
/// process, `_ping` and `/version` share one, in that order.
public final class EngineProbe: Sendable {
  public let client: EngineClient
  private let ping: Task<Result<PingResult, EngineError>, Never>
  private let version: Task<Result<EngineVersion, EngineError>, Never>
  /// Asked at the start, or when first wanted.
  private let info = Mutex<Task<SystemInfo?, Never>?>(nil)

  /// Asks at once; `systemInfo` says whether `/info` is wanted too.
  public static func start(_ client: EngineClient, systemInfo: Bool) -> EngineProbe {
    EngineProbe(client: client, systemInfo: systemInfo)
  }

  private init(client: EngineClient, systemInfo: Bool) {
    self.client = client
    if client.endpoint.connectsCheaply {
      ping = Task {
        await Self.result { () throws(EngineError) in try await client.withSession { try await $0.ping() } }
      }
      version = Task {
        await Self.result { () throws(EngineError) in try await client.withSession { try await $0.version() } }
      }
    } else {
      let both = Task { await Self.pingThenVersion(client) }
      ping = Task { await both.value.ping }
      version = Task { await both.value.version }
    }
    if systemInfo { _ = infoRequest() }
  }

  private func infoRequest() -> Task<SystemInfo?, Never> {
    let client = client
    return info.withLock { request in
      if let request { return request }
      let started = Task { try? await client.withSession { try await $0.info() } }
      request = started
      return started
    }
  }

  /// What `_ping` said.
  public func pinged() async throws(EngineError) -> PingResult { try await ping.value.get() }

  /// `_ping` and `/version`, both answered: the engine is ready. When `_ping` failed, its error is the answer.
  public func answers() async throws(EngineError) -> (PingResult, EngineVersion) {
    let ping = try await pinged()
    return (ping, try await version.value.get())
  }

  /// `/info`, asked once; `nil` when the engine would not say.
  public var systemInfo: SystemInfo? {
    get async { await infoRequest().value }
  }

  /// Whether this probe asks what a diagnosis with `client`'s endpoint and bounds would.
  public func asks(like client: EngineClient) -> Bool {
    self.client.endpoint == client.endpoint && self.client.timeout == client.timeout && self.client.ssh == client.ssh
  }

  /// Stops asking: questions still open end at once, their connections closed.
  public func cancel() {
    ping.cancel()
    version.cancel()
    info.withLock { $0?.cancel() }
  }

  private static func result<T>(_ body: () async throws(EngineError) -> T) async -> Result<T, EngineError> {
    do { return .success(try await body()) } catch { return .failure(error) }
  }

  private static func pingThenVersion(
    _ client: EngineClient
  ) async -> (ping: Result<PingResult, EngineError>, version: Result<EngineVersion, EngineError>) {
    let pinged = Mutex<PingResult?>(nil)
    do {
      let version = try await client.withSession { session in
        let ping = try await session.ping()
        pinged.withLock { $0 = ping }
        return try await session.version()
      }
      return (.success(pinged.withLock { $0 }!), .success(version))
    } catch {
      return (pinged.withLock { $0 }.map { .success($0) } ?? .failure(error), .failure(error))
    }
  }
}

extension Endpoint {
  /// A unix socket or TCP: a connection costs next to nothing (ssh starts a process for each).
  var connectsCheaply: Bool {
    switch transport {
    case .unix, .tcp: true
    default: false
    }
  }
}
