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

    /// glibc's `posix_spawn_file_actions_addclosefrom_np`: Swift's Glibc module does not import GNU extensions.
    private static let addClosefrom:
      (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = CLibrary.symbol(
        "posix_spawn_file_actions_addclosefrom_np")
  }

  /// Functions of the C library that Swift's Glibc module does not import (GNU and XSI extensions, newer calls).
  public enum CLibrary {
    /// The function `name`, looked up at run time as `T` (a `@convention(c)` function type); `nil` where this glibc
    /// lacks it.
    public static func symbol<T>(_ name: String) -> T? {
      guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
      return unsafeBitCast(address, to: T.self)
    }
  }
#endif
