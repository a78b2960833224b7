#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A brief memory that the engine at an endpoint answered, so that the docker-path shim, called many times a second
/// by a Dev Containers CLI, asks the engine once every few seconds instead of before every `docker` command.
///
/// One small file per endpoint (`ready-<hash>`, holding the endpoint's address) in the runtime directory
/// (`$XDG_RUNTIME_DIR/docker-preflight`, or `/tmp/docker-preflight-<uid>`); its modification time is when the engine
/// last answered. Only a positive answer is remembered, and only for ``lifetime``. The files are created 0600 in a
/// 0700 directory, and trusted only when both are ours, not symbolic links, not reachable by group or others, and the
/// file names the endpoint asked about: another user who could plant a file there could make the shim skip a check,
/// nothing more, but even that is refused.
public struct ReadinessCache: Sendable {
  public var directory: String
  public var lifetime: Duration

  /// Long enough to cover the burst of `docker` calls a `devcontainer up` makes, short enough that an engine that
  /// stops is noticed on the next command a few seconds later.
  public static let defaultLifetime = Duration.seconds(3)

  public init(directory: String, lifetime: Duration = defaultLifetime) {
    self.directory = directory
    self.lifetime = lifetime
  }

  public init(paths: PreflightPaths, lifetime: Duration = defaultLifetime) {
    self.init(directory: paths.runtimeDirectory, lifetime: lifetime)
  }

  /// The file that remembers `host`: named after a hash of it (addresses can be long and hold `/`).
  public func path(for host: String) -> String {
    // FNV-1a: a file name, not a secret; the file's contents say which endpoint it is for.
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in host.utf8 {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return "\(directory)/ready-\(String(repeating: "0", count: 16 - hex.count))\(hex)"
  }

  /// Whether the engine at `host` answered less than ``lifetime`` ago, by a record this user made.
  public func isFresh(_ host: String) -> Bool {
    guard isPrivateDirectory(directory) else { return false }
    let descriptor = open(path(for: host), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid(),
      status.st_mode & 0o077 == 0, status.st_nlink == 1
    else { return false }
    let age = Self.now() - Self.modificationTime(status)
    // A record from the future (the clock was set back) is not trusted either.
    guard age >= .zero, age < lifetime else { return false }
    let expected = Array(host.utf8)
    var contents = [UInt8](repeating: 0, count: expected.count + 1)
    let count = contents.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    return count == expected.count && Array(contents.prefix(count)) == expected
  }

  /// Remembers that the engine at `host` answered just now. Failing to remember is not an error: the next call asks
  /// the engine again.
  public func recordReady(_ host: String) {
    guard (try? makePrivateDirectory(directory)) != nil else { return }
    // Ours (makePrivateDirectory checked): make sure nobody else can reach into it.
    chmod(directory, 0o700)
    replaceFile(path(for: host), with: Array(host.utf8))
  }

  /// Forgets `host`: the engine was seen down.
  public func forget(_ host: String) {
    unlink(path(for: host))
  }

  private func isPrivateDirectory(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR && status.st_uid == geteuid()
      && status.st_mode & 0o077 == 0
  }

  private static func now() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
  }

  private static func modificationTime(_ status: stat) -> Duration {
    #if canImport(Darwin)
      .seconds(status.st_mtimespec.tv_sec) + .nanoseconds(status.st_mtimespec.tv_nsec)
    #else
      .seconds(status.st_mtim.tv_sec) + .nanoseconds(status.st_mtim.tv_nsec)
    #endif
  }
}
