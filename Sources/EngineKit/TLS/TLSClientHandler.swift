import COpenSSL
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sent up the pipeline (`userInboundEventTriggered`) once the handshake has succeeded.
struct TLSHandshakeCompleted: Sendable, Equatable {
  /// e.g. `TLSv1.3`.
  var protocolVersion: String
}

/// Client-side TLS over OpenSSL memory BIOs, at the bottom of a pipeline: ciphertext below, plaintext
/// `ByteBuffer`s above (e.g. `HTTPRequestEncoder`/`HTTPResponseDecoder`).
///
/// The handshake starts when the channel becomes active; writes wait for it. Failures reach the pipeline as a
/// `TLSError` through `errorCaught`, then the channel is closed. Everything runs on the channel's event loop,
/// where OpenSSL's (thread-local) error queue is cleared before each call.
final class TLSClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  private enum State {
    case idle
    case handshaking
    case active
    /// We sent close_notify (output closed); the peer may still send.
    case outputClosed
    case closed
  }

  /// One TLS record's worth of plaintext per read.
  private static let readChunkSize = 16_384

  private let tlsContext: TLSContext
  private let serverName: String?
  private var state = State.idle
  private var ssl: OpaquePointer?
  /// The BIO we fill with ciphertext from the network (owned by `ssl`).
  private var networkInput: OpaquePointer?
  /// The BIO OpenSSL fills with ciphertext for the network (owned by `ssl`).
  private var networkOutput: OpaquePointer?
  private var pendingWrites = CircularBuffer<(data: ByteBuffer, promise: EventLoopPromise<Void>?)>()
  private var flushPending = false
  private var firstBytesReceived: [UInt8] = []
  private let observations = HandshakeObservations()
  /// Whether any application data arrived: before it does, a closed connection may be the server's rejection.
  private var plaintextReceived = false
  private var silentRejectionReported = false

  /// - Parameter serverName: the host being connected to; `TLSOptions.serverName`, when set, wins over it.
  init(context: TLSContext, serverName: String?) {
    self.tlsContext = context
    self.serverName = context.options.serverName ?? serverName
  }

  deinit {
    // Freeing here rather than in handlerRemoved keeps the SSL alive while a method of ours is on the stack.
    if let ssl { SSL_free(ssl) }
  }

  // MARK: Lifecycle

  func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { startHandshake(context: context) }
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    failPendingWrites(ChannelError.ioOnClosedChannel)
  }

  func channelActive(context: ChannelHandlerContext) {
    if state == .idle { state = .handshaking }
    context.fireChannelActive()
    startHandshake(context: context)
  }

  func channelInactive(context: ChannelHandlerContext) {
    switch state {
    case .idle, .handshaking:
      // A plain HTTP server may answer with fewer bytes than a TLS record header, then close.
      let error: TLSError =
        TLSFailureEvidence.isPlainHTTP(firstBytesReceived)
        ? TLSFailureEvidence.plainHTTPAnswer : .connectionClosedDuringHandshake
      fail(context: context, error: error)
    case .active, .outputClosed:
      reportSilentRejection(context: context)
      // EOF without close_notify is accepted: HTTP/1.0 bodies end at EOF and engines' Go servers rarely send it.
      state = .closed
    case .closed:
      break
    }
    failPendingWrites(ChannelError.ioOnClosedChannel)
    context.fireChannelInactive()
  }

  // MARK: Inbound

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = unwrapInboundIn(data)
    guard state != .closed, state != .idle, let networkInput else { return }
    if state == .handshaking && firstBytesReceived.count < 8 {
      firstBytesReceived += buffer.readableBytesView.prefix(8 - firstBytesReceived.count)
    }
    // A memory BIO grows as needed, so it takes every byte.
    _ = buffer.withUnsafeReadableBytes { BIO_write(networkInput, $0.baseAddress, Int32($0.count)) }
    if state == .handshaking {
      continueHandshake(context: context)
    } else {
      readPlaintext(context: context)
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    context.fireChannelReadComplete()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // A reset in place of the first answer after a TLS 1.3 handshake: the server's verdict on our certificate.
    if let error = error as? IOError, [ECONNRESET, EPIPE].contains(error.errnoCode),
      state == .active || state == .outputClosed, reportSilentRejection(context: context)
    {
      return
    }
    context.fireErrorCaught(error)
  }

  // MARK: Outbound

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let buffer = unwrapOutboundIn(data)
    switch state {
    case .idle, .handshaking:
      pendingWrites.append((buffer, promise))
    case .active:
      encrypt(context: context, buffer, promise: promise)
    case .outputClosed, .closed:
      promise?.fail(ChannelError.outputClosed)
    }
  }

  func flush(context: ChannelHandlerContext) {
    switch state {
    case .idle, .handshaking: flushPending = true
    case .active, .outputClosed, .closed: context.flush()
    }
  }

  func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
    switch (mode, state) {
    case (.input, _):
      context.close(mode: mode, promise: promise)
    case (_, .active):
      // close_notify, best effort: we do not wait for the peer's, as the docker CLI does not.
      state = mode == .all ? .closed : .outputClosed
      if let ssl {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
      }
      writeNetworkOutput(context: context, flush: true)
      context.close(mode: mode, promise: promise)
    case (_, .idle), (_, .handshaking):
      state = .closed
      failPendingWrites(ChannelError.ioOnClosedChannel)
      context.close(mode: mode, promise: promise)
    case (_, .outputClosed), (_, .closed):
      if mode == .all { state = .closed }
      context.close(mode: mode, promise: promise)
    }
  }

  // MARK: Handshake

  private func startHandshake(context: ChannelHandlerContext) {
    guard ssl == nil, state == .idle || state == .handshaking else { return }
    state = .handshaking
    do {
      try makeConnection()
    } catch {
      fail(context: context, error: error)
      return
    }
    continueHandshake(context: context)
  }

  private func makeConnection() throws(TLSError) {
    ERR_clear_error()
    defer { ERR_clear_error() }
    guard let ssl = SSL_new(tlsContext.sslContext) else {
      throw .handshakeFailed(reason: "OpenSSL could not create a connection")
    }
    self.ssl = ssl
    let input = BIO_new(BIO_s_mem())
    let output = BIO_new(BIO_s_mem())
    guard let input, let output else {
      BIO_free(input)
      BIO_free(output)
      throw .handshakeFailed(reason: "OpenSSL could not create memory BIOs")
    }
    SSL_set_bio(ssl, input, output)
    networkInput = input
    networkOutput = output
    SSL_set_connect_state(ssl)

    let address = serverName.flatMap(Self.ipAddressLiteral)
    if tlsContext.options.verifyServer {
      guard let serverName, !serverName.isEmpty else {
        throw .handshakeFailed(reason: "verifying the server's certificate needs a server name")
      }
      if let address {
        guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), address) == 1 else {
          throw .handshakeFailed(reason: "cannot verify against the address \(serverName)")
        }
      } else {
        SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        guard SSL_set1_host(ssl, serverName) == 1 else {
          throw .handshakeFailed(reason: "cannot verify against the name \(serverName)")
        }
      }
    }
    // SNI carries host names only (RFC 6066).
    if let serverName, !serverName.isEmpty, address == nil {
      _ = copenssl_SSL_set_tlsext_host_name(ssl, serverName)
    }

    SSL_set_msg_callback(ssl) { isWrite, _, contentType, bytes, count, _, argument in
      guard isWrite == 0, count >= 1, let bytes, let argument else { return }
      let observations = Unmanaged<HandshakeObservations>.fromOpaque(argument).takeUnretainedValue()
      let message = bytes.assumingMemoryBound(to: UInt8.self)
      if contentType == SSL3_RT_HANDSHAKE && Int32(message[0]) == SSL3_MT_CERTIFICATE_REQUEST {
        observations.certificateRequested = true
      } else if contentType == SSL3_RT_ALERT && count >= 2 && Int32(message[0]) == SSL3_AL_FATAL {
        observations.receivedAlert = message[1]
      }
    }
    copenssl_SSL_set_msg_callback_arg(ssl, Unmanaged.passUnretained(observations).toOpaque())
  }

  private func continueHandshake(context: ChannelHandlerContext) {
    guard let ssl else { return }
    ERR_clear_error()
    let result = SSL_do_handshake(ssl)
    let sslError = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, result)
    writeNetworkOutput(context: context, flush: true)
    guard state == .handshaking else { return }
    switch sslError {
    case SSL_ERROR_NONE:
      state = .active
      firstBytesReceived = []
      // Writes held back go first, so that whatever reacts to the event writes after them.
      writePending(context: context)
      guard state == .active else { return }
      let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "TLS"
      context.fireUserInboundEventTriggered(TLSHandshakeCompleted(protocolVersion: version))
      // The server may already have sent data (or an alert) after its Finished.
      readPlaintext(context: context)
    case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
      // Reads may be demand-driven (autoRead off): ask for the server's next flight.
      context.read()
    default:
      fail(context: context, error: failure())
    }
  }

  // MARK: Data

  private func writePending(context: ChannelHandlerContext) {
    while state == .active, let (data, promise) = pendingWrites.popFirst() {
      encrypt(context: context, data, promise: promise)
    }
    if flushPending {
      flushPending = false
      context.flush()
    }
  }

  private func encrypt(context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
    guard let ssl, buffer.readableBytes > 0 else {
      context.write(wrapOutboundOut(buffer), promise: promise)
      return
    }
    ERR_clear_error()
    let written = buffer.withUnsafeReadableBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
    guard written > 0 else {
      let error = failure()
      promise?.fail(error)
      fail(context: context, error: error)
      return
    }
    // Without SSL_MODE_ENABLE_PARTIAL_WRITE and with a memory BIO, SSL_write takes the whole buffer.
    writeNetworkOutput(context: context, flush: false, promise: promise)
  }

  private func readPlaintext(context: ChannelHandlerContext) {
    while state == .active || state == .outputClosed, let ssl {
      var buffer = context.channel.allocator.buffer(capacity: Self.readChunkSize)
      var sslError = SSL_ERROR_NONE
      ERR_clear_error()
      buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readChunkSize) { space in
        let count = SSL_read(ssl, space.baseAddress, Int32(space.count))
        if count > 0 { return Int(count) }
        sslError = SSL_get_error(ssl, count)
        return 0
      }
      if buffer.readableBytes > 0 {
        plaintextReceived = true
        context.fireChannelRead(wrapInboundOut(buffer))
        continue
      }
      // Reading may have produced records to send (a TLS 1.3 KeyUpdate answer, an alert).
      writeNetworkOutput(context: context, flush: true)
      switch sslError {
      case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
        return
      case SSL_ERROR_ZERO_RETURN:
        // The server's close_notify: answer it and close.
        state = .closed
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        writeNetworkOutput(context: context, flush: true)
        context.close(promise: nil)
        return
      default:
        fail(context: context, error: failure())
        return
      }
    }
  }

  /// Moves whatever ciphertext OpenSSL produced to the channel.
  private func writeNetworkOutput(context: ChannelHandlerContext, flush: Bool, promise: EventLoopPromise<Void>? = nil) {
    guard let networkOutput else {
      promise?.succeed()
      return
    }
    let pending = Int(BIO_ctrl_pending(networkOutput))
    if pending > 0 {
      var buffer = context.channel.allocator.buffer(capacity: pending)
      buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
        Int(max(0, BIO_read(networkOutput, space.baseAddress, Int32(pending))))
      }
      context.write(wrapOutboundOut(buffer), promise: promise)
    } else {
      promise?.succeed()
    }
    if flush && pending > 0 { context.flush() }
  }

  // MARK: Failure

  /// Under TLS 1.3 the client's handshake is over before the server has checked the client certificate, so a server
  /// that rejects it does so after our request has gone out: with an alert (classified by `failure()`), or, when
  /// the alert is lost to a reset or the server just hangs up, with nothing at all. A server that asked for a
  /// certificate and then closes without a single byte of answer has rejected it. Returns whether it reported that.
  @discardableResult
  private func reportSilentRejection(context: ChannelHandlerContext) -> Bool {
    guard !plaintextReceived, !silentRejectionReported, observations.certificateRequested, let ssl,
      SSL_version(ssl) == TLS1_3_VERSION
    else { return false }
    silentRejectionReported = true
    let verdict =
      tlsContext.hasClientCertificate
      ? "it did not accept the client certificate" : "it requires a client certificate and none is configured"
    let error = TLSError.clientCertificateRejected(
      reason: "the server closed the connection after the TLS 1.3 handshake without answering: \(verdict)")
    failPendingWrites(error)
    context.fireErrorCaught(error)
    return true
  }

  /// Classifies the failure of the OpenSSL call just made, emptying the error queue.
  private func failure() -> TLSError {
    var evidence = TLSFailureEvidence(verifyServer: tlsContext.options.verifyServer)
    evidence.serverName = serverName
    evidence.certificateRequested = observations.certificateRequested
    evidence.receivedAlert = observations.receivedAlert
    evidence.clientCertificateConfigured = tlsContext.hasClientCertificate
    evidence.firstBytesReceived = firstBytesReceived
    if let ssl { evidence.verifyResult = SSL_get_verify_result(ssl) }
    while case let code = ERR_get_error(), code != 0 { evidence.errorCodes.append(code) }
    return evidence.error
  }

  private func fail(context: ChannelHandlerContext, error: TLSError) {
    guard state != .closed else { return }
    state = .closed
    // Let the alert OpenSSL queued reach the server before the connection goes.
    writeNetworkOutput(context: context, flush: true)
    failPendingWrites(error)
    context.fireErrorCaught(error)
    context.close(promise: nil)
  }

  private func failPendingWrites(_ error: any Error) {
    flushPending = false
    while let (_, promise) = pendingWrites.popFirst() { promise?.fail(error) }
  }

  /// The address in `name` (`[::1]` or `127.0.0.1`) if it is one, as OpenSSL's IP SAN check wants it.
  private static func ipAddressLiteral(_ name: String) -> String? {
    let bare = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
    var storage = in6_addr()
    if inet_pton(AF_INET, bare, &storage) == 1 || inet_pton(AF_INET6, bare, &storage) == 1 { return bare }
    return nil
  }
}

/// What the message callback saw, read when classifying a failure.
private final class HandshakeObservations {
  var certificateRequested = false
  var receivedAlert: UInt8?
}
