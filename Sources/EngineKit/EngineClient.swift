import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 request to the engine's API.
public struct EngineRequest: Sendable {
  public var method: HTTPMethod
  /// Path and query, e.g. `/v1.41/containers/json?all=1`.
  public var path: String
  public var body: [UInt8]?

  public init(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) {
    self.method = method
    self.path = path
    self.body = body
  }
}

/// An engine's HTTP answer, read whole.
public struct EngineResponse: Sendable {
  public var status: Int
  public var version: HTTPVersion
  public var headers: HTTPHeaders
  public var body: [UInt8]

  public func header(_ name: String) -> String? { headers.first(name: name) }
  public var bodyText: String { String(decoding: body, as: UTF8.self) }

  /// Whether another request may follow on the same connection (HTTP/1.1 keep-alive unless `Connection: close`).
  public var keepsConnectionOpen: Bool {
    let connection = headers[canonicalForm: "connection"].map { $0.lowercased() }
    if connection.contains("close") { return false }
    let persistentByDefault = version.major > 1 || (version.major == 1 && version.minor >= 1)
    return persistentByDefault || connection.contains("keep-alive")
  }
}

/// Talks HTTP/1.1 to one engine endpoint over SwiftNIO, whatever the transport: unix socket, TCP, TCP with TLS,
/// or ssh (`docker system dial-stdio` on the remote host).
///
/// Connecting is bounded by `timeout`, and so is every call that does not set a bound of its own; a call that
/// runs out closes the connection, and the session fails with a `timeout` error.
public struct EngineClient: Sendable {
  public let endpoint: Endpoint
  public let timeout: Duration
  public let ssh: SSHOptions
  /// Daemons whose API is older are refused with `api-too-old` when the API version is negotiated.
  public let minimumAPIVersion: APIVersion
  /// Built once per client: the files are read here, not per connection.
  private let tls: TLSSetup
  /// The largest response body read; an engine has no business sending more for the calls we make.
  public static let maxBodyBytes = 16 << 20

  public init(
    endpoint: Endpoint,
    timeout: Duration = .seconds(2),
    ssh: SSHOptions = SSHOptions(),
    minimumAPIVersion: APIVersion = .oldestSupported
  ) {
    self.endpoint = endpoint
    self.timeout = timeout
    self.ssh = ssh
    self.minimumAPIVersion = minimumAPIVersion
    if case .tcp = endpoint.transport, let options = endpoint.tls {
      do { tls = .ready(try TLSContext(options)) } catch { tls = .failed(error) }
    } else {
      tls = .none
    }
  }

  /// Opens one connection and runs `body` with it; requests on the session go one after another on that
  /// connection (keep-alive), which saves a connect per call. The connection (and an ssh child) is gone when this
  /// returns. Cancelling the calling task closes the connection at once.
  ///
  /// With `early`, the session adopts that request's socket (when it is still there) and its first request must be
  /// that one: it is answered without being written again.
  public func withSession<T>(
    early: EarlyRequest? = nil, _ body: (EngineSession) async throws -> T
  ) async throws(EngineError) -> T {
    let classifier = EngineErrorClassifier(endpoint: endpoint, connectTimeout: timeout)
    let watchdog = CallWatchdog()
    var tunnel: SSHTunnel?
    do {
      let connection = try await EngineConnector(endpoint: endpoint, tls: try tls.context(), ssh: ssh)
        .connect(timeout: timeout, early: early)
      tunnel = connection.tunnel
      let channel = connection.channel.channel
      let session = EngineSession(client: self, connection: connection.channel, watchdog: watchdog)
      let result: T
      do {
        result = try await withTaskCancellationHandler {
          try await body(session)
        } onCancel: {
          channel.close(promise: nil)
        }
      } catch {
        try? await channel.close()
        throw error
      }
      // Closed, and waited for: the connection is gone when this returns, as documented.
      channel.close(promise: nil)
      try? await channel.closeFuture.get()
      await tunnel?.end()
      return result
    } catch {
      var exit: SSHExit?
      if let tunnel {
        // After a failure the child has usually exited already (its stdout closing is what we saw): give it a
        // moment, for its status says why. A timeout is no reason to wait longer.
        if watchdog.expired == nil { exit = await tunnel.exit(within: .seconds(1)) }
        let ended = await tunnel.end()
        exit = exit ?? ended
      }
      throw classifier.classify(
        error, expiredCall: watchdog.expired, cancelled: Task.isCancelled, ssh: exit)
    }
  }

  /// One request on a connection of its own.
  public func send(_ request: EngineRequest, timeout: Duration? = nil) async throws(EngineError) -> EngineResponse {
    try await withSession { try await $0.send(request, timeout: timeout) }
  }

  /// What the `Host` header says: the address for TCP, `localhost` for sockets (dockerd answers 400 without one).
  var hostHeader: String {
    if case .tcp(let host, let port) = endpoint.transport {
      return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
    return "localhost"
  }
}

/// A client's TLS context, or why it could not be made. Not a `Result`: instantiating `Result<_, TLSError>` costs the
/// first client a lookup of `TLSError: Error`, a scan of every conformance record in the binary, before a one-shot
/// `check` asks its first question.
private enum TLSSetup: Sendable {
  case none
  case ready(TLSContext)
  case failed(TLSError)

  func context() throws(TLSError) -> TLSContext? {
    switch self {
    case .none: nil
    case .ready(let context): context
    case .failed(let error): throw error
    }
  }
}

/// Sequential requests on one open connection, each bounded by a timeout; remembers what `_ping` said so that
/// later calls use the negotiated API version.
public final class EngineSession {
  public let endpoint: Endpoint
  /// The bound of a call that sets none.
  public let defaultTimeout: Duration
  public let minimumAPIVersion: APIVersion
  /// What `/_ping` said, once it was called on this session.
  public internal(set) var lastPing: PingResult?

  let hostHeader: String
  private let channel: any Channel
  private let inbox: NIOLoopBound<ResponseInbox>
  private let watchdog: CallWatchdog
  /// The last answer said the server closes the connection after it.
  private var closing = false
  static let userAgent = "docker-preflight"

  init(client: EngineClient, connection: EngineConnection.HTTPChannel, watchdog: CallWatchdog) {
    endpoint = client.endpoint
    defaultTimeout = client.timeout
    minimumAPIVersion = client.minimumAPIVersion
    hostHeader = client.hostHeader
    channel = connection.channel
    inbox = connection.inbox
    self.watchdog = watchdog
  }

  /// Sends `request` and reads the whole answer, within `timeout` (the client's when `nil`).
  public func send(_ request: EngineRequest, timeout: Duration? = nil) async throws -> EngineResponse {
    try await exchange(request, timeout: timeout, streaming: false) { _ in true }
  }

  /// Sends `request` and hands a successful answer's body on as it arrives, for answers that do not end by
  /// themselves (`/events`). `timeout` bounds the wait for the answer's head only. `chunk` returns whether to go on;
  /// stopping early closes the connection, which ends the session. Returns the head (with the whole body only when
  /// the status is not 2xx, for its error message).
  public func stream(
    _ request: EngineRequest, timeout: Duration? = nil, _ chunk: ([UInt8]) async throws -> Bool
  ) async throws -> EngineResponse {
    try await exchange(request, timeout: timeout, streaming: true, chunk)
  }

  private func exchange(
    _ request: EngineRequest, timeout: Duration?, streaming: Bool, _ chunk: ([UInt8]) async throws -> Bool
  ) async throws -> EngineResponse {
    guard !closing else { throw EngineConnectionFailure.closedAfterAnswer }
    let timer = watchdog.arm(timeout ?? defaultTimeout, closing: channel)
    defer { timer.cancel() }
    try await write(request)

    var response: EngineResponse?
    while let part = try await nextPart(after: response) {
      switch part {
      case .head(let head):
        response = EngineResponse(
          status: Int(head.status.code), version: head.version, headers: head.headers, body: [])
        if streaming { timer.cancel() }
      case .body(var buffer):
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        if streaming, let status = response?.status, (200..<300).contains(status) {
          guard try await chunk(bytes) else {
            closing = true
            channel.close(promise: nil)
            return response!
          }
          continue
        }
        guard (response?.body.count ?? 0) + bytes.count <= EngineClient.maxBodyBytes else {
          throw EngineConnectionFailure.bodyTooLarge(limit: EngineClient.maxBodyBytes)
        }
        response?.body.append(contentsOf: bytes)
      case .end:
        guard let response else { throw EngineConnectionFailure.closedMidResponse }
        if !response.keepsConnectionOpen { closing = true }
        return response
      }
    }
    throw EngineConnectionFailure.closedMidResponse
  }

  /// The next part of the answer. The connection ending inside a body (a daemon that stopped while it streamed
  /// events) is the answer cut short, not bad HTTP.
  private func nextPart(after head: EngineResponse?) async throws -> HTTPClientResponsePart? {
    do {
      return try await nextPart()
    } catch HTTPParserError.invalidEOFState where head != nil {
      throw EngineConnectionFailure.closedMidResponse
    }
  }

  /// The next part the inbox holds or waits for; `nil` when the connection closed. On the loop itself (a one-shot
  /// `check`) without a trip through its task queue.
  private func nextPart() async throws -> HTTPClientResponsePart? {
    let loop = channel.eventLoop
    if loop.inEventLoop { return try await inbox.value.next(on: loop).get() }
    let inbox = inbox
    return try await loop.flatSubmit { inbox.value.next(on: loop) }.get()
  }

  private func write(_ request: EngineRequest) async throws {
    var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path)
    head.headers.add(name: "Host", value: hostHeader)
    head.headers.add(name: "User-Agent", value: Self.userAgent)
    if let body = request.body {
      head.headers.add(name: "Content-Type", value: "application/json")
      head.headers.add(name: "Content-Length", value: String(body.count))
    } else if request.method != .GET && request.method != .HEAD {
      // Without a length NIO would send an empty chunked body, which dockerd takes for a body (and refuses on
      // `start`: "starting container with non-empty request body").
      head.headers.add(name: "Content-Length", value: "0")
    }
    do {
      let body = request.body.map { ByteBuffer(bytes: $0) }
      // One trip to the event loop: on a busy machine every trip costs.
      let channel = channel
      try await channel.eventLoop.flatSubmit {
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        return channel.writeAndFlush(HTTPClientRequestPart.end(nil))
      }.get()
    } catch {
      // A closed channel says only that the connection is gone; the pipeline's own error (a TLS failure, a reset)
      // says why.
      while try await nextPart() != nil {}
      throw error
    }
  }
}

/// Closes the connection when a call outlives its bound, and remembers which bound that was.
final class CallWatchdog: Sendable {
  private let expiredBound = Mutex<Duration?>(nil)

  /// The bound of the call that ran out, if one did.
  var expired: Duration? { expiredBound.withLock { $0 } }

  func arm(_ bound: Duration, closing channel: any Channel) -> Scheduled<Void> {
    channel.eventLoop.scheduleTask(in: TimeAmount(bound)) { [self] in
      expiredBound.withLock { $0 = $0 ?? bound }
      channel.close(promise: nil)
    }
  }
}

/// Failures of the exchange itself that NIO does not name.
enum EngineConnectionFailure: Error {
  case closedMidResponse
  /// A session's first request was not the ``EarlyRequest`` already written on its socket.
  case notTheEarlyRequest
  /// The server said it closes the connection after its answer, and another request was to follow.
  case closedAfterAnswer
  case bodyTooLarge(limit: Int)
  /// More bytes than this came before an answer's head was complete.
  case headTooLarge(limit: Int)
}
