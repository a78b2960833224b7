import EngineKit
import TestSupport
import Testing

@testable import Preflight

@Suite("HealthMonitor against a private dockerd")
struct HealthMonitorTests {
  @Test("a daemon killed by pid is reported unreachable, and ready again when a daemon returns on its socket")
  func killAndReturn() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let first = try await DockerDaemon.start(in: directory)
    let events = EventChannel<HealthMonitor.Event>()
    let monitor = HealthMonitor(diagnoser: try Diagnoser(socketIn: directory), interval: .seconds(300))
    let watching = Task { try await monitor.run { await events.send($0) } }
    var second: DockerDaemon?
    let result = await capture {
      #expect(try await events.next()?.transition?.status == .ready)
      // A 300 s ping interval: noticing the loss well before it is the event stream's doing.
      let clock = ContinuousClock()
      let killed = clock.now
      await first.kill()
      let lost = try #require(try await events.next()?.transition)
      #expect(lost.status == .unreachable)
      #expect(lost.previous == .ready)
      #expect(clock.now - killed < .seconds(60))

      second = try await DockerDaemon.start(in: directory)
      let back = try #require(try await events.next()?.transition)
      #expect(back.status == .ready)
      #expect(back.previous == .unreachable)
    }
    watching.cancel()
    await #expect(throws: CancellationError.self) { try await watching.value }
    await second?.stop()
    await first.stop()
    try result.get()
  }

  @Test("with recovery, a loss calls the healer, which brings the daemon back")
  func recovery() async throws {
    let directory = try TemporaryDirectory(prefix: "dk")
    let first = try await DockerDaemon.start(in: directory)
    let healer = DaemonStartingHealer(directory: directory)
    let events = EventChannel<HealthMonitor.Event>()
    let monitor = HealthMonitor(
      diagnoser: try Diagnoser(socketIn: directory), interval: .seconds(30),
      recovery: .init(healer: healer, allowed: true))
    let watching = Task { try await monitor.run { await events.send($0) } }
    let result = await capture {
      #expect(try await events.next()?.transition?.status == .ready)
      await first.kill()
      #expect(try await events.next()?.transition?.status == .unreachable)
      #expect(try await events.next() == .recovering(attempt: 1, of: 3))
      guard case .recoveryFinished(1, let outcome)? = try await events.next() else {
        Issue.record("expected the first recovery attempt to finish")
        return
      }
      #expect(outcome.status == .healed)
      let back = try #require(try await events.next()?.transition)
      #expect(back.status == .ready)
      #expect(healer.calls == 1)
    }
    watching.cancel()
    _ = await watching.result
    await healer.stopAll()
    await first.stop()
    try healer.rethrow()
    try result.get()
  }
}

extension HealthMonitor.Event {
  var transition: HealthTransition? {
    if case .changed(let transition) = self { return transition }
    return nil
  }
}

/// Events handed from a callback to a test that awaits them one at a time, in order, with a timeout.
actor EventChannel<Value: Sendable> {
  private var buffered: [Value] = []
  private var waiter: CheckedContinuation<Value?, Never>?

  func send(_ value: Value) {
    if let waiter {
      self.waiter = nil
      waiter.resume(returning: value)
    } else {
      buffered.append(value)
    }
  }

  /// The next value; throws when none comes within `timeout`.
  func next(timeout: Duration = .seconds(60)) async throws -> Value? {
    if !buffered.isEmpty { return buffered.removeFirst() }
    let timer = Task { [weak self] in
      try await Task.sleep(for: timeout)
      await self?.expire()
    }
    defer { timer.cancel() }
    guard let value = await withCheckedContinuation({ waiter = $0 }) else {
      throw FixtureError("no event within \(timeout)")
    }
    return value
  }

  private func expire() {
    waiter?.resume(returning: nil)
    waiter = nil
  }
}
