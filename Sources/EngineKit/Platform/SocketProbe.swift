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
    guard let connection = UnixSocketConnection(path: path) else { return .unusable }
    close(connection.descriptor)
    guard let error = connection.error else { return .listening }
    switch error {
    // A full backlog answers EAGAIN on Linux: someone listens, they are just busy.
    case EAGAIN, EINPROGRESS: return .listening
    case ECONNREFUSED: return .stale
    case EACCES, EPERM: return .permissionDenied
    case ENOENT: return .missing
    default: return .unusable
    }
  }
}
