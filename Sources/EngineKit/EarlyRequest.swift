import NIOCore
import NIOHTTP1
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A request written to an engine's unix socket with plain system calls, before any of SwiftNIO is set up.
///
/// dockerd 20.10 takes ~6 ms to answer `/version` and `/info`; setting up the first NIO connection (its event loop
/// thread, and the runtime's first look at each handler type's conformances) takes a few milliseconds more of a
/// one-shot `check`. Written at once, the question is with the engine while that setup runs: the session that later
/// adopts the socket (``EngineClient/withSession(early:_:)``) sends the same request through its pipeline, where
/// ``CodecSeam`` lets the HTTP decoder see it (so that it knows which answer is to a `HEAD`) and drops its bytes.
///
/// Only for a unix socket that accepts at once and a request without a body; anything else (a missing socket, a full
/// backlog, TCP) gets `nil`, and the session connects as usual, so that its errors are classified as usual.
public final class EarlyRequest: Sendable {
  let request: EngineRequest
  private let descriptor: Mutex<CInt?>

  private init(request: EngineRequest, descriptor: CInt) {
    self.request = request
    self.descriptor = Mutex(descriptor)
  }

  deinit {
    if let descriptor = descriptor.withLock({ $0.take() }) { close(descriptor) }
  }

  /// Connects to `client`'s endpoint and writes `request`; `nil` when that cannot be done at once.
  public static func send(_ request: EngineRequest, with client: EngineClient) -> EarlyRequest? {
    guard case .unix(let path) = client.endpoint.transport, request.body == nil else { return nil }
    guard let connection = UnixSocketConnection(path: path) else { return nil }
    let descriptor = connection.descriptor
    #if canImport(Darwin)
      var on: CInt = 1
      setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<CInt>.size))
      let noSignal: CInt = 0
    #else
      let noSignal = CInt(MSG_NOSIGNAL)
    #endif
    let text = "\(request.method.rawValue) \(request.path) HTTP/1.1\r\nHost: \(client.hostHeader)\r\n"
      + "User-Agent: \(EngineSession.userAgent)\r\n\r\n"
    let bytes = Array(text.utf8)
    // A listener that hangs up at once makes the write fail with EPIPE: without MSG_NOSIGNAL it would be SIGPIPE.
    guard connection.error == nil,
      bytes.withUnsafeBytes({ systemSend(descriptor, $0.baseAddress, $0.count, noSignal) }) == bytes.count
    else {
      close(descriptor)
      return nil
    }
    return EarlyRequest(request: request, descriptor: descriptor)
  }

  /// The connected socket, for the session that adopts it; `nil` once taken.
  func take() -> CInt? { descriptor.withLock { $0.take() } }
}

/// The C library's `send`, which ``EarlyRequest/send(_:with:)`` hides.
private func systemSend(_ socket: CInt, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: CInt) -> Int {
  send(socket, bytes, count, flags)
}
