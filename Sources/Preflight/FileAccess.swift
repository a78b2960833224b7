import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Small file operations the domain needs, without Foundation.

/// Reads a whole file, refusing one larger than `limit`.
func readFile(_ path: String, limit: Int) -> Result<[UInt8], Errno> {
  do {
    let descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
    defer { try? descriptor.close() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
      if count == 0 { return .success(bytes) }
      bytes += chunk[..<count]
      if bytes.count > limit { return .failure(.fileTooLarge) }
    }
  } catch let error as Errno {
    return .failure(error)
  } catch {
    return .failure(.ioError)
  }
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

func readText(_ path: String) -> String? {
  guard case .success(let bytes) = readFile(path, limit: 64 << 10) else { return nil }
  return String(decoding: bytes, as: UTF8.self)
}

func fileSize(_ path: String) -> Int {
  var status = stat()
  return stat(path, &status) == 0 ? Int(status.st_size) : 0
}

/// The end of what a log file gained since `offset`.
func logExcerpt(_ path: String, from offset: Int, limit: Int = 4096) -> String {
  guard let descriptor = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec]) else { return "" }
  defer { try? descriptor.close() }
  return textTail(of: descriptor, from: offset, limit: limit)
}

/// The last `limit` bytes of a file after `offset`, as text without trailing blanks; `…` marks a cut.
func textTail(of descriptor: FileDescriptor, from offset: Int = 0, limit: Int) -> String {
  var status = stat()
  guard fstat(descriptor.rawValue, &status) == 0 else { return "" }
  let size = Int(status.st_size)
  guard size > offset else { return "" }
  let start = max(offset, size - limit)
  var bytes = [UInt8](repeating: 0, count: size - start)
  let count = bytes.withUnsafeMutableBytes { buffer in
    (try? descriptor.read(fromAbsoluteOffset: Int64(start), into: buffer)) ?? 0
  }
  var text = String(decoding: bytes[..<count], as: UTF8.self)
  while let last = text.last, last.isWhitespace { text.removeLast() }
  return start > offset ? "…" + text : text
}

/// Creates `path` (and its parents) as a directory only we can use; an existing one must be ours and not a
/// symbolic link, since /tmp is shared with everyone.
func makePrivateDirectory(_ path: String) throws(PreflightError) {
  var prefix = ""
  for component in path.split(separator: "/") {
    prefix += "/\(component)"
    if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
      throw .stateUnavailable(path: prefix, reason: "cannot create directory: \(errnoText())")
    }
  }
  var status = stat()
  guard lstat(path, &status) == 0 else { throw .stateUnavailable(path: path, reason: errnoText()) }
  guard status.st_mode & S_IFMT == S_IFDIR, status.st_uid == geteuid() else {
    throw .stateUnavailable(path: path, reason: "is not a directory owned by uid \(geteuid())")
  }
}

/// Writes `bytes` (mode 0600) to a temporary file beside `path` and renames it into place, so that a reader never
/// sees half of it; `false` when it could not.
@discardableResult
func replaceFile(_ path: String, with bytes: [UInt8]) -> Bool {
  let temporary = "\(path).\(getpid())"
  let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
  guard descriptor >= 0 else { return false }
  let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
  close(descriptor)
  if written == bytes.count && rename(temporary, path) == 0 { return true }
  unlink(temporary)
  return false
}

func errnoText() -> String { String(cString: strerror(errno)) }
