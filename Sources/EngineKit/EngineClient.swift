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
  public var headers: HTTPHeaders
  public var body: [UInt8]

  public func header(_ name: String) -> String? { headers.first(name: name) }
  public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Talks HTTP/1.1 to one engine endpoint over SwiftNIO, whatever the transport.
///
/// Every use is bounded by `timeout`: connecting and every exchange of one ``withSession(_:)`` together.
public struct EngineClient: Sendable {
  public let endpoint: Endpoint
  public let timeout: Duration
  /// The largest response body read; an engine has no business sending more for the calls we make.
  public static let maxBodyBytes = 16 << 20

  public init(endpoint: Endpoint, timeout: Duration = .seconds(2)) {
    self.endpoint = endpoint
    self.timeout = timeout
  }

  /// Opens one connection and runs `body` with it; requests on the session go one after another on that
  /// connection (keep-alive), which saves a connect per call.
  public func withSession<T>(_ body: (EngineSession) async throws -> T) async throws(EngineError) -> T {
    let deadline = NIODeadline.now() + TimeAmount(timeout)
    let timedOut = Atomic<Bool>(false)
    do {
      let channel = try await EngineConnector(endpoint: endpoint).connect(deadline: deadline)
      let timer = channel.channel.eventLoop.scheduleTask(deadline: deadline) { [channel = channel.channel] in
        timedOut.store(true, ordering: .relaxed)
        channel.close(promise: nil)
      }
      defer { timer.cancel() }
      return try await channel.executeThenClose { inbound, outbound in
        var iterator = inbound.makeAsyncIterator()
        let session = EngineSession(endpoint: endpoint, host: hostHeader, outbound: outbound) {
          try await iterator.next()
        }
        return try await body(session)
      }
    } catch {
      throw EngineErrorClassifier(endpoint: endpoint, timeout: timeout)
        .classify(error, timedOut: timedOut.load(ordering: .relaxed))
    }
  }

  /// One request on a connection of its own.
  public func send(_ request: EngineRequest) async throws(EngineError) -> EngineResponse {
    try await withSession { try await $0.send(request) }
  }

  private var hostHeader: String {
    if case .tcp(let host, let port) = endpoint.transport { return "\(host):\(port)" }
    return "localhost"
  }
}

/// Sequential requests on one open connection.
public struct EngineSession {
  public let endpoint: Endpoint
  let host: String
  let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
  let nextPart: () async throws -> HTTPClientResponsePart?

  public func send(_ request: EngineRequest) async throws -> EngineResponse {
    var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path)
    head.headers.add(name: "Host", value: host)
    head.headers.add(name: "User-Agent", value: "docker-preflight")
    if let body = request.body {
      head.headers.add(name: "Content-Type", value: "application/json")
      head.headers.add(name: "Content-Length", value: String(body.count))
    }
    try await outbound.write(.head(head))
    if let body = request.body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
    try await outbound.write(.end(nil))

    var response: EngineResponse?
    while let part = try await nextPart() {
      switch part {
      case .head(let head):
        response = EngineResponse(status: Int(head.status.code), headers: head.headers, body: [])
      case .body(var buffer):
        guard (response?.body.count ?? 0) + buffer.readableBytes <= EngineClient.maxBodyBytes else {
          throw EngineConnectionFailure.bodyTooLarge(limit: EngineClient.maxBodyBytes)
        }
        response?.body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
      case .end:
        guard let response else { throw EngineConnectionFailure.closedMidResponse }
        return response
      }
    }
    throw EngineConnectionFailure.closedMidResponse
  }
}

/// Failures of the exchange itself that NIO does not name.
enum EngineConnectionFailure: Error {
  case closedMidResponse
  case bodyTooLarge(limit: Int)
}

/// Opens a channel to an endpoint with the HTTP/1.1 client handlers installed.
struct EngineConnector {
  typealias HTTPChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
  let endpoint: Endpoint

  func connect(deadline: NIODeadline) async throws -> HTTPChannel {
    let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .connectTimeout(max(deadline - .now(), .milliseconds(1)))
    let initializer: @Sendable (any Channel) -> EventLoopFuture<HTTPChannel> = { channel in
      channel.eventLoop.makeCompletedFuture {
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        return try HTTPChannel(wrappingChannelSynchronously: channel)
      }
    }
    switch endpoint.transport {
    case .unix(let path):
      return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
    case .tcp(let host, let port):
      guard endpoint.tls == nil else { throw UnsupportedTransport(reason: "TLS is not available yet") }
      return try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
    case .ssh:
      throw UnsupportedTransport(reason: "ssh:// endpoints are not available yet")
    case .namedPipe:
      throw UnsupportedTransport(reason: "named pipes exist only on Windows")
    }
  }
}

struct UnsupportedTransport: Error {
  let reason: String
}
