import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import EngineKit

/// A throw-away PKI made with the `openssl` CLI: a CA, a server certificate for `localhost` and 127.0.0.1, a client
/// certificate from the same CA, and an unrelated CA with a client certificate of its own.
struct TLSTestPKI: Sendable {
  let directory: URL

  func path(_ name: String) -> String { directory.appending(path: name).path }

  var caPath: String { path("ca.pem") }
  var otherCAPath: String { path("other-ca.pem") }
  var serverCertificatePath: String { path("server-cert.pem") }
  var serverKeyPath: String { path("server-key.pem") }
  var clientCertificatePath: String { path("cert.pem") }
  var clientKeyPath: String { path("key.pem") }
  var strangerCertificatePath: String { path("stranger-cert.pem") }
  var strangerKeyPath: String { path("stranger-key.pem") }

  /// Runs `body` with a fresh PKI in a temporary directory, removed afterwards.
  static func with<T: Sendable>(_ body: (TLSTestPKI) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appending(path: "tls-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let pki = TLSTestPKI(directory: directory)
    try await pki.generate()
    return try await body(pki)
  }

  private func generate() async throws {
    // The two CAs are independent; each leaf needs its CA.
    async let ca: Void = makeCertificate("ca", subject: "/CN=docker-preflight test CA")
    async let otherCA: Void = makeCertificate("other-ca", subject: "/CN=unrelated test CA")
    try await ca
    async let server: Void = makeCertificate(
      "server-cert", key: "server-key", subject: "/CN=localhost", issuer: "ca",
      extensions: ["subjectAltName=DNS:localhost,IP:127.0.0.1", "extendedKeyUsage=serverAuth"]
    )
    async let client: Void = makeCertificate(
      "cert", key: "key", subject: "/CN=client", issuer: "ca", extensions: ["extendedKeyUsage=clientAuth"]
    )
    try await otherCA
    async let stranger: Void = makeCertificate(
      "stranger-cert", key: "stranger-key", subject: "/CN=stranger", issuer: "other-ca",
      extensions: ["extendedKeyUsage=clientAuth"]
    )
    _ = try await (server, client, stranger)
  }

  /// A P-256 key and a certificate: self-signed (a CA) without `issuer`, else a leaf signed by `issuer`.
  private func makeCertificate(
    _ name: String,
    key: String? = nil,
    subject: String,
    issuer: String? = nil,
    extensions: [String] = []
  ) async throws {
    var arguments = [
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", path("\(key ?? name + "-key").pem"), "-out", path("\(name).pem"), "-days", "2", "-subj", subject,
    ]
    if let issuer {
      arguments += ["-CA", path("\(issuer).pem"), "-CAkey", path("\(issuer)-key.pem")]
      arguments += ["-addext", "basicConstraints=critical,CA:FALSE"]
    }
    for item in extensions { arguments += ["-addext", item] }
    try await TLSTestProcess.run(arguments)
  }
}

enum TLSTestProcess {
  struct Failed: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs a short command to completion, awaiting its termination handler.
  static func run(_ arguments: [String]) async throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
      process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
      do {
        try process.run()
      } catch {
        process.terminationHandler = nil
        continuation.resume(throwing: error)
      }
    }
    guard status == 0 else {
      let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      throw Failed(description: "\(arguments.joined(separator: " ")) exited \(status): \(message)")
    }
  }

  /// Runs `openssl s_server` on a free loopback port for the duration of `body`, then kills it by pid.
  static func withOpenSSLServer<T: Sendable>(
    _ arguments: [String],
    logDirectory: URL,
    _ body: (Int) async throws -> T
  ) async throws -> T {
    let port = try await freePort()
    let log = logDirectory.appending(path: "s_server-\(port).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let logHandle = try FileHandle(forWritingTo: log)
    defer { try? logHandle.close() }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:\(port)"] + arguments
    process.standardOutput = logHandle
    process.standardError = logHandle
    process.standardInput = FileHandle.nullDevice
    let (terminations, terminated) = AsyncStream.makeStream(of: Int32.self)
    process.terminationHandler = { process in
      terminated.yield(process.terminationStatus)
      terminated.finish()
    }
    try process.run()
    let pid = process.processIdentifier

    let result: Result<T, any Error>
    do {
      try await waitUntilAccepting(port: port) {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return "s_server exited early: \(text)"
      } isRunning: {
        process.isRunning
      }
      result = .success(try await body(port))
    } catch {
      result = .failure(error)
    }
    // SIGKILL, not SIGTERM: Foundation's Process hands its children the spawning thread's signal mask, in which
    // SIGTERM is blocked, so s_server would never see it.
    kill(pid, SIGKILL)
    for await _ in terminations { break }
    return try result.get()
  }

  /// Probes with TCP connects, backing off from 5 ms to 100 ms, until the port accepts.
  private static func waitUntilAccepting(
    port: Int,
    explainExit: () -> String,
    isRunning: () -> Bool
  ) async throws {
    var delay = Duration.milliseconds(5)
    let deadline = ContinuousClock.now + .seconds(10)
    while true {
      do {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
          .connect(host: "127.0.0.1", port: port).get()
        try await channel.close()
        return
      } catch {
        guard isRunning() else { throw Failed(description: explainExit()) }
        guard ContinuousClock.now < deadline else { throw Failed(description: "nothing accepted on port \(port)") }
        try await Task.sleep(for: delay)
        delay = min(delay * 2, .milliseconds(100))
      }
    }
  }

  /// A port that was free a moment ago: bind port 0, read it, let it go.
  static func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
  }
}

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
