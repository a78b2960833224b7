import NIOCore
import NIOPosix

/// A listener that is not a working engine, for fault tests: on loopback TCP (a port the kernel picks) or on a unix
/// socket path.
public final class FaultListener: Sendable {
  public enum Behaviour: Sendable {
    /// Accepts connections and never answers (a hung daemon, a black hole).
    case neverAnswer
    /// Answers every request with this HTTP status and a small HTML body, like a web server that is not an engine.
    case answerHTTP(status: Int)
  }

  private let channel: any Channel
  /// `tcp://127.0.0.1:PORT` or `unix://PATH`.
  public let host: String

  private init(channel: any Channel, host: String) {
    self.channel = channel
    self.host = host
  }

  /// Starts listening; on `unixSocket` when given, else on 127.0.0.1 with a port of the kernel's choosing.
  public static func start(_ behaviour: Behaviour, unixSocket: String? = nil) async throws -> FaultListener {
    let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Responder(behaviour: behaviour))
        }
      }
    if let unixSocket {
      let channel = try await bootstrap.bind(unixDomainSocketPath: unixSocket, cleanupExistingSocketFile: true).get()
      return FaultListener(channel: channel, host: "unix://\(unixSocket)")
    }
    let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
    return FaultListener(channel: channel, host: "tcp://127.0.0.1:\(channel.localAddress?.port ?? 0)")
  }

  public func stop() async {
    try? await channel.close()
  }

  private final class Responder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let behaviour: Behaviour
    var received: [UInt8] = []

    init(behaviour: Behaviour) { self.behaviour = behaviour }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      guard case .answerHTTP(let status) = behaviour else { return }
      var buffer = unwrapInboundIn(data)
      received += buffer.readBytes(length: buffer.readableBytes) ?? []
      // One answer per request head, so that a client that reuses the connection gets one each time.
      while let end = headEnd() {
        // A HEAD request's answer has a length but no body.
        let isHead = received.starts(with: Array("HEAD ".utf8))
        received.removeFirst(end)
        let body = "<html><body>not an engine</body></html>"
        let answer =
          "HTTP/1.1 \(status) Whatever\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
          + (isHead ? "" : body)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
      }
    }

    private func headEnd() -> Int? {
      let terminator: [UInt8] = [13, 10, 13, 10]
      guard received.count >= 4 else { return nil }
      for start in 0...(received.count - 4) where Array(received[start..<start + 4]) == terminator {
        return start + 4
      }
      return nil
    }
  }
}
