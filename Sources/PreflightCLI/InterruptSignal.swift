import Dispatch
import Preflight
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs work that SIGINT (Ctrl-C) or SIGTERM (a service manager, `kill`, an editor stopping its server) cancels, so
/// that a command ends in order — status line cleared, a started daemon left running, the action log told — instead
/// of dying mid-line. The signals arrive through dispatch sources, not C signal handlers, so reacting to them may do
/// anything.
enum InterruptSignal {
  /// The signals that stop a command in order.
  static let handled = [SIGINT, SIGTERM]

  /// Runs `operation` in a task that SIGINT and SIGTERM cancel; the handlers are in place before `operation` starts.
  /// Returns its result and the signal that arrived, if one did (also recorded in ``ProcessInterruption``). The
  /// dispositions the signals had before are restored afterwards: a later signal ends the process (or is ignored, as
  /// SIGINT is for a background job), and a program `exec` runs inherits them.
  static func cancelling<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async
    -> (result: Result<T, any Error>, signal: Int32?)
  {
    let state = Mutex(InterruptState<T>())
    let sources = await listen { signal in
      let task = state.withLock { state in
        state.signal = state.signal ?? signal
        return state.task
      }
      task?.cancel()
    }
    defer { stopListening(sources) }
    let task = Task { try await operation() }
    let interruptedEarly = state.withLock { state in
      state.task = task
      return state.signal != nil
    }
    if interruptedEarly { task.cancel() }
    let result = await task.result
    return (result, state.withLock { $0.signal })
  }

  /// Dispatch sources for the handled signals, and the dispositions to restore when they stop.
  struct Listening {
    fileprivate var sources: [any DispatchSourceSignal] = []
    fileprivate var inherited: [(signal: Int32, disposition: sighandler_t?)] = []
  }

  /// Calls `onSignal` for every SIGINT and SIGTERM until ``stopListening(_:)``; returns once the kernel delivers them
  /// to us (until then a signal would be lost to SIG_IGN).
  static func listen(_ onSignal: @escaping @Sendable (Int32) -> Void) async -> Listening {
    var listening = Listening()
    for signalNumber in handled {
      // The default action must be off for the dispatch source to see the signal instead of the process dying.
      listening.inherited.append((signalNumber, signal(signalNumber, SIG_IGN)))
      let source = DispatchSource.makeSignalSource(
        signal: signalNumber, queue: DispatchQueue(label: "docker-preflight.signal.\(signalNumber)"))
      source.setEventHandler {
        ProcessInterruption.record(signal: signalNumber)
        onSignal(signalNumber)
      }
      await withCheckedContinuation { continuation in
        source.setRegistrationHandler { continuation.resume() }
        source.resume()
      }
      listening.sources.append(source)
    }
    return listening
  }

  /// Cancels the sources and restores the dispositions the signals had before.
  static func stopListening(_ listening: Listening) {
    for source in listening.sources { source.cancel() }
    for (signalNumber, disposition) in listening.inherited { signal(signalNumber, disposition) }
  }
}

private struct InterruptState<T: Sendable> {
  var task: Task<T, any Error>?
  var signal: Int32?
}

extension ExitStatus {
  /// 128 + the signal, as a shell reports a process the signal ended: 130 for SIGINT, 143 for SIGTERM.
  static func interrupted(by signal: Int32) -> Int32 { 128 + signal }
}
