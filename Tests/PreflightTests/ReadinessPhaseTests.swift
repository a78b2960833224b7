import EngineKit
import Testing

@testable import Preflight

@Suite("Back-off and readiness phases")
struct ReadinessPhaseTests {
  @Test("the readiness back-off doubles from 5 ms and stays at 100 ms")
  func readinessSchedule() {
    let delays = (0..<9).map { Backoff.readiness.delay(afterAttempt: $0) }
    #expect(delays == [5, 10, 20, 40, 80, 100, 100, 100, 100].map { .milliseconds($0) })
  }

  @Test(
    "a back-off never exceeds its maximum nor goes below its start",
    arguments: [(1, 30, 0, 1), (1, 30, 4, 16), (1, 30, 5, 30), (1, 30, 1_000_000, 30), (50, 10, 3, 50), (7, 7, -1, 7)])
  func bounds(initial: Int, maximum: Int, attempt: Int, expected: Int) {
    let backoff = Backoff(initial: .milliseconds(initial), maximum: .milliseconds(maximum))
    #expect(backoff.delay(afterAttempt: attempt) == .milliseconds(expected))
  }

  @Test(
    "each engine error means a phase",
    arguments: [
      (EngineError.Kind.socketMissing, ReadinessPhase.socketMissing), (.pipeMissing, .socketMissing),
      (.connectionRefused, .refused), (.engineStarting, .starting), (.permissionDenied, .unreachable),
      (.timeout, .unreachable), (.notAnEngine, .unreachable), (.tlsFailure, .unreachable),
    ])
  func phaseOfError(kind: EngineError.Kind, phase: ReadinessPhase) {
    let error = EngineError(kind: kind, endpoint: "unix:///x.sock", message: "m", recommendation: "r")
    #expect(ReadinessPhase(error) == phase)
  }

  /// What a tracker reports for a sequence of observations: a phase entered, or `present` for "the socket exists".
  enum Observation {
    case phase(ReadinessPhase)
    case present
  }

  @Test(
    "phase changes are reported once each; socket present only after it was missing",
    arguments: [
      // A daemon started while we wait.
      (
        [
          .phase(.socketMissing), .phase(.socketMissing), .present, .phase(.refused), .present, .phase(.refused),
          .present, .phase(.starting), .present, .phase(.ready),
        ] as [Observation],
        [.socketMissing, .socketPresent, .refused, .starting, .ready] as [ReadinessPhase]
      ),
      // Already running: no socket news.
      ([.present, .phase(.ready)], [.ready]),
      // A stale socket, replaced by a restarting daemon.
      (
        [.present, .phase(.refused), .phase(.socketMissing), .present, .phase(.ready)],
        [.refused, .socketMissing, .socketPresent, .ready]
      ),
    ])
  func tracker(observations: [Observation], reported: [ReadinessPhase]) {
    var tracker = ReadinessPhaseTracker()
    var seen: [ReadinessPhase] = []
    for observation in observations {
      switch observation {
      case .phase(let phase): if tracker.enter(phase) { seen.append(phase) }
      case .present: if tracker.socketSeen() { seen.append(.socketPresent) }
      }
    }
    #expect(seen == reported)
  }

  @Test("only a down engine is one healing addresses", arguments: ReadinessPhase.allCases)
  func down(phase: ReadinessPhase) {
    #expect(phase.isDown == [.socketMissing, .refused, .unreachable, .hung].contains(phase))
  }
}
