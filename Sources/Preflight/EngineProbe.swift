import EngineKit
import Synchronization

/// The questions a diagnosis asks the engine, asked the moment the endpoint is known: `_ping` always, and `/version`
/// and `/info` when its checks want them. dockerd 20.10 answers `/version` and `/info` by running `runc --version` and
/// `docker-init --version` (~7 ms each), so asking them together, rather than one after another, is most of how fast a
/// diagnosis is; and a probe started before the waiting begins (a connection queued on the socket of a daemon that is
/// still starting) is answered the moment the daemon serves. A question not asked at the start is asked when first
/// wanted, once.
///
/// Where a connection is cheap (a unix socket, TCP) each question has its own; over ssh, where a connection is an ssh
/// process, `_ping` and `/version` share one, in that order. On a unix socket the questions asked at the start are
/// written before SwiftNIO is set up (``EarlyRequest``): the engine works on them while this process gets ready to
/// read the answers.
public final class EngineProbe: Sendable {
  /// What may be asked beside `_ping`: a set of bits rather than a `Set` of an enum, whose first use costs a
  /// one-shot `check` a lookup of the enum's `Hashable` conformance (a scan of every conformance record in the binary)
  /// before its requests go out.
  public struct Questions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let version = Questions(rawValue: 1)
    public static let systemInfo = Questions(rawValue: 2)
  }

  public let client: EngineClient
  private let ping: Task<Result<PingResult, EngineError>, Never>
  private let version = Mutex<Task<Result<EngineVersion, EngineError>, Never>?>(nil)
  private let info = Mutex<Task<SystemInfo?, Never>?>(nil)

  /// Asks `_ping` and `asking` at once.
  public static func start(_ client: EngineClient, asking: Questions) -> EngineProbe {
    EngineProbe(client: client, asking: asking)
  }

  private init(client: EngineClient, asking: Questions) {
    self.client = client
    if asking.contains(.version) && !client.endpoint.connectsCheaply {
      let both = Self.task { await Self.pingThenVersion(client) }
      ping = Self.task { await both.value.ping }
      version.withLock { $0 = Self.task { await both.value.version } }
      if asking.contains(.systemInfo) { _ = infoRequest() }
    } else {
      // The slow questions first.
      let earlyVersion = asking.contains(.version) ? EarlyRequest.send(EngineSession.versionRequest, with: client) : nil
      let earlyInfo = asking.contains(.systemInfo) ? EarlyRequest.send(EngineSession.infoRequest, with: client) : nil
      let earlyPing = EarlyRequest.send(EngineSession.pingRequest, with: client)
      ping = Self.task {
        await Self.result { () throws(EngineError) in
          try await client.withSession(early: earlyPing) { try await $0.ping() }
        }
      }
      if asking.contains(.version) { _ = versionRequest(early: earlyVersion) }
      if asking.contains(.systemInfo) { _ = infoRequest(early: earlyInfo) }
    }
  }

  /// What `_ping` said.
  public func pinged() async throws(EngineError) -> PingResult { try await answer(ping).get() }

  /// `_ping` and `/version`, both answered. When `_ping` failed, its error is the answer.
  public func answers() async throws(EngineError) -> (PingResult, EngineVersion) {
    let ping = try await pinged()
    return (ping, try await answer(versionRequest()).get())
  }

  /// `/info`; `nil` when the engine would not say.
  public var systemInfo: SystemInfo? {
    get async { await answer(infoRequest()) }
  }

  /// Whether this probe asks what a diagnosis with `client`'s endpoint and bounds would.
  public func asks(like client: EngineClient) -> Bool {
    self.client.endpoint == client.endpoint && self.client.timeout == client.timeout && self.client.ssh == client.ssh
  }

  /// Stops asking: questions still open end at once, their connections closed.
  public func cancel() {
    ping.cancel()
    version.withLock { $0?.cancel() }
    info.withLock { $0?.cancel() }
  }

  private func versionRequest(early: EarlyRequest? = nil) -> Task<Result<EngineVersion, EngineError>, Never> {
    let client = client
    return Self.once(version) {
      Self.task {
        await Self.result { () throws(EngineError) in
          try await client.withSession(early: early) { try await $0.version() }
        }
      }
    }
  }

  private func infoRequest(early: EarlyRequest? = nil) -> Task<SystemInfo?, Never> {
    let client = client
    return Self.once(info) { Self.task { try? await client.withSession(early: early) { try await $0.info() } } }
  }

  /// What `question` comes to. The questions run in tasks of their own, which a cancelled waiter does not cancel by
  /// itself: cancelling the waiter stops the whole probe, so that its connections close at once, as they would if
  /// the waiter had asked on them itself.
  private func answer<T>(_ question: Task<T, Never>) async -> T {
    await withTaskCancellationHandler {
      await question.value
    } onCancel: {
      self.cancel()
    }
  }

  /// The task in `slot`, started by `start` if there is none yet.
  private static func once<T>(
    _ slot: borrowing Mutex<Task<T, Never>?>, _ start: () -> Task<T, Never>
  ) -> Task<T, Never> {
    slot.withLock { task in
      if let task { return task }
      let started = start()
      task = started
      return started
    }
  }

  /// A question's task, on the executor engine calls prefer (a one-shot `check`'s only thread).
  private static func task<T: Sendable>(_ body: sending @escaping @isolated(any) () async -> T) -> Task<T, Never> {
    Task(executorPreference: EngineEventLoops.taskExecutor, operation: body)
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
  public var connectsCheaply: Bool {
    switch transport {
    case .unix, .tcp: true
    default: false
    }
  }
}
