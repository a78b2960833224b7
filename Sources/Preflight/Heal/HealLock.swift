#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One heal at a time on this host: an exclusive `flock` on `heal.lock` in the runtime directory.
///
/// The descriptor is close-on-exec, so that a daemon a heal starts cannot inherit the lock and hold it forever; the
/// kernel drops the lock when a holder dies, so a crashed heal never wedges the next one.
public final class HealLock: Sendable {
  public let path: String
  /// Another heal held the lock and we waited for it to finish.
  public let waited: Bool
  private let descriptor: Int32

  private init(path: String, descriptor: Int32, waited: Bool) {
    self.path = path
    self.descriptor = descriptor
    self.waited = waited
  }

  /// Takes the lock, waiting (on a thread of its own, cancellably) while another heal holds it.
  /// `onWait` runs once when the lock is busy, before waiting.
  public static func acquire(
    in directory: String, onWait: @Sendable (String) async -> Void = { _ in }
  ) async throws(PreflightError) -> HealLock {
    try makePrivateDirectory(directory)
    let path = "\(directory)/heal.lock"
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard descriptor >= 0 else {
      throw .stateUnavailable(path: path, reason: "cannot open the heal lock: \(errnoText())")
    }
    if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
      return HealLock(path: path, descriptor: descriptor, waited: false)
    }
    guard errno == EWOULDBLOCK else {
      let reason = errnoText()
      close(descriptor)
      throw .stateUnavailable(path: path, reason: "cannot lock: \(reason)")
    }
    await onWait(path)
    let result = await awaitBlocking(label: "heal-lock") {
      while flock(descriptor, LOCK_EX) != 0 {
        if errno != EINTR { return errno }
      }
      return 0
    } abandoned: { _ in
      close(descriptor)
    }
    guard let result else {
      // Cancelled while waiting: the waiting thread closes the descriptor when flock returns.
      throw .stateUnavailable(path: path, reason: "cancelled while waiting for another heal")
    }
    guard result == 0 else {
      close(descriptor)
      throw .stateUnavailable(path: path, reason: "cannot lock: \(String(cString: strerror(result)))")
    }
    return HealLock(path: path, descriptor: descriptor, waited: true)
  }

  public func release() {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
