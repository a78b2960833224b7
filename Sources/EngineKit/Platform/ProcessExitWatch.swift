import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Awaits the exit of a process that is not our child (a daemon init adopted, a service's engine) as an event: a
/// pidfd becomes readable the moment the process exits, zombie or not. Where pidfds are missing (Linux before 5.3,
/// macOS) it looks again on a back-off, bounded by the timeout.
public enum ProcessExitWatch {
  /// Whether `pid` exited (or was never there) within `timeout`; `false` as well when the task is cancelled first.
  public static func waitForExit(_ pid: Int, timeout: Duration, procRoot: String = "/proc") async -> Bool {
    #if canImport(Glibc)
      if let open = pidfdOpen {
        let descriptor = open(pid_t(pid), 0)
        guard descriptor >= 0 else { return errno == ESRCH }
        let exited = await readable(descriptor, timeout: timeout)
        // A zombie's pidfd is readable at once: exited, whatever its reaper does.
        return exited
      }
    #endif
    let deadline = ContinuousClock.now + timeout
    var delay = Duration.milliseconds(10)
    while ProcessStatus.isAlive(pid, procRoot: procRoot) {
      guard ContinuousClock.now < deadline, (try? await Task.sleep(for: delay)) != nil else { return false }
      delay = min(delay * 2, .milliseconds(250))
    }
    return true
  }

  #if canImport(Glibc)
    /// glibc's `pidfd_open` (2.36), which Swift's Glibc module does not import.
    static let pidfdOpen: (@convention(c) (pid_t, UInt32) -> Int32)? = CLibrary.symbol("pidfd_open")

    /// Polls `descriptor` for input on a thread of its own, in slices, so that cancellation is noticed; closes it.
    private static func readable(_ descriptor: Int32, timeout: Duration) async -> Bool {
      let deadline = ContinuousClock.now + timeout
      defer { close(descriptor) }
      while true {
        let left = deadline - ContinuousClock.now
        if left <= .zero || Task.isCancelled { return false }
        let slice = Int32(
          min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 200))
        let ready = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
          DispatchQueue.global().async {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            var result: Int32
            repeat { result = poll(&entry, 1, slice) } while result < 0 && errno == EINTR
            continuation.resume(returning: result > 0)
          }
        }
        if ready { return true }
      }
    }
  #endif
}
