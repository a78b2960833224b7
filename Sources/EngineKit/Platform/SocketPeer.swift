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
      var address = sockaddr_un()
      let capacity = MemoryLayout.size(ofValue: address.sun_path)
      guard path.utf8.count < capacity else { return nil }
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
      }
      let descriptor = socket(
        AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
      guard descriptor >= 0 else { return nil }
      defer { close(descriptor) }
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
      }
      // EAGAIN: the backlog is full; the peer's credentials are still those of the listener.
      guard connected == 0 || errno == EAGAIN || errno == EINPROGRESS else { return nil }
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
