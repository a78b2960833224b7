import Foundation

/// A process a test caused but did not spawn itself (a daemon a heal launched, now adopted by init): it can be
/// signalled by pid, and its exit awaited through a pidfd — an event, not a poll — since it is not our child.
public struct ForeignProcess: Sendable {
  public let pid: pid_t

  public init(pid: pid_t) { self.pid = pid }

  /// The process whose pid a pidfile holds, if the file exists and names one.
  public init?(pidFile: String) {
    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
    else { return nil }
    self.pid = pid
  }

  public var isRunning: Bool { kill(pid, 0) == 0 }

  /// SIGTERM, then SIGKILL after `grace`; returns once it is gone.
  public func stop(grace: Duration = .seconds(15)) async {
    guard isRunning else { return }
    kill(pid, SIGTERM)
    if await waitForExit(timeout: grace) { return }
    kill(pid, SIGKILL)
    _ = await waitForExit(timeout: .seconds(10))
  }

  /// Whether it exited within `timeout`.
  public func waitForExit(timeout: Duration) async -> Bool {
    guard let open = ChildProcess.pidfdOpen else { return !isRunning }
    let descriptor = open(pid, 0)
    guard descriptor >= 0 else { return true }  // ESRCH: already gone
    let milliseconds = Int32(
      clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    return await withCheckedContinuation { continuation in
      DispatchQueue(label: "pidfd.\(pid)").async {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        var ready: Int32
        repeat { ready = poll(&entry, 1, milliseconds) } while ready < 0 && errno == EINTR
        close(descriptor)
        continuation.resume(returning: ready > 0)
      }
    }
  }
}
