#if canImport(Glibc)
  import Glibc

  /// What a spawned program must not inherit: every descriptor of ours past stdio. Many are not close-on-exec
  /// (SwiftNIO's accepted sockets and epoll descriptors among them), and a child holding a copy of a socket keeps
  /// its connection open after we close it, so the peer never sees the end.
  public enum SpawnActions {
    /// Adds "close every descriptor from `lowest` up" to `actions` (glibc 2.34+); `false` where glibc lacks it.
    @discardableResult
    public static func closeDescriptors(from lowest: Int32, in actions: inout posix_spawn_file_actions_t) -> Bool {
      guard let closeFrom = addClosefrom else { return false }
      return closeFrom(&actions, lowest) == 0
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, looked up at run time: Swift's Glibc module does not
    /// import GNU extensions.
    private static let addClosefrom:
      (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(
          symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
      }()
  }
#endif
