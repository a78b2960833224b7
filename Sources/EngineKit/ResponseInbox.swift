import NIOCore
import NIOHTTP1

/// The last handler of an engine connection: keeps the answer's parts until the session takes them (``next()``),
/// and tells the head limit when an answer's head arrived and when the answer ended (``ResponseHeadLimit``).
///
/// It asks the socket for more only while fewer than ``highWatermark`` parts wait, so an answer that does not end
/// (`/events`) and is not taken stops being read instead of filling memory; the kernel's buffers then push back on
/// the engine. An error from the pipeline is handed on after the parts before it, once; then the parts end.
///
/// Not NIOAsyncChannel, which does the same for any types: its handler, the sequence and writer behind it and their
/// generic types cost a one-shot `check` three conformance scans and their instantiation at its first connection
/// (~1 M of its 9 M instructions), the head limit's observer two more, and a `check` reads three short answers.
final class ResponseInbox: ChannelDuplexHandler {
  typealias InboundIn = HTTPClientResponsePart
  typealias OutboundIn = HTTPClientRequestPart
  typealias OutboundOut = HTTPClientRequestPart

  /// Parts kept before reading stops; reading resumes when the session has taken all but ``lowWatermark``.
  static let highWatermark = 16
  static let lowWatermark = 4

  private enum End {
    case open
    case failed(any Error)
    case closed
  }

  private let limit: ResponseHeadLimit.State
  private var parts = CircularBuffer<HTTPClientResponsePart>()
  private var end = End.open
  private var waiter: EventLoopPromise<HTTPClientResponsePart?>?
  private var readHeld = false
  private var context: ChannelHandlerContext?

  init(limit: ResponseHeadLimit.State) { self.limit = limit }

  func handlerAdded(context: ChannelHandlerContext) { self.context = context }
  func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let part = unwrapInboundIn(data)
    limit.saw(part)
    if let waiter {
      self.waiter = nil
      waiter.succeed(part)
    } else {
      parts.append(part)
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    finish(.failed(error))
  }

  func channelInactive(context: ChannelHandlerContext) {
    finish(.closed)
    context.fireChannelInactive()
  }

  func read(context: ChannelHandlerContext) {
    if parts.count >= Self.highWatermark {
      readHeld = true
    } else {
      context.read()
    }
  }

  /// The next part; `nil` once the connection closed and every part was taken. Call it on the channel's event loop.
  func next(on loop: any EventLoop) -> EventLoopFuture<HTTPClientResponsePart?> {
    if let part = parts.popFirst() {
      if readHeld && parts.count <= Self.lowWatermark { resumeReading() }
      return loop.makeSucceededFuture(part)
    }
    switch end {
    case .open:
      let promise = loop.makePromise(of: HTTPClientResponsePart?.self)
      waiter = promise
      if readHeld { resumeReading() }
      return promise.futureResult
    case .failed(let error):
      end = .closed
      return loop.makeFailedFuture(error)
    case .closed:
      return loop.makeSucceededFuture(nil)
    }
  }

  private func resumeReading() {
    readHeld = false
    context?.read()
  }

  /// The first error or the close ends the parts; a session waiting for one hears it now.
  private func finish(_ ending: End) {
    guard case .open = end else { return }
    guard let waiter else {
      end = ending
      return
    }
    self.waiter = nil
    end = .closed
    if case .failed(let error) = ending { waiter.fail(error) } else { waiter.succeed(nil) }
  }
}
