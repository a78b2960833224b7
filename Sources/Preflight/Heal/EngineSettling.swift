import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Before a heal starts an engine: an engine process that is still there (stopping, or starting) is given time to
/// exit or to answer, and one that something supervises (systemd's `Restart=`, Docker Desktop, a restart in
/// progress) is given time to come back by itself. A second engine is never started beside a live one.
///
/// Everything here waits on events: a pidfd for a process's exit, the socket's directory for the engine's return.
struct EngineSettling: Sendable {
  var endpoint: Endpoint
  var locator: EngineProcessLocator
  var readiness: any ReadinessChecking
  /// How long a live engine process may take to exit or to answer: dockerd's own shutdown waits up to 15 s.
  var exitWindow: Duration = .seconds(15)
  /// How long a supervisor may take to start the engine again after it exited.
  var supervisorGrace: Duration = .seconds(5)
  /// The service manager that restarts this engine when it dies (`systemd (docker.service)`), whose engines are
  /// init's children: then a parent of pid 1 is a supervisor too.
  var serviceManager: String?
  /// The programs that start or restart this engine, whose runs in progress are waited for.
  var restartPrograms: Set<String> = []

  enum Result: Sendable {
    /// The engine answers again without us: the report, and what brought it back.
    case ready(HealthReport, String)
    /// Nothing is left running: go on and start it.
    case clear
    /// This process runs but neither exits nor answers: starting another would fight it over its files.
    case stuck(EngineProcess)
  }

  /// `last` is the engine process last seen serving the endpoint, when one was.
  func settle(
    last: EngineRecord?, deadline: ContinuousClock.Instant, note: @Sendable (String) async -> Void
  ) async -> Result {
    var parents: [Int] = last.map { [$0.parentPid] } ?? []
    // Three rounds at most: exit, a supervisor's restart, and the restarted engine's start.
    for _ in 0..<3 {
      if let restart = locator.restartsInProgress(among: restartPrograms).first {
        let window = min(exitWindow, max(deadline - .now, .zero))
        let command = restart.arguments.joined(separator: " ")
        await note("\(command) (pid \(restart.pid)) is in progress: waiting up to \(DurationText.format(window))")
        let procRoot = locator.host.procRoot
        let readiness = readiness
        let endpoint = endpoint
        let ending = await firstOf(
          { await readiness.waitUntilReady(endpoint, timeout: window).map(Ending.ready) ?? .timedOut },
          { await ProcessExitWatch.waitForExit(restart.pid, timeout: window, procRoot: procRoot) ? .exited : .timedOut }
        )
        if case .ready(let report) = ending { return .ready(report, "the engine came back by \(command)") }
      }
      let live = locator.find()
      if live.isEmpty {
        guard let supervisor = parents.lazy.compactMap(supervisor).first else { return .clear }
        parents = []
        let grace = min(supervisorGrace, max(deadline - .now, .zero))
        await note(
          "the engine exited; \(supervisor), which ran it, still runs: giving it \(DurationText.format(grace)) to "
            + "start the engine again")
        if let report = await readiness.waitUntilReady(endpoint, timeout: grace) {
          return .ready(report, "the engine came back by itself (restarted by \(supervisor))")
        }
        continue
      }
      let window = min(exitWindow, max(deadline - .now, .zero))
      let names = live.map(\.description).joined(separator: ", ")
      await note("\(names) still running: waiting up to \(DurationText.format(window)) for it to exit or answer")
      parents = live.map(\.status.parentPid)
      let pids = live.map(\.pid)
      let procRoot = locator.host.procRoot
      let endpoint = endpoint
      let readiness = readiness
      let ending = await firstOf(
        { await readiness.waitUntilReady(endpoint, timeout: window).map(Ending.ready) ?? .timedOut },
        {
          for pid in pids where !(await ProcessExitWatch.waitForExit(pid, timeout: window, procRoot: procRoot)) {
            return .timedOut
          }
          return .exited
        })
      switch ending {
      case .ready(let report): return .ready(report, "the engine answered again (\(names) was still running)")
      case .timedOut: return .stuck(live[0])
      case .exited: await note("\(names) exited")
      }
    }
    return .clear
  }

  private enum Ending: Sendable {
    case ready(HealthReport)
    case exited
    case timedOut
  }

  /// The parent, when it still runs and may start the engine again: the service manager for init's children where
  /// one manages the engine, else a live parent that is not init and not us (a heal's own launch).
  private func supervisor(_ parent: Int) -> String? {
    if parent == 1 { return serviceManager }
    guard parent > 1, parent != Int(getpid()),
      let status = ProcessStatus.read(pid: parent, procRoot: locator.host.procRoot), !status.hasExited
    else { return nil }
    return "\(status.name) (pid \(parent))"
  }
}
