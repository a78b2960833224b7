#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Who listens on a unix socket: the kernel records the credentials of the process that called `listen`, and a
/// client connected to it reads them with `SO_PEERCRED`. The pid of the engine itself, known from the socket rather
/// than guessed from a process list. (A socket handed over by systemd names systemd; callers treat pid 1 as no
/// answer.)
public enum SocketPeer {
  /// The pid of the process listening at `path`; `nil` when nothing accepts there, or the platform cannot tell.
  public static func listenerPid(at path: String) -> Int? {
    #if os(Linux)
      guard let connection = UnixSocketConnection(path: path) else { return nil }
      let descriptor = connection.descriptor
      defer { close(descriptor) }
      // EAGAIN: the backlog is full; the peer's credentials are still those of the listener.
      guard connection.error == nil || connection.error == EAGAIN || connection.error == EINPROGRESS else {
        return nil
      }
      // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
      var credentials: (Int32, UInt32, UInt32) = (0, 0, 0)
      var length = socklen_t(MemoryLayout.size(ofValue: credentials))
      guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.0 > 0 else {
        return nil
      }
      return Int(credentials.0)
    #else
      return nil
    #endif
  }
}
