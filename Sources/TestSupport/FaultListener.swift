import EngineKit
import NIOCore
import NIOPosix
import Synchronization

/// A listener that is not a working engine, for fault tests: on loopback TCP (a port the kernel picks) or on a unix
/// socket path. Every request head it receives is announced on ``requests``, so that a test can act the moment a
/// call is in flight instead of guessing with a sleep.
public final class FaultListener: Sendable {
  public enum Behaviour: Sendable {
    /// Accepts connections and never answers (a hung daemon, a black hole).
    case neverAnswer
    /// Answers every request with this HTTP status and a small HTML body, like a web server that is not an engine.
    case answerHTTP(status: Int)
    /// Accepts, then closes the connection at once, before anything is read.
    case closeOnAccept
    /// Answers each request with bytes that are not HTTP (a TLS alert, an ssh banner, binary noise), then closes.
    case garbage
    /// Answers each request with Docker's headers and `Content-Length: claimedLength`, sends only `sentLength` bytes
    /// of body, then closes the connection (`thenHang: false`) or goes silent with it open (`thenHang: true`).
    case halfResponse(claimedLength: Int, sentLength: Int, thenHang: Bool)
    /// Sends a status line that never ends (`HTTP/1.1 200 AAAA…`), as fast as the client reads.
    case endlessHead
    /// Answers with this many header fields, each small: a head far beyond what any engine sends.
    case manyHeaders(count: Int)
    /// Answers 200 with a chunked body that never ends, as fast as the client reads.
    case endlessBody
    /// Answers `GET /events` (and everything else) with 200 and one JSON object that never closes: an event without
    /// end.
    case endlessEvent
    /// Relays every connection to the engine at the unix socket `upstream`, holding the requests whose path contains
    /// a key of `holding` for that long before passing them on (a very slow `/info`). When the engine goes away (a
    /// connection to it drops and its socket no longer accepts), the relay stops listening too and hangs up on its
    /// clients, leaving its socket file behind, as a killed daemon does.
    case relay(upstream: String, holding: [String: Duration])
  }

  private let channel: any Channel
  private let listenerBox: ListenerBox
  /// A thread of its own: a flood keeps its event loop busy for as long as the client reads, and on the shared loops
  /// it would starve every other test's connections in the process (their timeouts fired on a loaded machine).
  private let group: MultiThreadedEventLoopGroup
  /// `tcp://127.0.0.1:PORT` or `unix://PATH`.
  public let host: String
  /// `GET /v1.41/info`, `HEAD /_ping`, … as each request head arrives, on any connection.
  public let requests: AsyncStream<String>

  private let announcer: RequestAnnouncer

  /// Every request head received so far, in order.
  public var requestsSoFar: [String] { announcer.heads.withLock { $0 } }

  private init(
    channel: any Channel, listenerBox: ListenerBox, group: MultiThreadedEventLoopGroup, host: String,
    requests: AsyncStream<String>, announcer: RequestAnnouncer
  ) {
    self.announcer = announcer
    self.channel = channel
    self.group = group
    self.listenerBox = listenerBox
    self.host = host
    self.requests = requests
  }

  /// Starts listening; on `unixSocket` when given, else on 127.0.0.1 with a port of the kernel's choosing.
  public static func start(_ behaviour: Behaviour, unixSocket: String? = nil) async throws -> FaultListener {
    let (requests, continuation) = AsyncStream.makeStream(of: String.self)
    let announce = RequestAnnouncer(continuation: continuation)
    let listener = ListenerBox(unixSocket: unixSocket)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let bootstrap = ServerBootstrap(group: group)
      .childChannelInitializer { channel in
        listener.connections.withLock { $0.append(channel) }
        return channel.eventLoop.makeCompletedFuture {
          let handler: any ChannelHandler =
            if case .relay(let upstream, let holding) = behaviour {
              Relay(upstream: upstream, holding: holding, announce: announce, listener: listener)
            } else {
              Responder(behaviour: behaviour, announce: announce)
            }
          try channel.pipeline.syncOperations.addHandler(handler)
        }
      }
    let channel: any Channel
    let host: String
    do {
      if let unixSocket {
        channel = try await bootstrap.bind(unixDomainSocketPath: unixSocket, cleanupExistingSocketFile: true).get()
        host = "unix://\(unixSocket)"
      } else {
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        host = "tcp://127.0.0.1:\(channel.localAddress?.port ?? 0)"
      }
    } catch {
      try? await group.shutdownGracefully()
      throw error
    }
    listener.channel.withLock { $0 = channel }
    return FaultListener(
      channel: channel, listenerBox: listener, group: group, host: host, requests: requests, announcer: announce)
  }

  /// Stops listening, leaving a socket file nobody listens on (NIO removes its own; a killed daemon leaves it) or, with
  /// `leavingSocket: false`, none (a daemon that removed it), then hangs up every connection.
  public func stop(leavingSocket: Bool = true) async {
    try? await channel.close()
    if leavingSocket {
      listenerBox.leaveStaleSocket()
    } else if let unixSocket = listenerBox.unixSocket {
      unlink(unixSocket)
    }
    for connection in listenerBox.connections.withLock({ $0 }) { try? await connection.close() }
    try? await group.shutdownGracefully()
  }

  /// Waits for the first request whose head contains `fragment` (`"/info"`, `"_ping"`), and returns its line.
  public func request(containing fragment: String) async -> String? {
    for await line in requests where line.contains(fragment) { return line }
    return nil
  }

  // MARK: - Answering

  private final class Responder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let behaviour: Behaviour
    let announce: RequestAnnouncer
    var heads = RequestHeads()
    /// An endless answer's next bytes are written while the client keeps reading.
    var flooding: [UInt8]?

    init(behaviour: Behaviour, announce: RequestAnnouncer) {
      self.behaviour = behaviour
      self.announce = announce
    }

    func channelActive(context: ChannelHandlerContext) {
      if case .closeOnAccept = behaviour { context.close(promise: nil) }
      context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = unwrapInboundIn(data)
      heads.append(buffer.readBytes(length: buffer.readableBytes) ?? [])
      // One answer per request head, so that a client that reuses the connection gets one each time.
      while let head = heads.next() {
        announce.yield(head.line)
        answer(head, context: context)
      }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
      flood(context: context)
    }

    private func answer(_ head: RequestHeads.Head, context: ChannelHandlerContext) {
      switch behaviour {
      case .neverAnswer, .closeOnAccept, .relay:
        return
      case .answerHTTP(let status):
        let body = "<html><body>not an engine</body></html>"
        write(
          "HTTP/1.1 \(status) Whatever\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            + (head.isHEAD ? "" : body), context: context)
      case .garbage:
        let noise: [UInt8] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46] + Array("SSH-2.0-OpenSSH_9.2\r\n".utf8)
          + (0..<256).map { UInt8($0) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: noise))).whenComplete { _ in
          channel.close(promise: nil)
        }
      case .halfResponse(let claimed, let sent, let thenHang):
        let body = String(repeating: "{", count: sent)
        let answer =
          "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: \(claimed)\r\n\r\n"
          + (head.isHEAD ? "" : body)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer))).whenComplete { _ in
          if !thenHang { channel.close(promise: nil) }
        }
      case .endlessHead:
        write("HTTP/1.1 200 ", context: context)
        flooding = Array(repeating: UInt8(ascii: "A"), count: 64 << 10)
        flood(context: context)
      case .manyHeaders(let count):
        var answer = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n"
        for index in 0..<count { answer += "X-Filler-\(index): \(index)\r\n" }
        write(answer + "\r\n" + (head.isHEAD ? "" : "OK"), context: context)
      case .endlessBody:
        write(Self.chunkedHead, context: context)
        guard !head.isHEAD else { return }
        let chunk = Array(String(repeating: "[", count: 64 << 10).utf8)
        flooding = Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
        flood(context: context)
      case .endlessEvent:
        write(Self.chunkedHead, context: context)
        guard !head.isHEAD else { return }
        let opening = Array(#"{"Type":"daemon","Action":"reload","Actor":{"ID":"x","Attributes":{"padding":""#.utf8)
        let chunk = opening + Array(repeating: UInt8(ascii: "x"), count: 64 << 10)
        flooding = Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
        flood(context: context)
      }
    }

    static let chunkedHead =
      "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

    private func write(_ text: String, context: ChannelHandlerContext) {
      context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
    }

    /// Writes the flood's bytes while the channel takes them; resumes when it becomes writable again.
    private func flood(context: ChannelHandlerContext) {
      guard let bytes = flooding else { return }
      while context.channel.isActive && context.channel.isWritable {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
      }
    }
  }

  // MARK: - Relaying

  private final class Relay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let upstream: String
    let holding: [String: Duration]
    let announce: RequestAnnouncer
    let listener: ListenerBox
    var heads = RequestHeads()
    var upstreamChannel: EventLoopFuture<any Channel>?
    /// Forwarding in order: each chunk waits for the one before (which may be held).
    var forwarded: EventLoopFuture<Void>?

    init(
      upstream: String, holding: [String: Duration], announce: RequestAnnouncer, listener: ListenerBox
    ) {
      self.upstream = upstream
      self.holding = holding
      self.announce = announce
      self.listener = listener
    }

    func channelActive(context: ChannelHandlerContext) {
      let client = context.channel
      let listener = listener
      let upstream = upstream
      let connection = ClientBootstrap(group: context.eventLoop)
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
              Backward(client: client, upstream: upstream, listener: listener))
          }
        }
        .connect(unixDomainSocketPath: upstream)
      connection.whenFailure { _ in Relay.hangUp(client, upstream: upstream, listener: listener) }
      upstreamChannel = connection
      forwarded = connection.map { _ in }
      context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = unwrapInboundIn(data)
      let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
      heads.append(bytes)
      var hold: Duration = .zero
      while let head = heads.next() {
        announce.yield(head.line)
        for (fragment, duration) in holding where head.line.contains(fragment) { hold = max(hold, duration) }
      }
      guard let upstreamChannel, let previous = forwarded else { return }
      let loop = context.eventLoop
      let held = hold
      forwarded = previous.flatMap {
        held == .zero
          ? loop.makeSucceededVoidFuture() : loop.scheduleTask(in: TimeAmount(held)) {}.futureResult
      }.flatMap {
        upstreamChannel.flatMap { $0.writeAndFlush(ByteBuffer(bytes: bytes)) }
      }
    }

    func channelInactive(context: ChannelHandlerContext) {
      upstreamChannel?.whenSuccess { $0.close(promise: nil) }
      context.fireChannelInactive()
    }

    /// A connection to the engine dropped. When the engine went away, stop listening first (so that the client,
    /// looking again, finds a socket nobody listens on), then hang up on the client; otherwise hang up only.
    ///
    /// Whether it went away is asked of the engine, not of its socket: the kernel closes a killed daemon's
    /// descriptors one by one, so its listening socket may still accept for a moment after its connections dropped;
    /// but it never answers again.
    static func hangUp(_ client: any Channel, upstream: String, listener: ListenerBox) {
      PingProbe.answers(upstream, on: client.eventLoop).whenComplete { answered in
        guard case .success(false) = answered, let server = listener.channel.withLock({ $0 }) else {
          client.close(promise: nil)
          return
        }
        server.close().whenComplete { _ in
          listener.leaveStaleSocket()
          client.close(promise: nil)
        }
      }
    }
  }

  /// `HEAD /_ping` to the engine at a unix socket: `true` once any answer arrives, `false` when the connection is
  /// refused or closes unanswered (a dying daemon's listening socket, closed as its process ends).
  private final class PingProbe: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Settled once, on the probe's event loop, by whichever comes first.
    final class Outcome: Sendable {
      let promise: EventLoopPromise<Bool>
      private let settled = Mutex(false)
      init(_ promise: EventLoopPromise<Bool>) { self.promise = promise }
      func settle(_ answered: Bool) {
        guard !settled.withLock({ was in defer { was = true }; return was }) else { return }
        promise.succeed(answered)
      }
    }

    let outcome: Outcome
    init(outcome: Outcome) { self.outcome = outcome }

    static func answers(_ path: String, on loop: any EventLoop) -> EventLoopFuture<Bool> {
      let outcome = Outcome(loop.makePromise(of: Bool.self))
      ClientBootstrap(group: loop)
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(PingProbe(outcome: outcome))
          }
        }
        .connect(unixDomainSocketPath: path)
        .whenFailure { _ in outcome.settle(false) }
      return outcome.promise.futureResult
    }

    func channelActive(context: ChannelHandlerContext) {
      let ping = ByteBuffer(string: "HEAD /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
      context.writeAndFlush(wrapOutboundOut(ping), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      outcome.settle(true)
      context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
      outcome.settle(false)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      context.close(promise: nil)
    }
  }

  /// The engine's answers, back to the relay's client.
  private final class Backward: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let client: any Channel
    let upstream: String
    let listener: ListenerBox

    init(client: any Channel, upstream: String, listener: ListenerBox) {
      self.client = client
      self.upstream = upstream
      self.listener = listener
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      client.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
      Relay.hangUp(client, upstream: upstream, listener: listener)
      context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      context.close(promise: nil)
    }
  }
}

/// The listening channel, once bound: the relay closes it when the engine behind it is gone.
/// Says each request head on ``FaultListener/requests`` as it arrives, and keeps it.
private final class RequestAnnouncer: Sendable {
  let continuation: AsyncStream<String>.Continuation
  let heads = Mutex<[String]>([])

  init(continuation: AsyncStream<String>.Continuation) { self.continuation = continuation }

  func yield(_ line: String) {
    heads.withLock { $0.append(line) }
    continuation.yield(line)
  }
}

private final class ListenerBox: Sendable {
  let unixSocket: String?
  let channel = Mutex<(any Channel)?>(nil)

  init(unixSocket: String?) { self.unixSocket = unixSocket }

  /// A socket file at the listener's path that nobody listens on, as a killed daemon leaves behind.
  func leaveStaleSocket() {
    if let unixSocket { try? StaleSocket.create(at: unixSocket) }
  }

  /// Every accepted connection, to hang up on when the listener stops.
  let connections = Mutex<[any Channel]>([])
}

/// Request heads found in a connection's bytes (bodies are ignored: the calls under test send none).
private struct RequestHeads {
  struct Head {
    /// `GET /_ping HTTP/1.1` without the version.
    var line: String
    var isHEAD: Bool { line.hasPrefix("HEAD ") }
  }

  private var received: [UInt8] = []

  mutating func append(_ bytes: [UInt8]) { received += bytes }

  mutating func next() -> Head? {
    let terminator: [UInt8] = [13, 10, 13, 10]
    guard received.count >= 4 else { return nil }
    for start in 0...(received.count - 4) where received[start..<start + 4].elementsEqual(terminator) {
      let head = String(decoding: received[..<start], as: UTF8.self)
      received.removeFirst(start + 4)
      let requestLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
      let line = requestLine.hasSuffix(" HTTP/1.1") ? String(requestLine.dropLast(9)) : requestLine
      return Head(line: line)
    }
    return nil
  }
}
