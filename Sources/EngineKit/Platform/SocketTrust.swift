#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whether a unix socket path can be trusted to lead to the engine its owner meant: nobody but root and the current
/// user can have put the socket (or a symbolic link on the way to it) there, or can swap it for another.
///
/// Whoever can replace the socket can answer in the engine's place: lie to a diagnosis, or collect what the docker CLI
/// sends (registry credentials on `docker push`). So every link on the way and every directory above the socket must
/// belong to root or to us, and no directory may be writable by others unless its sticky bit keeps them from renaming
/// what they do not own (/tmp). A socket anyone may write to is reported too: every local user can then drive the
/// engine, which for a rootful engine means root.
public struct SocketTrust: Sendable, Hashable {
  /// One reason not to trust the path.
  public enum Problem: Sendable, Hashable, CustomStringConvertible {
    /// The socket file (or a link on the way) belongs to another user, who could have made it answer anything.
    case ownedByOtherUser(path: String, uid: UInt32)
    /// A directory on the way belongs to another user, who could replace what is in it.
    case directoryOwnedByOtherUser(path: String, uid: UInt32)
    /// A directory on the way that others may write to, without the sticky bit: anyone can replace the socket.
    case directoryWritableByOthers(path: String, mode: UInt32)
    /// Anyone may connect to the socket (mode `o+w`), so every local user can drive the engine.
    case socketWritableByOthers(path: String, mode: UInt32)
    /// More symbolic links than ``SocketTrust/maxSymlinks`` (or a loop).
    case tooManySymlinks(path: String)

    /// Whether someone else could put another listener in the engine's place (as opposed to only use the engine).
    public var allowsReplacement: Bool {
      if case .socketWritableByOthers = self { return false }
      return true
    }

    public var description: String {
      switch self {
      case .ownedByOtherUser(let path, let uid):
        "\(path) belongs to \(SocketTrust.userName(uid)), not to root or to you"
      case .directoryOwnedByOtherUser(let path, let uid):
        "the directory \(path) belongs to \(SocketTrust.userName(uid)), who could replace the socket"
      case .directoryWritableByOthers(let path, let mode):
        "the directory \(path) is writable by other users (mode \(SocketTrust.octal(mode))) without the sticky bit: "
          + "anyone can replace the socket"
      case .socketWritableByOthers(let path, let mode):
        "the socket \(path) is writable by every user (mode \(SocketTrust.octal(mode))): anyone here can drive the "
          + "engine"
      case .tooManySymlinks(let path):
        "\(path) goes through more than \(SocketTrust.maxSymlinks) symbolic links"
      }
    }
  }

  /// The path as given.
  public var path: String
  /// Every symbolic link followed on the way, in order (as written in the links).
  public var symlinks: [String]
  /// Where the links lead; the path itself when there are none.
  public var resolvedPath: String
  /// Whether a socket exists at the end of the path (a missing one is judged by its directories).
  public var socketExists: Bool
  public var problems: [Problem]

  /// Links followed before giving up: the kernel's own limit is 40; a socket path has one or two at most.
  public static let maxSymlinks = 8

  /// Judges `path` for a process running as `userID` (the effective user).
  public static func assess(_ path: String, userID: UInt32 = geteuid()) -> SocketTrust {
    var trust = SocketTrust(path: path, symlinks: [], resolvedPath: path, socketExists: false, problems: [])
    var current = HostFiles.normalizedPath(path)
    var checkedDirectories: Set<String> = []
    func checkDirectory(_ directory: String) {
      guard checkedDirectories.insert(directory).inserted else { return }
      var status = stat()
      guard lstat(directory, &status) == 0 else { return }
      let mode = UInt32(status.st_mode)
      if status.st_uid != 0 && status.st_uid != userID {
        trust.problems.append(.directoryOwnedByOtherUser(path: directory, uid: status.st_uid))
      }
      // A linked directory (/var/run → /run): a link's own mode means nothing; where it leads is what counts.
      if status.st_mode & S_IFMT == S_IFLNK {
        if let target = HostFiles.resolved(directory) {
          checkDirectory(target)
          for ancestor in ancestors(of: target) { checkDirectory(ancestor) }
        }
        return
      }
      if writableByOthers(mode: mode, group: status.st_gid) && mode & UInt32(S_ISVTX) == 0 {
        trust.problems.append(.directoryWritableByOthers(path: directory, mode: mode & 0o7777))
      }
    }
    func checkDirectories(above file: String) {
      for directory in ancestors(of: file) { checkDirectory(directory) }
    }
    while true {
      checkDirectories(above: current)
      var status = stat()
      guard lstat(current, &status) == 0 else { break }
      if status.st_uid != 0 && status.st_uid != userID {
        trust.problems.append(.ownedByOtherUser(path: current, uid: status.st_uid))
      }
      guard status.st_mode & S_IFMT == S_IFLNK else {
        trust.socketExists = status.st_mode & S_IFMT == S_IFSOCK
        if trust.socketExists && status.st_mode & S_IWOTH != 0 {
          trust.problems.append(.socketWritableByOthers(path: current, mode: UInt32(status.st_mode) & 0o7777))
        }
        break
      }
      guard trust.symlinks.count < maxSymlinks, let target = HostFiles.symlinkTarget(current) else {
        trust.problems.append(.tooManySymlinks(path: path))
        break
      }
      trust.symlinks.append(target)
      current = HostFiles.normalizedPath(target.hasPrefix("/") ? target : directoryOf(current) + "/" + target)
    }
    trust.resolvedPath = current
    return trust
  }

  /// No problem that lets someone else stand in for the engine.
  public var isTrusted: Bool { !problems.contains(where: \.allowsReplacement) }

  /// The problems that let someone else stand in for the engine (for a daemon about to listen at the path: whoever
  /// could replace its socket could answer in its place).
  public var replacementProblems: [Problem] { problems.filter(\.allowsReplacement) }

  // MARK: - Helpers

  /// Writable by anyone but the owner: world-writable, or group-writable for a group other than root's and ours.
  static func writableByOthers(mode: UInt32, group: UInt32) -> Bool {
    if mode & UInt32(S_IWOTH) != 0 { return true }
    guard mode & UInt32(S_IWGRP) != 0 else { return false }
    return group != 0 && group != getegid()
  }

  /// `/a/b/c` → `/a/b`, `/a`, `/` (for a relative path, its directories down to `.`).
  static func ancestors(of path: String) -> [String] {
    var result: [String] = []
    var current = path
    while true {
      let parent = directoryOf(current)
      if parent == current { break }
      result.append(parent)
      current = parent
      if parent == "/" || parent == "." { break }
    }
    return result
  }

  static func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
  }

  static func octal(_ mode: UInt32) -> String { "0" + String(mode & 0o7777, radix: 8) }

  static func userName(_ uid: UInt32) -> String {
    guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
    return "\(String(cString: name)) (uid \(uid))"
  }
}
