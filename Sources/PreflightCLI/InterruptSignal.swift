import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs work that SIGINT (Ctrl-C) cancels, so that a command ends in order (status line cleared, a word said,
/// exit 130) instead of dying mid-line. The signal arrives through a dispatch source, not a C signal handler, so
/// reacting to it may do anything.
enum InterruptSignal {
  /// Runs `operation` in a task that SIGINT cancels; the handler is in place before `operation` starts. Returns its
  /// result and whether SIGINT arrived. The disposition SIGINT had before is restored afterwards: a later Ctrl-C
  /// ends the process (or is ignored, as it was for a background job), and a program `exec` runs inherits it.
  static func cancelling<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async
    -> (result: Result<T, any Error>, interrupted: Bool)
  {
    let state = Mutex(InterruptState<T>())
    // The default action must be off for the dispatch source to see the signal instead of the process dying.
    let inherited = signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "docker-preflight.sigint"))
    source.setEventHandler {
      let task = state.withLock { state in
        state.interrupted = true
        return state.task
      }
      task?.cancel()
    }
    // The source reaches the kernel asynchronously: until it has, a SIGINT would be lost to SIG_IGN.
    await withCheckedContinuation { continuation in
      source.setRegistrationHandler { continuation.resume() }
      source.resume()
    }
    defer {
      source.cancel()
      signal(SIGINT, inherited)
    }
    let task = Task { try await operation() }
    let interruptedEarly = state.withLock { state in
      state.task = task
      return state.interrupted
    }
    if interruptedEarly { task.cancel() }
    let result = await task.result
    return (result, state.withLock { $0.interrupted })
  }
}

private struct InterruptState<T: Sendable> {
  var task: Task<T, any Error>?
  var interrupted = false
}
