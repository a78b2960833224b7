import NIOCore
import NIOHTTP1

/// Bounds what the engine may send before an answer's head is complete.
///
/// NIO's HTTP decoder bounds the header fields (80 KiB together), but keeps every byte of a status line until it
/// ends: a listener sending `HTTP/1.1 200 AAAA…` without end would fill memory at the speed of a local socket until
/// the call's timeout. The handler before the decoder (``CodecSeam``) counts bytes while a head is awaited; the one
/// after it (``ResponseInbox``) tells the shared ``State`` when a head arrived and when its answer ended.
enum ResponseHeadLimit {
  /// Bytes allowed before a head completes: the headers' own bound, a status line, and a read's worth of slack.
  static let maxBytes = 256 << 10

  /// Touched only on the channel's event loop.
  final class State {
    var awaitingHead = true
    var received = 0

    /// What the decoder made of the bytes: a head stops the count, an answer's end starts it again.
    func saw(_ part: HTTPClientResponsePart) {
      switch part {
      case .head: awaitingHead = false
      case .body: break
      case .end:
        awaitingHead = true
        received = 0
      }
    }
  }
}
