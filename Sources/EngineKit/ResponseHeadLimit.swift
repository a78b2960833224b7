import NIOCore
import NIOHTTP1

/// Bounds what the engine may send before an answer's head is complete.
///
/// NIO's HTTP decoder bounds the header fields (80 KiB together), but keeps every byte of a status line until it
/// ends: a listener sending `HTTP/1.1 200 AAAA…` without end would fill memory at the speed of a local socket until
/// the call's timeout. Two handlers share the count: ``Counter`` before the decoder counts bytes while a head is
/// awaited; ``Observer`` after it says when a head arrived and when its answer ended.
enum ResponseHeadLimit {
  /// Bytes allowed before a head completes: the headers' own bound, a status line, and a read's worth of slack.
  static let maxBytes = 256 << 10

  /// The two handlers, in pipeline order: the counter goes before the HTTP decoder, the observer after it.
  static func handlers() -> (counter: Counter, observer: Observer) {
    let state = State()
    return (Counter(state: state), Observer(state: state))
  }

  /// Touched only on the channel's event loop.
  final class State {
    var awaitingHead = true
    var received = 0
  }

  final class Counter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let state: State

    init(state: State) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      if state.awaitingHead {
        state.received += unwrapInboundIn(data).readableBytes
        guard state.received <= ResponseHeadLimit.maxBytes else {
          context.fireErrorCaught(EngineConnectionFailure.headTooLarge(limit: ResponseHeadLimit.maxBytes))
          context.close(promise: nil)
          return
        }
      }
      context.fireChannelRead(data)
    }
  }

  final class Observer: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart
    let state: State

    init(state: State) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      switch unwrapInboundIn(data) {
      case .head: state.awaitingHead = false
      case .body: break
      case .end:
        state.awaitingHead = true
        state.received = 0
      }
      context.fireChannelRead(data)
    }
  }
}
