import Dispatch
import Synchronization

/// Runs a blocking system call (`flock`, `waitpid`) on a thread of its own, never on one of Swift's cooperative
/// threads, and lets the awaiting task stop waiting when it is cancelled.
///
/// A blocked call cannot be interrupted; on cancellation the waiter is released at once and `abandoned` runs with
/// the call's result when the call finally returns (to close a descriptor, release a lock).
func awaitBlocking<T: Sendable>(
  label: String, _ call: @escaping @Sendable () -> T, abandoned: @escaping @Sendable (T) -> Void = { _ in }
) async -> T? {
  let slot = Mutex<BlockingSlot<T>>(.idle)
  return await withTaskCancellationHandler {
    await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
      let alreadyCancelled = slot.withLock { state -> Bool in
        if case .cancelled = state { return true }
        state = .waiting(continuation)
        return false
      }
      if alreadyCancelled {
        continuation.resume(returning: nil)
        return
      }
      DispatchQueue(label: label).async {
        let result = call()
        let waiter = slot.withLock { state -> CheckedContinuation<T?, Never>? in
          defer { state = .finished }
          if case .waiting(let continuation) = state { return continuation }
          return nil
        }
        if let waiter { waiter.resume(returning: result) } else { abandoned(result) }
      }
    }
  } onCancel: {
    let waiter = slot.withLock { state -> CheckedContinuation<T?, Never>? in
      defer { if case .finished = state {} else { state = .cancelled } }
      if case .waiting(let continuation) = state { return continuation }
      return nil
    }
    waiter?.resume(returning: nil)
  }
}

private enum BlockingSlot<T: Sendable>: Sendable {
  case idle
  case waiting(CheckedContinuation<T?, Never>)
  case cancelled
  case finished
}
