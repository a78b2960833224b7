import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import EngineKit

/// Runs `body` with the port of a loopback TCP server whose connections each get a fresh `handler`.
func withLoopbackServer<T: Sendable, Handler: ChannelInboundHandler>(
  _ handler: @escaping @Sendable () -> Handler, _ body: (Int) async throws -> T
) async throws -> T {
  let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .childChannelInitializer { channel in
      channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) }
    }
    .bind(host: "127.0.0.1", port: 0).get()
  let result: Result<T, any Error>
  do {
    result = .success(try await body(server.localAddress?.port ?? 0))
  } catch {
    result = .failure(error)
  }
  try await server.close()
  return try result.get()
}

/// A TCP listener that is not TLS: it either answers whatever it receives with a plain HTTP 400, or hangs up at once.
enum TLSTestPlainListener {
  enum Behaviour: Sendable {
    case answerPlainHTTP
    case hangUp
  }

  static func with<T: Sendable>(_ behaviour: Behaviour, _ body: (Int) async throws -> T) async throws -> T {
    try await withLoopbackServer({ PlainResponder(behaviour: behaviour) }, body)
  }

  private final class PlainResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let behaviour: Behaviour
    var answered = false

    init(behaviour: Behaviour) { self.behaviour = behaviour }

    func channelActive(context: ChannelHandlerContext) {
      if case .hangUp = behaviour { context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      guard !answered else { return }
      answered = true
      let answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
      context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer))).assumeIsolated().whenComplete { _ in
        context.close(promise: nil)
      }
    }
  }
}

/// A TCP relay in front of a TLS server that hides the server's verdict on the client certificate: it passes the
/// handshake on, but once the client has sent its second flight it hangs up on the client instead of passing on what
/// the server says next. Under TLS 1.3 that is the alert a server sends when it rejects the certificate, and what a
/// reset can destroy before the client reads it.
enum TLSTestVerdictDroppingRelay {
  static func with<T: Sendable>(upstreamPort: Int, _ body: (Int) async throws -> T) async throws -> T {
    try await withLoopbackServer({ ClientSide(upstreamPort: upstreamPort) }, body)
  }

  /// What both sides of one relayed connection share; touched only on the client channel's event loop.
  private final class Relay: @unchecked Sendable {
    var client: (any Channel)?
    var upstream: (any Channel)?
    var clientReads = 0
    var pending: [ByteBuffer] = []
  }

  private final class ClientSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let upstreamPort: Int
    let relay = Relay()

    init(upstreamPort: Int) { self.upstreamPort = upstreamPort }

    func channelActive(context: ChannelHandlerContext) {
      let relay = self.relay
      relay.client = context.channel
      // The upstream connection lives on the same event loop, so that the shared state needs no lock.
      ClientBootstrap(group: context.eventLoop)
        .channelInitializer { upstream in
          upstream.eventLoop.makeCompletedFuture {
            try upstream.pipeline.syncOperations.addHandler(ServerSide(relay: relay))
          }
        }
        .connect(host: "127.0.0.1", port: upstreamPort)
        .whenComplete { result in
          switch result {
          case .success(let upstream):
            relay.upstream = upstream
            for buffer in relay.pending { upstream.write(buffer, promise: nil) }
            relay.pending = []
            upstream.flush()
          case .failure:
            relay.client?.close(promise: nil)
          }
        }
      context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      relay.clientReads += 1
      let buffer = unwrapInboundIn(data)
      if let upstream = relay.upstream {
        upstream.writeAndFlush(buffer, promise: nil)
      } else {
        relay.pending.append(buffer)
      }
    }

    func channelInactive(context: ChannelHandlerContext) {
      relay.upstream?.close(promise: nil)
      context.fireChannelInactive()
    }
  }

  private final class ServerSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let relay: Relay

    init(relay: Relay) { self.relay = relay }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      guard relay.clientReads < 2 else {
        // The server's answer to the client's second flight: its verdict. Hang up on the client instead.
        relay.client?.close(promise: nil)
        context.close(promise: nil)
        return
      }
      relay.client?.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
      relay.client?.close(promise: nil)
      context.fireChannelInactive()
    }
  }
}

/// An HTTP/1.0 client over `TLSClientHandler` + NIOHTTP1's client handlers, as the engine client will build it.
enum TLSTestClient {
  struct NoResponse: Error {}

  /// `GET /` over TLS; the response status, or the `TLSError` the pipeline reported. With `addingTLSOnceConnected`
  /// the handlers join a channel that is already active, as after a proxy CONNECT.
  static func get(
    port: Int,
    options: TLSOptions,
    host: String = "localhost",
    addingTLSOnceConnected: Bool = false
  ) async throws -> HTTPResponseStatus {
    let tlsContext = try TLSContext(options)
    let response = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: HTTPResponseStatus.self)
    @Sendable func addHandlers(to channel: any Channel) throws {
      let operations = channel.pipeline.syncOperations
      try operations.addHandler(TLSClientHandler(context: tlsContext, serverName: host))
      try operations.addHTTPClientHandlers()
      try operations.addHandler(ResponseCollector(response: response))
    }
    let channel: any Channel
    do {
      if addingTLSOnceConnected {
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
          .connect(host: "127.0.0.1", port: port).get()
        try await channel.eventLoop.submit { try addHandlers(to: channel) }.get()
      } else {
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
          .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try addHandlers(to: channel) } }
          .connect(host: "127.0.0.1", port: port).get()
      }
    } catch {
      // A promise never completed is a crash in debug builds ("leaking promise"): a failed connect must fail it.
      response.fail(error)
      throw error
    }
    var head = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/")
    head.headers.add(name: "Host", value: host)
    channel.write(HTTPClientRequestPart.head(head), promise: nil)
    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    defer { channel.close(promise: nil) }
    return try await withTaskCancellationHandler {
      try await response.futureResult.get()
    } onCancel: {
      channel.close(promise: nil)
    }
  }

  /// Completes with the response status once the response has ended; a `TLSError` seen on the way wins over the
  /// errors the HTTP decoder reports when the connection drops.
  private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let response: EventLoopPromise<HTTPResponseStatus>
    var status: HTTPResponseStatus?
    var tlsError: TLSError?
    var otherError: (any Error)?

    init(response: EventLoopPromise<HTTPResponseStatus>) { self.response = response }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      switch unwrapInboundIn(data) {
      case .head(let head): status = head.status
      case .body: break
      case .end:
        if let status { response.succeed(status) }
      }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      if let error = error as? TLSError {
        tlsError = tlsError ?? error
      } else {
        otherError = otherError ?? error
      }
    }

    func channelInactive(context: ChannelHandlerContext) {
      response.fail(tlsError ?? otherError ?? NoResponse())
      context.fireChannelInactive()
    }
  }
}

struct TLSTestTimeout: Error, CustomStringConvertible {
  var duration: Duration
  var description: String { "timed out after \(duration)" }
}

/// Races `body` against a deadline; the body must give up when cancelled.
func withTLSTestTimeout<T: Sendable>(
  _ duration: Duration = .seconds(20),
  _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
  try await withThrowingTaskGroup(of: T.self) { group in
    group.addTask { try await body() }
    group.addTask {
      try await Task.sleep(for: duration)
      throw TLSTestTimeout(duration: duration)
    }
    defer { group.cancelAll() }
    return try await group.next()!
  }
}
