#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The few questions detection asks of the file system, answered with POSIX calls (no Foundation: start-up time
/// matters for a one-shot `check`).
public enum HostFiles {
  public enum Kind: Sendable, Hashable {
    case missing, file, directory, socket, other
  }

  /// What is at `path`, following symbolic links.
  public static func kind(_ path: String) -> Kind {
    var info = stat()
    guard stat(path, &info) == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    case S_IFSOCK: return .socket
    default: return .other
    }
  }

  public static func exists(_ path: String) -> Bool { kind(path) != .missing }
  public static func isDirectory(_ path: String) -> Bool { kind(path) == .directory }

  /// A regular file this process may execute.
  public static func isExecutableFile(_ path: String) -> Bool {
    kind(path) == .file && access(path, X_OK) == 0
  }

  /// The names in a directory, sorted, without `.` and `..`; empty when it cannot be read.
  public static func entries(of directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// A file's bytes, or `nil` when it cannot be read or is larger than `limit`. Works for /proc files, whose size
  /// reads as 0.
  public static func contents(of path: String, limit: Int = 1 << 20) -> [UInt8]? {
    try? BoundedFile.read(path, limit: limit)
  }

  /// The first `limit` bytes of a file (all of it when shorter), or `nil` when it cannot be read.
  public static func prefix(of path: String, limit: Int) -> [UInt8]? {
    try? BoundedFile.prefix(path, limit: limit)
  }

  /// A file's text, trimmed of surrounding white space.
  public static func text(of path: String) -> String? {
    contents(of: path).map { String(decoding: $0, as: UTF8.self).trimmingWhitespace }
  }

  /// Where a symbolic link points (one level), or `nil` if `path` is not a link.
  public static func symlinkTarget(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The path without `.` components, repeated or trailing slashes; `..` resolved textually (as the kernel would for
  /// a path without links before it). A relative path stays relative (`.` when nothing is left).
  public static func normalizedPath(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      switch part {
      case ".": continue
      case "..": if !parts.isEmpty { parts.removeLast() }
      default: parts.append(part)
      }
    }
    // Joined by hand: the standard library's unspecialized `joined(separator:)` looks up `[Substring]: Collection`
    // at run time, a scan of every conformance record, after the engine's last answer in a one-shot `check`.
    var joined = path.hasPrefix("/") ? "/" : ""
    for (index, part) in parts.enumerated() {
      if index > 0 { joined.append("/") }
      joined.append(contentsOf: part)
    }
    return joined.isEmpty ? "." : joined
  }

  /// The path with every symbolic link resolved, or `nil` if it does not exist.
  public static func resolved(_ path: String) -> String? {
    guard let pointer = realpath(path, nil) else { return nil }
    defer { free(pointer) }
    return String(cString: pointer)
  }
}
