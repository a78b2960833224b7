import EngineKit

/// An engine whose socket accepts connections but which does not answer `_ping` in time, told apart from one that
/// is still starting by its process (the socket's listener, from `SO_PEERCRED`): stopped by a signal, or running
/// for longer than an engine takes to start (``DiagnoseOptions/hungAfter``).
struct HungEngine: Sendable {
  var process: ProcessStatus
  var why: String

  /// The hung engine behind `error`, when that is what it is.
  static func assess(_ error: EngineError, endpoint: Endpoint, options: DiagnoseOptions) -> HungEngine? {
    guard error.kind == .timeout, let socket = endpoint.unixSocketPath, let pid = SocketPeer.listenerPid(at: socket),
      pid > 1, let process = ProcessStatus.read(pid: pid, procRoot: options.host.procRoot), !process.hasExited
    else { return nil }
    if process.isStopped {
      return HungEngine(process: process, why: "it is stopped (state \(process.state): SIGSTOP, or a debugger)")
    }
    guard let age = process.age(procRoot: options.host.procRoot), age >= options.hungAfter else { return nil }
    return HungEngine(
      process: process,
      why: "it has run for \(DurationText.format(age)), longer than an engine takes to start "
        + "(hungAfter: \(DurationText.format(options.hungAfter)))")
  }

  func issue(_ endpoint: Endpoint, timeout: Duration) -> HealthReport.Issue {
    HealthReport.Issue(
      code: "engine-hung",
      message:
        "the engine at \(endpoint.host) accepts connections but did not answer _ping within "
        + "\(DurationText.format(timeout)): \(process.name) (pid \(process.pid)) is hung; \(why)",
      recommendation:
        "Restart it: docker-preflight heal restarts a hung engine (with consent), by its provider's restart "
        + "command or by stopping pid \(process.pid) and starting it again")
  }
}
