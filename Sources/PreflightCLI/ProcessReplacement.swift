#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Replaces this process with another program (`exec`, the docker shim): same pid, same stdio, and the program's
/// exit status becomes the caller's. Returns only when the program could not be started.
enum ProcessReplacement {
  /// Runs `arguments[0]`, searched on PATH when it has no `/` (as a shell would), with this process's environment.
  /// Returns the `errno` of the failure.
  static func replaceSearchingPath(arguments: [String], keeping inherited: Set<Int32>) -> Int32 {
    prepare(keeping: inherited)
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    execvp(arguments[0], argv)
    return errno
  }

  /// Runs the program at `executable` with `arguments` as its argv and `environment`. Returns the `errno` of the
  /// failure.
  static func replace(
    executable: String, arguments: [String], environment: [String: String], keeping inherited: Set<Int32>? = nil
  ) -> Int32 {
    prepare(keeping: inherited)
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    execve(executable, argv, envp)
    return errno
  }

  /// The program must not inherit the signal mask of the thread we run on: Swift concurrency and dispatch threads
  /// block signals, and a devcontainer CLI that cannot be stopped with SIGTERM or Ctrl-C would be our doing.
  /// (SIGINT's disposition is back to what we inherited once ``InterruptSignal`` is done.) Nor our descriptors:
  /// SwiftNIO's event loops open their epoll descriptors without close-on-exec, so every descriptor that was not
  /// in `inherited` (taken before we opened any) is closed at exec; those our caller gave us are passed on.
  private static func prepare(keeping inherited: Set<Int32>?) {
    var empty = sigset_t()
    sigemptyset(&empty)
    pthread_sigmask(SIG_SETMASK, &empty, nil)
    if let inherited {
      for descriptor in openDescriptors() where !inherited.contains(descriptor) {
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
      }
    }
  }

  /// The descriptors open in this process now.
  static func openDescriptors() -> Set<Int32> {
    #if os(Linux)
      let directory = "/proc/self/fd"
    #else
      let directory = "/dev/fd"
    #endif
    guard let listing = opendir(directory) else { return [] }
    defer { closedir(listing) }
    var descriptors: Set<Int32> = []
    while let entry = readdir(listing) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if let descriptor = Int32(name), descriptor != dirfd(listing) { descriptors.insert(descriptor) }
    }
    return descriptors
  }

  /// The status a shell gives a command it could not run: 127 not found, 126 found but not executable.
  static func exitStatus(forFailure error: Int32) -> Int32 { error == ENOENT || error == ENOTDIR ? 127 : 126 }
}
