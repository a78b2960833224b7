#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads small configuration files whole, refusing any larger than a limit: a config file that is hundreds of
/// megabytes is damaged or not what it claims to be, and must not cost that much memory.
enum BoundedFile {
  enum Failure: Error, Equatable {
    /// `open` or `read` failed with this errno.
    case system(Int32)
    case tooLarge(limit: Int)

    /// `No such file or directory`, `larger than 4 MiB`.
    var reason: String {
      switch self {
      case .system(let code): String(cString: strerror(code))
      case .tooLarge(let limit): "larger than \(limit >> 20) MiB"
      }
    }
  }

  static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
    let bytes = try readAtMost(path, count: limit + 1)
    guard bytes.count <= limit else { throw .tooLarge(limit: limit) }
    return bytes
  }

  /// At most the first `limit` bytes of the file: for files whose start is what matters (a process's command line,
  /// whose program comes first), however long the rest.
  static func prefix(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
    try readAtMost(path, count: limit)
  }

  /// The file's bytes up to its end or `count` bytes, whichever comes first, read in chunks so that a small file
  /// costs no more than its size.
  private static func readAtMost(_ path: String, count: Int) throws(Failure) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .system(errno) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: min(16_384, count))
    while bytes.count < count {
      let wanted = min(chunk.count, count - bytes.count)
      let read = chunk.withUnsafeMutableBytes { readDescriptor(descriptor, $0.baseAddress, wanted) }
      if read < 0 {
        if errno == EINTR { continue }
        throw .system(errno)
      }
      if read == 0 { break }
      bytes.append(contentsOf: chunk[0..<read])
    }
    return bytes
  }

  /// Whether `path` names an existing file (following symlinks), as `os.Stat` does for the docker CLI.
  static func exists(_ path: String) -> Bool {
    var information = stat()
    return stat(path, &information) == 0
  }
}

/// The C library's `read`, which `BoundedFile.read` hides inside the enum.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
  read(descriptor, buffer, count)
}
