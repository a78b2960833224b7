#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A non-blocking stream socket that has called `connect` on a unix socket path: the one way this program opens a
/// socket with plain system calls (the socket probe, the listener's credentials, early requests). A connect that
/// cannot complete at once fails at once rather than waiting: `EAGAIN` is a full backlog.
struct UnixSocketConnection {
  /// The socket, the caller's to close.
  let descriptor: CInt
  /// `connect`'s errno; `nil` when it connected.
  let error: CInt?

  /// `nil` when `path` does not fit a socket address or no socket can be made.
  init?(path: String) {
    var address = sockaddr_un()
    guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    #if canImport(Glibc)
      let descriptor = socket(
        AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    #else
      let descriptor = socket(AF_UNIX, SOCK_STREAM, 0)
      if descriptor >= 0 { _ = fcntl(descriptor, F_SETFL, O_NONBLOCK) }
    #endif
    guard descriptor >= 0 else { return nil }
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    self.descriptor = descriptor
    error = result == 0 ? nil : errno
  }
}
