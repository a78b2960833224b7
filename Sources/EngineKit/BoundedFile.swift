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
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .system(errno) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
      let count = chunk.withUnsafeMutableBytes { readDescriptor(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw .system(errno)
      }
      if count == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<count])
      if bytes.count > limit { throw .tooLarge(limit: limit) }
    }
  }

  /// At most the first `limit` bytes of the file: for files whose start is what matters (a process's command line,
  /// whose program comes first), however long the rest.
  static func prefix(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .system(errno) }
    defer { close(descriptor) }
    var bytes = [UInt8](repeating: 0, count: limit)
    var filled = 0
    while filled < limit {
      let count = bytes.withUnsafeMutableBytes { readDescriptor(descriptor, $0.baseAddress! + filled, limit - filled) }
      if count < 0 {
        if errno == EINTR { continue }
        throw .system(errno)
      }
      if count == 0 { break }
      filled += count
    }
    return Array(bytes[..<filled])
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
