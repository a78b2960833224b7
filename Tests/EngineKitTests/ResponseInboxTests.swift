import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import EngineKit

/// The last handler of an engine connection, on an embedded channel: what a session gets from `next`, in which
/// order, and when the socket is read.
@Suite("Response inbox")
struct ResponseInboxTests {
  /// An inbox with a handler in front of it that counts the reads it lets through to the socket.
  final class Fixture {
    let channel = EmbeddedChannel()
    let limit = ResponseHeadLimit.State()
    let inbox: ResponseInbox
    let reads = ReadCounter()

    init() throws {
      inbox = ResponseInbox(limit: limit)
      try channel.pipeline.syncOperations.addHandlers(reads, inbox)
    }

    func next() async throws -> HTTPClientResponsePart? {
      try await inbox.next(on: channel.eventLoop).get()
    }

    func arrive(_ parts: [HTTPClientResponsePart]) throws {
      for part in parts { try channel.writeInbound(part) }
    }
  }

  final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Never
    var count = 0
    func read(context: ChannelHandlerContext) {
      count += 1
      context.read()
    }
  }

  static let head = HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok))
  static func body(_ text: String) -> HTTPClientResponsePart { .body(ByteBuffer(string: text)) }

  @Test("parts come out in the order they arrived, whether they were waited for or waited; nil once closed")
  func order() async throws {
    let fixture = try Fixture()
    let waited = fixture.inbox.next(on: fixture.channel.eventLoop)
    try fixture.arrive([Self.head, Self.body("a"), .end(nil)])
    #expect(try await waited.get() == Self.head)
    #expect(try await fixture.next() == Self.body("a"))
    #expect(try await fixture.next() == .end(nil))
    _ = try? await fixture.channel.close()
    #expect(try await fixture.next() == nil)
    #expect(try await fixture.next() == nil)
  }

  @Test("a head stops the head limit's count, an answer's end starts it again")
  func headLimit() async throws {
    let fixture = try Fixture()
    fixture.limit.received = 100
    try fixture.arrive([Self.head])
    #expect(!fixture.limit.awaitingHead)
    try fixture.arrive([Self.body("x"), .end(nil)])
    #expect(fixture.limit.awaitingHead)
    #expect(fixture.limit.received == 0)
  }

  @Test("an error from the pipeline comes after the parts before it, once; then the parts end")
  func errorAfterParts() async throws {
    let fixture = try Fixture()
    try fixture.arrive([Self.head, Self.body("cut")])
    fixture.channel.pipeline.fireErrorCaught(HTTPParserError.invalidEOFState)
    #expect(try await fixture.next() == Self.head)
    #expect(try await fixture.next() == Self.body("cut"))
    await #expect(throws: HTTPParserError.invalidEOFState) { try await fixture.next() }
    #expect(try await fixture.next() == nil)
  }

  @Test("a session waiting for a part hears the close, or the error, at once")
  func waiterHearsTheEnd() async throws {
    let closing = try Fixture()
    let waiting = closing.inbox.next(on: closing.channel.eventLoop)
    _ = try? await closing.channel.close()
    #expect(try await waiting.get() == nil)

    let failing = try Fixture()
    let failed = failing.inbox.next(on: failing.channel.eventLoop)
    failing.channel.pipeline.fireErrorCaught(ChannelError.outputClosed)
    await #expect(throws: ChannelError.outputClosed) { try await failed.get() }
  }

  @Test("at the high watermark the socket is not read; taking parts down to the low one reads again")
  func backPressure() async throws {
    let fixture = try Fixture()
    try fixture.arrive((0..<ResponseInbox.highWatermark).map { Self.body("\($0)") })
    fixture.channel.read()
    #expect(fixture.reads.count == 0, "a read passed with \(ResponseInbox.highWatermark) parts waiting")

    let toTake = ResponseInbox.highWatermark - ResponseInbox.lowWatermark
    for index in 0..<toTake {
      #expect(try await fixture.next() == Self.body("\(index)"))
      #expect(fixture.reads.count == (index == toTake - 1 ? 1 : 0))
    }
    fixture.channel.read()
    #expect(fixture.reads.count == 2)
  }
}
