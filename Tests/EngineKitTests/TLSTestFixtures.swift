import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import EngineKit

/// A TCP listener that is not TLS: it either answers whatever it receives with a plain HTTP 400, or hangs up at once.
enum TLSTestPlainListener {
  enum Behaviour: Sendable {
    case answerPlainHTTP
    case hangUp
  }

  static func with<T: Sendable>(_ behaviour: Behaviour, _ body: (Int) async throws -> T) async throws -> T {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(PlainResponder(behaviour: behaviour))
        }
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
