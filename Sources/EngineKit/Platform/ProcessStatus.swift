#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One process as `/proc/PID/stat` describes it: whether it still runs, who its parent is, and since when.
///
/// A pid alone proves little: a crashed daemon lingers as a zombie until its parent (often init) reaps it, and
/// `kill(pid, 0)` and dockerd's own pidfile check (`/proc/PID` exists) both take a zombie for a live process; after
/// a reboot the pid may belong to another program.
public struct ProcessStatus: Sendable, Hashable {
  public var pid: Int
  /// The kernel's state letter: `R` running, `S`/`D` sleeping, `T`/`t` stopped, `Z` zombie, `X` dead.
  public var state: Character
  public var parentPid: Int
  /// The executable's name as the kernel keeps it (`comm`, at most 15 bytes).
  public var name: String
  /// When it started, in clock ticks since boot.
  public var startTicks: UInt64

  public init(pid: Int, state: Character, parentPid: Int, name: String, startTicks: UInt64) {
    self.pid = pid
    self.state = state
    self.parentPid = parentPid
    self.name = name
    self.startTicks = startTicks
  }

  /// Exited: a zombie awaiting its reaper, or dead.
  public var hasExited: Bool { state == "Z" || state == "X" }
  /// Stopped by a signal (SIGSTOP, SIGTSTP) or a tracer: it answers nothing until continued.
  public var isStopped: Bool { state == "T" || state == "t" }

  /// The status of `pid` under `procRoot`; `nil` when there is no such process (or no /proc).
  public static func read(pid: Int, procRoot: String = "/proc") -> ProcessStatus? {
    guard pid > 0, let bytes = HostFiles.prefix(of: "\(procRoot)/\(pid)/stat", limit: 4096) else { return nil }
    return parse(String(decoding: bytes, as: UTF8.self), pid: pid)
  }

  /// `PID (comm) S PPID …`: the name may hold spaces and parentheses, so the fields start after the last `)`.
  public static func parse(_ text: String, pid: Int) -> ProcessStatus? {
    guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
    let name = String(text[text.index(after: open)..<close])
    let fields = text[text.index(after: close)...].split(separator: " ")
    // After the name: state (3), ppid (4), … starttime (22): indices 0, 1 and 19 here.
    guard fields.count > 19, let state = fields[0].first, let parent = Int(fields[1]),
      let start = UInt64(fields[19])
    else { return nil }
    return ProcessStatus(pid: pid, state: state, parentPid: parent, name: name, startTicks: start)
  }

  /// How long it has run, from its start time and the system's uptime; `nil` where /proc does not say.
  public func age(procRoot: String = "/proc") -> Duration? {
    guard let text = HostFiles.text(of: "\(procRoot)/uptime"),
      let uptime = Double(text.split(separator: " ").first ?? "")
    else { return nil }
    let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    guard ticksPerSecond > 0 else { return nil }
    return .milliseconds(Int64(max(0, uptime - Double(startTicks) / ticksPerSecond) * 1000))
  }

  /// Whether `pid` is a process that has not exited.
  public static func isAlive(_ pid: Int, procRoot: String = "/proc") -> Bool {
    guard let status = read(pid: pid, procRoot: procRoot) else { return false }
    return !status.hasExited
  }
}
