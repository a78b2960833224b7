#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What is at a unix socket path, told by a non-blocking `connect` (no bytes are sent): cheap enough to run over
/// every socket in the provider table.
public enum SocketState: String, Sendable, Hashable, Codable {
  /// No file at the path.
  case missing
  /// Something listens.
  case listening
  /// The socket file exists but nothing listens: the provider that made it has stopped (a stale socket).
  case stale
  /// The file exists, but this user may not connect.
  case permissionDenied = "permission-denied"
  /// The path exists but is not a socket.
  case notASocket = "not-a-socket"
  /// Some other error (a path too long for `sun_path`, …).
  case unusable
}

public enum SocketProbe {
  public static func state(of path: String) -> SocketState {
    switch HostFiles.kind(path) {
    case .missing: return .missing
    case .socket: break
    default: return .notASocket
    }
    var address = sockaddr_un()
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard path.utf8.count < capacity else { return .unusable }
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
    guard descriptor >= 0 else { return .unusable }
    defer { close(descriptor) }
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    if result == 0 { return .listening }
    switch errno {
    // A full backlog answers EAGAIN on Linux: someone listens, they are just busy.
    case EAGAIN, EINPROGRESS: return .listening
    case ECONNREFUSED: return .stale
    case EACCES, EPERM: return .permissionDenied
    case ENOENT: return .missing
    default: return .unusable
    }
  }
}
