import EngineKit
import Synchronization
import TestSupport
import Testing

@testable import Preflight

@Suite("ReadinessWaiter")
struct ReadinessWaiterTests {
  @Test("a wait begun before the daemon sees its socket appear and ends ready, phases in order")
  func readyAfterStart() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let events = EventRecorder<ReadinessEvent>()
    let waiter = ReadinessWaiter(diagnoser: try Diagnoser(socketIn: directory), timeout: .seconds(60))
    let clock = ContinuousClock()
    let started = clock.now
    let wait = Task { try await waiter.wait { events.append($0) } }
    let daemon = try await startDaemon(in: directory, after: .seconds(1), cancellingOnFailure: wait)
    let result = await wait.result
    let measured = clock.now - started
    await daemon.stop()
    let outcome = try result.get()
    #expect(outcome.ready)
    #expect(outcome.report.healthy)
    #expect(outcome.elapsed >= .seconds(1) && outcome.elapsed <= measured)
    let phases = events.values.compactMap(\.phase)
    #expect(phases.first == .socketMissing)
    #expect(phases.contains(.socketPresent))
    #expect(phases.last == .ready)
    // Elapsed times grow with the events.
    #expect(events.values.map(\.elapsed) == events.values.map(\.elapsed).sorted())
  }

  @Test("a missing socket gives up at the deadline with the report saying why")
  func timeout() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let events = EventRecorder<ReadinessEvent>()
    let clock = ContinuousClock()
    let started = clock.now
    let outcome = try await ReadinessWaiter(diagnoser: try Diagnoser(socketIn: directory), timeout: .milliseconds(300))
      .wait { events.append($0) }
    #expect(!outcome.ready)
    #expect(outcome.ending == .timedOut)
    #expect(outcome.elapsed >= .milliseconds(300))
    // The bound proves the wait ends, not a speed: the machine is shared (seconds-long stalls seen under load).
    #expect(clock.now - started < .seconds(30))
    #expect(outcome.report.issues.first?.code == "socket-missing")
    #expect(events.values.compactMap(\.phase) == [.socketMissing])
  }

  @Test("a stale socket is 'refused' until the deadline")
  func refused() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try StaleSocket.create(at: directory.file("docker.sock"))
    let events = EventRecorder<ReadinessEvent>()
    let outcome = try await ReadinessWaiter(diagnoser: try Diagnoser(socketIn: directory), timeout: .milliseconds(300))
      .wait { events.append($0) }
    #expect(outcome.ending == .timedOut)
    #expect(events.values.compactMap(\.phase) == [.refused])
    #expect(outcome.report.issues.first?.code == "connection-refused")
  }

  @Test("cancelling the task ends the wait at once", arguments: [false, true])
  func cancellation(staleSocket: Bool) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    if staleSocket { try StaleSocket.create(at: directory.file("docker.sock")) }
    let events = EventRecorder<ReadinessEvent>()
    let waiter = ReadinessWaiter(diagnoser: try Diagnoser(socketIn: directory), timeout: .seconds(60))
    let wait = Task { try await waiter.wait { events.append($0) } }
    _ = await events.first()
    let clock = ContinuousClock()
    let cancelled = clock.now
    wait.cancel()
    await #expect(throws: CancellationError.self) { try await wait.value }
    // Far less than the 60 s it would wait; the protocol test measures the 100 ms.
    #expect(clock.now - cancelled < .seconds(30))
  }

  @Test("with healing, a down engine is healed once and the wait ends ready")
  func healed() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let healer = DaemonStartingHealer(directory: directory)
    let events = EventRecorder<ReadinessEvent>()
    let waiter = ReadinessWaiter(
      diagnoser: try Diagnoser(socketIn: directory), timeout: .seconds(60),
      healing: .init(healer: healer, allowed: true))
    let result = await capture { try await waiter.wait { events.append($0) } }
    await healer.stopAll()
    try healer.rethrow()
    let outcome = try result.get()
    #expect(outcome.ready)
    #expect(outcome.heal?.status == .healed)
    #expect(healer.calls == 1)
    let kinds = events.values.map(\.kind)
    #expect(kinds.first == .phase(.socketMissing))
    #expect(kinds.dropFirst().first == .healing)
    #expect(kinds.last == .phase(.ready))
  }

  @Test("a heal that is refused ends the wait at once, without waiting for the deadline")
  func healRefused() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let clock = ContinuousClock()
    let started = clock.now
    let outcome = try await ReadinessWaiter(
      diagnoser: try Diagnoser(socketIn: directory), timeout: .seconds(60),
      healing: .init(healer: RefusingHealer(), allowed: false)
    ).wait()
    #expect(outcome.ending == .healFailed)
    #expect(outcome.heal?.status == .notPermitted)
    #expect(clock.now - started < .seconds(30))
  }
}

extension ReadinessEvent {
  var phase: ReadinessPhase? {
    if case .phase(let phase) = kind { return phase }
    return nil
  }
}

extension Diagnoser {
  /// A diagnoser of `docker.sock` in `directory`, where a private daemon will listen.
  init(socketIn directory: TemporaryDirectory) throws {
    self.init(endpoint: try Endpoint(parsing: "unix://\(directory.file("docker.sock"))", source: .flag))
  }
}

/// Starts a private daemon in `directory` after `delay`; if it cannot start, cancels `wait` so that the test ends.
func startDaemon<T>(
  in directory: TemporaryDirectory, after delay: Duration, cancellingOnFailure wait: Task<T, any Error>
)
  async throws -> DockerDaemon
{
  do {
    try await Task.sleep(for: delay)
    return try await DockerDaemon.start(in: directory)
  } catch {
    wait.cancel()
    throw error
  }
}


/// Collects what a callback hears, for a test to look at (or await the first of).
final class EventRecorder<Value: Sendable>: Sendable {
  private struct State {
    var values: [Value] = []
    var waiters: [CheckedContinuation<Value, Never>] = []
  }
  private let state = Mutex(State())

  func append(_ value: Value) {
    let waiters = state.withLock { state in
      state.values.append(value)
      defer { state.waiters.removeAll() }
      return state.waiters
    }
    for waiter in waiters { waiter.resume(returning: value) }
  }

  var values: [Value] { state.withLock { $0.values } }

  /// The first value, once there is one.
  func first() async -> Value {
    await withCheckedContinuation { continuation in
      let first = state.withLock { state -> Value? in
        if let first = state.values.first { return first }
        state.waiters.append(continuation)
        return nil
      }
      if let first { continuation.resume(returning: first) }
    }
  }
}

/// Heals by starting a private daemon in `directory`: a real engine brought up through the healing seam.
final class DaemonStartingHealer: EngineHealing, Sendable {
  private struct State {
    var daemons: [DockerDaemon] = []
    var calls = 0
    var failure: (any Error)?
  }
  let directory: TemporaryDirectory
  private let state = Mutex(State())

  init(directory: TemporaryDirectory) { self.directory = directory }

  func heal(endpoint: Endpoint, reason: String, allowed: Bool) async -> HealAttempt {
    state.withLock { $0.calls += 1 }
    do {
      let daemon = try await DockerDaemon.start(in: directory)
      state.withLock { $0.daemons.append(daemon) }
      return HealAttempt(status: .healed, message: "started dockerd (pid \(daemon.process.pid))")
    } catch {
      state.withLock { $0.failure = error }
      return HealAttempt(status: .failed, message: "\(error)")
    }
  }

  var calls: Int { state.withLock { $0.calls } }
  var daemons: [DockerDaemon] { state.withLock { $0.daemons } }

  /// Rethrows what starting a daemon threw (a skip, or a failure when one is required).
  func rethrow() throws {
    if let failure = state.withLock({ $0.failure }) { throw failure }
  }

  func stopAll() async {
    for daemon in daemons { await daemon.stop() }
    directory.remove()
  }
}

/// Refuses, as a healer without consent does.
struct RefusingHealer: EngineHealing {
  func heal(endpoint: Endpoint, reason: String, allowed: Bool) async -> HealAttempt {
    HealAttempt(status: .notPermitted, message: "healing needs consent")
  }
}
