import EngineKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A program launched to outlive us: a daemon (`dockerd`) or an application (Docker Desktop through WSL interop).
///
/// It gets a session of its own (no controlling terminal, so no SIGHUP when ours goes), stdin from /dev/null, stdout
/// and stderr appended to its log file, no other descriptor of ours (a protocol pipe or the heal lock inherited by a
/// daemon would stay open for its whole life), and a clean signal mask. While we run, a thread of its own waits for
/// it, so that an early exit is noticed at once and no zombie is left; after we exit, init adopts it.
final class DetachedProcess: Sendable {
  let pid: pid_t
  private let exit = ExitStatusBox()

  private init(pid: pid_t) { self.pid = pid }

  /// Starts `path` with `argv` (argv[0] as given), appending its output to `logFile`.
  static func launch(path: String, argv: [String], logFile: String) -> Result<DetachedProcess, LaunchFailure> {
    let log = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard log >= 0 else {
      return .failure(LaunchFailure(reason: "cannot open the log file \(logFile): \(errnoText())"))
    }
    defer { close(log) }

    #if canImport(Glibc)
      var actions = posix_spawn_file_actions_t()
      var attributes = posix_spawnattr_t()
    #else
      var actions: posix_spawn_file_actions_t? = nil
      var attributes: posix_spawnattr_t? = nil
    #endif
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, log, 1)
    posix_spawn_file_actions_adddup2(&actions, log, 2)
    #if canImport(Glibc)
      SpawnActions.closeDescriptors(from: 3, in: &actions)
    #endif

    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | spawnNewSession))

    let arguments = argv.map { strdup($0) } + [nil]
    defer { arguments.forEach { free($0) } }
    var spawned: pid_t = 0
    let result = posix_spawn(&spawned, path, &actions, &attributes, arguments, environ)
    guard result == 0 else {
      return .failure(LaunchFailure(reason: "\(argv[0]): cannot start: \(String(cString: strerror(result)))"))
    }
    let pid = spawned
    let process = DetachedProcess(pid: pid)
    let exit = process.exit
    Task.detached {
      let status = await awaitBlocking(label: "waitpid.\(pid)") { () -> Int32 in
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
          if errno != EINTR { return -1 }
        }
        return status
      }
      if let status { exit.set(status) }
    }
    return .success(process)
  }

  /// The raw wait status once it has exited; `nil` if the calling task is cancelled first.
  func waitForExit() async -> Int32? { await exit.wait() }
}

struct LaunchFailure: Error, Sendable {
  let reason: String
}

#if canImport(Glibc)
  /// glibc's POSIX_SPAWN_SETSID (2.26+), hidden behind _GNU_SOURCE in the header.
  private let spawnNewSession: Int32 = 0x80
#else
  private let spawnNewSession = POSIX_SPAWN_SETSID
#endif

/// A wait status delivered to any number of waiters, each of which may give up.
final class ExitStatusBox: Sendable {
  private struct State {
    var status: Int32?
    var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
    var nextWaiter = 0
  }
  private let state = Mutex(State())

  func set(_ status: Int32) {
    let waiters = state.withLock { state in
      state.status = status
      defer { state.waiters.removeAll() }
      return Array(state.waiters.values)
    }
    for waiter in waiters { waiter.resume(returning: status) }
  }

  func wait() async -> Int32? {
    let id = state.withLock { state in
      defer { state.nextWaiter += 1 }
      return state.nextWaiter
    }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let ready = state.withLock { state -> Int32?? in
          if let status = state.status { return .some(status) }
          if Task.isCancelled { return .some(nil) }
          state.waiters[id] = continuation
          return .none
        }
        if case .some(let value) = ready { continuation.resume(returning: value) }
      }
    } onCancel: {
      state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
    }
  }
}

extension Int32 {
  /// WIFEXITED/WEXITSTATUS/WTERMSIG, which Swift does not import: the exit code, or 128 + the signal number.
  var shellExitCode: Int {
    let signal = self & 0x7f
    return signal == 0 ? Int((self >> 8) & 0xff) : 128 + Int(signal)
  }
}
