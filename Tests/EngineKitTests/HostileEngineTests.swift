import EngineKit
import Foundation
import TestSupport
import Testing

/// The engine client against listeners that break HTTP in each way a crashed, hung or hostile peer can: every call
/// ends with a classified error, within its bound, having read a bounded amount.
@Suite("Hostile engines: classified, bounded, never hanging")
struct HostileEngineTests {
  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var behaviour: FaultListener.Behaviour
    var kind: EngineError.Kind
    /// Words the message must hold.
    var says: String
    var description: String { name }
  }

  /// Depending on when the client sees a half answer's close (reading, or still writing), the engine "closed the
  /// connection before it finished answering" or "dropped the connection before answering": a protocol error either
  /// way, and the message says so.
  static let cases: [Case] = [
    Case(name: "closes on accept", behaviour: .closeOnAccept, kind: .protocolError, says: "the connection"),
    Case(name: "garbage", behaviour: .garbage, kind: .notAnEngine, says: "not with HTTP"),
    Case(
      name: "headers, then close", behaviour: .halfResponse(claimedLength: 100, sentLength: 0, thenHang: false),
      kind: .protocolError, says: "the connection before"),
    Case(
      name: "Content-Length larger than the body sent, then close",
      behaviour: .halfResponse(claimedLength: 5000, sentLength: 10, thenHang: false), kind: .protocolError,
      says: "the connection before"),
    Case(
      name: "Content-Length larger than the body sent, then silence",
      behaviour: .halfResponse(claimedLength: 5000, sentLength: 10, thenHang: true), kind: .timeout,
      says: "did not answer within"),
    Case(name: "a status line without end", behaviour: .endlessHead, kind: .notAnEngine, says: "without completing"),
    Case(name: "100 000 header fields", behaviour: .manyHeaders(count: 100_000), kind: .notAnEngine, says: "header"),
    Case(name: "1000 header fields", behaviour: .manyHeaders(count: 1000), kind: .notAnEngine, says: "header fields"),
    Case(name: "a body without end", behaviour: .endlessBody, kind: .notAnEngine, says: "larger than"),
  ]

  /// One at a time: the floods keep a core busy, and parallel cases would starve each other's listeners.
  @Test("ping then /version ends with the right class", .serialized, arguments: cases)
  func classified(_ fault: Case) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let listener = try await FaultListener.start(fault.behaviour, unixSocket: directory.file("fault.sock"))
    defer { Task { await listener.stop() } }
    let endpoint = try Endpoint(parsing: listener.host, source: .flag)
    let started = ContinuousClock.now
    let error = await #expect(throws: EngineError.self) {
      // A listener that hangs gets 1 s; the others answer at once, and get a bound a loaded machine cannot run out
      // of before they do: their class is under test, not the machine's speed.
      let timeout: Duration = fault.kind == .timeout ? .seconds(1) : .seconds(20)
      return try await EngineClient(endpoint: endpoint, timeout: timeout).withSession { session in
        _ = try await session.ping()
        _ = try await session.version()
      }
    }
    #expect(error?.kind == fault.kind, "\(error?.message ?? "no error")")
    #expect(error?.message.contains(fault.says) == true, "\(error?.message ?? "no error")")
    // Each call is bounded; the generous margin is for a shared machine, and proves an end, not a speed.
    #expect(ContinuousClock.now - started < .seconds(60))
  }

  @Test("an event without end is refused once past the event bound")
  func endlessEvent() async throws {
    let listener = try await FaultListener.start(.endlessEvent)
    defer { Task { await listener.stop() } }
    let endpoint = try Endpoint(parsing: listener.host, source: .flag)
    // The bound is for the answer's head, which comes at once: a loaded machine ran 1 s out before it came.
    var iterator = EngineClient(endpoint: endpoint, timeout: .seconds(20)).events().makeAsyncIterator()
    let error = await #expect(throws: EngineError.self) { _ = try await iterator.next() }
    #expect(error?.kind == .notAnEngine)
    #expect(error?.message.contains("an event larger than \(EngineClient.maxEventBytes) bytes") == true)
  }

  @Test("a daemon that stops while answering is told by its socket: refused when stale, missing when gone")
  func stoppedWhileAnswering() async throws {
    for removesSocket in [false, true] {
      let directory = try TemporaryDirectory()
      defer { directory.remove() }
      let socket = directory.file("engine.sock")
      let listener = try await FaultListener.start(.neverAnswer, unixSocket: socket)
      let endpoint = try Endpoint(parsing: listener.host, source: .flag)
      let call = Task {
        try await EngineClient(endpoint: endpoint, timeout: .seconds(30)).withSession { try await $0.ping() }
      }
      _ = await listener.request(containing: "_ping")
      // The listener goes (its socket file stays, as a killed daemon leaves it, or goes), then the connection drops.
      await listener.stop(leavingSocket: !removesSocket)
      let error = await #expect(throws: EngineError.self) { try await call.value }
      #expect(error?.kind == (removesSocket ? .socketMissing : .connectionRefused), "\(error?.message ?? "")")
      #expect(error?.message.contains("stopped while answering") == true, "\(error?.message ?? "")")
    }
  }
}
