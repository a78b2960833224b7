import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file an engine left behind when it stopped without cleaning up, and whether it is stale.
public struct Leftover: Sendable, Hashable, Codable {
  public enum Kind: String, Sendable, Hashable, Codable {
    /// dockerd's `--pidfile`: dockerd refuses to start while `/proc/PID` exists ("pid file found").
    case pidFile = "pidfile"
    /// containerd's pidfile in dockerd's exec root: dockerd adopts the containerd it names and waits for its socket.
    case containerdPidFile = "containerd-pidfile"
    /// The engine's socket, with nothing listening on it.
    case socket
  }

  public var kind: Kind
  public var path: String
  /// The pid the file names.
  public var pid: Int?
  /// Stale: nothing live stands behind it, and it may go. A live one is never touched.
  public var stale: Bool
  /// What proved it: `no process 5980`, `pid 5980 is a zombie`, `pid 5980 is sleep, not dockerd`, …
  public var reason: String
}

/// What a crashed engine leaves: pidfiles naming a pid that is gone, a zombie or another program; containerd's
/// pidfile in the same exec root; a socket nothing listens on. Decided from /proc and from `connect`, never from
/// what a log says.
public struct CrashLeftovers: Sendable {
  /// The engine's unix socket, when it has one.
  public var socket: String?
  /// dockerd's files (pidfile, exec root) as its command line gave them.
  public var daemons: [DockerdFiles]
  public var procRoot: String

  public init(socket: String?, daemons: [DockerdFiles], procRoot: String = "/proc") {
    self.socket = socket
    self.daemons = daemons
    self.procRoot = procRoot
  }

  /// Every leftover found, stale or live.
  public func survey() -> [Leftover] {
    var found: [Leftover] = []
    var seen: Set<String> = []
    for daemon in daemons {
      for (kind, path) in [
        (Leftover.Kind.pidFile, daemon.pidFile), (.containerdPidFile, daemon.containerdPidFile),
      ] where seen.insert(path).inserted {
        if let leftover = pidFileLeftover(kind, path: path) { found.append(leftover) }
      }
    }
    if let socket, SocketProbe.state(of: socket) == .stale {
      found.append(
        Leftover(
          kind: .socket, path: socket, pid: nil, stale: true,
          reason: "nothing listens on it (connection refused)"))
    }
    return found
  }

  private func pidFileLeftover(_ kind: Leftover.Kind, path: String) -> Leftover? {
    let program = kind == .containerdPidFile ? "containerd" : "dockerd"
    guard HostFiles.exists(path) else { return nil }
    guard let pid = PidFile.pid(in: path) else { return nil }  // no pid: dockerd ignores it too
    guard let status = ProcessStatus.read(pid: pid, procRoot: procRoot) else {
      return Leftover(kind: kind, path: path, pid: pid, stale: true, reason: "no process \(pid) is running")
    }
    if status.hasExited {
      return Leftover(
        kind: kind, path: path, pid: pid, stale: true,
        reason: "pid \(pid) is a zombie (\(status.name) exited; its parent has not reaped it)")
    }
    if status.name != program {
      return Leftover(
        kind: kind, path: path, pid: pid, stale: true,
        reason: "pid \(pid) is now \(status.name), not \(program) (the pid was reused)")
    }
    return Leftover(kind: kind, path: path, pid: pid, stale: false, reason: "\(program) (pid \(pid)) is running")
  }

  /// Removes one stale leftover; the error names the file and the errno.
  public func remove(_ leftover: Leftover) -> String? {
    guard leftover.stale else { return "\(leftover.path) is not stale: left alone" }
    // Looked at again just before: an engine started meanwhile may have written the file or taken the socket.
    let again: Leftover? =
      switch leftover.kind {
      case .socket: SocketProbe.state(of: leftover.path) == .stale ? leftover : nil
      case .pidFile, .containerdPidFile: pidFileLeftover(leftover.kind, path: leftover.path)
      }
    let unchanged = again.map { $0.stale && $0.pid == leftover.pid } ?? false
    guard unchanged else { return "\(leftover.path) changed while it was looked at: left alone" }
    if unlink(leftover.path) == 0 || errno == ENOENT { return nil }
    return "cannot remove \(leftover.path): \(String(cString: strerror(errno)))"
  }
}
