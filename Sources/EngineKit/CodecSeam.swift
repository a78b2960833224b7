import NIOCore
import NIOHTTP1

/// The handler between NIO's request encoder and its response decoder, where answers are still bytes and requests
/// still parts. Two jobs, in one type because each handler type costs a one-shot `check` two conformance scans at
/// its first connection:
///
/// - It counts the bytes that arrive while an answer's head is awaited, and fails the connection past
///   ``ResponseHeadLimit/maxBytes`` (the inbox after the decoder says when a head arrived and an answer ended).
/// - On a session that adopted an ``EarlyRequest``, it lets that request's parts pass the decoder, which pairs
///   answers with requests (it must know a `HEAD` to read its answer), and drops them here, for their bytes went out
///   already. Until they have passed, reads wait: an answer read before the decoder knows its request would be
///   unsolicited. A first request other than the one sent would pair the engine's answer with the wrong question, so
///   it fails the connection.
final class CodecSeam: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  typealias OutboundIn = HTTPClientRequestPart
  typealias OutboundOut = HTTPClientRequestPart

  private let limit: ResponseHeadLimit.State
  /// The early request whose parts are still to pass.
  private var early: EngineRequest?
  private var readWaiting = false

  init(limit: ResponseHeadLimit.State, early: EngineRequest?) {
    self.limit = limit
    self.early = early
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if limit.awaitingHead {
      limit.received += unwrapInboundIn(data).readableBytes
      guard limit.received <= ResponseHeadLimit.maxBytes else {
        context.fireErrorCaught(EngineConnectionFailure.headTooLarge(limit: ResponseHeadLimit.maxBytes))
        context.close(promise: nil)
        return
      }
    }
    context.fireChannelRead(data)
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    guard let sent = early else { return context.write(data, promise: promise) }
    switch unwrapOutboundIn(data) {
    case .head(let head) where head.method != sent.method || head.uri != sent.path:
      promise?.fail(EngineConnectionFailure.notTheEarlyRequest)
      context.close(promise: nil)
    case .head, .body: promise?.succeed()
    case .end:
      early = nil
      promise?.succeed()
      if readWaiting {
        readWaiting = false
        context.read()
      }
    }
  }

  func read(context: ChannelHandlerContext) {
    if early == nil { context.read() } else { readWaiting = true }
  }
}
