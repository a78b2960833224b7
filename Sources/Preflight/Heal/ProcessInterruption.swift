import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The signal that is stopping this process, once one arrived (SIGINT, SIGTERM), so that work cancelled because of
/// it can say so: a heal writes it in its `interrupted` line of the action log. Signals are the process's, so this
/// is too.
public enum ProcessInterruption {
  private static let received = Atomic<Int32>(0)

  /// Remembers `signal` (the first one wins); call it before cancelling the work.
  public static func record(signal: Int32) {
    _ = received.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
  }

  /// The signal recorded, if any.
  public static var signal: Int32? {
    let value = received.load(ordering: .relaxed)
    return value == 0 ? nil : value
  }

  /// `SIGTERM`, `SIGINT`, … for the few a process is stopped with; `signal N` for others.
  public static func name(of signal: Int32) -> String {
    switch signal {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    case SIGHUP: "SIGHUP"
    case SIGQUIT: "SIGQUIT"
    default: "signal \(signal)"
    }
  }
}
