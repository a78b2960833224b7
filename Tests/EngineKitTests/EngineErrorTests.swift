import EngineKit
import Foundation
import TestSupport
import Testing

@Suite("Engine errors are classified from the OS error, naming the endpoint")
struct EngineErrorTests {
  @Test("a socket path that does not exist is socket-missing")
  func missing() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let endpoint = try Endpoint(parsing: "unix://\(directory.file("none.sock"))", source: .flag)
    let error = await #expect(throws: EngineError.self) {
      try await EngineClient(endpoint: endpoint).send(.init(.GET, "/_ping"))
    }
    #expect(error?.kind == .socketMissing)
    #expect(error?.errno == ENOENT)
    #expect(error?.message.contains(endpoint.host) == true)
  }

  @Test("a socket file with nothing listening is connection-refused (stale socket)")
  func stale() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("stale.sock")
    // Bind a unix socket and close it without unlinking: the file stays, nobody listens.
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    #expect(bound == 0)
    close(descriptor)
    let endpoint = try Endpoint(parsing: "unix://\(path)", source: .flag)
    let error = await #expect(throws: EngineError.self) {
      try await EngineClient(endpoint: endpoint).send(.init(.GET, "/_ping"))
    }
    #expect(error?.kind == .connectionRefused)
    #expect(error?.message.contains("stale") == true)
  }

  /// The 0.5 s bound is asserted on `check` (FaultTests), in a process of its own: here, CPU-bound tests running in
  /// parallel can hold Swift's cooperative threads for seconds, which delays any task's resumption.
  @Test("a listener that accepts and never answers ends, as a timeout", arguments: [false, true])
  func blackHole(onUnixSocket: Bool) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let listener = try await FaultListener.start(
      .neverAnswer, unixSocket: onUnixSocket ? directory.file("silent.sock") : nil)
    defer { Task { await listener.stop() } }
    let endpoint = try Endpoint(parsing: listener.host, source: .flag)
    let timeout = Duration.milliseconds(700)
    let started = ContinuousClock.now
    let error = await #expect(throws: EngineError.self) {
      try await EngineClient(endpoint: endpoint, timeout: timeout).withSession { try await $0.ping() }
    }
    let elapsed = ContinuousClock.now - started
    #expect(error?.kind == .timeout)
    #expect(error?.message.contains("did not answer within 700 ms") == true)
    #expect(elapsed >= timeout)
    // The listener never answers: without the timeout the call would never end. The bound proves that end, not a
    // speed (the whole suite on two cores has stalled this 0.7 s call for 12 s).
    #expect(elapsed < .seconds(60))
  }

  @Test("each call has its own bound: a long one may outlast the default")
  func perCallTimeout() async throws {
    let listener = try await FaultListener.start(.neverAnswer)
    defer { Task { await listener.stop() } }
    let endpoint = try Endpoint(parsing: listener.host, source: .flag)
    let started = ContinuousClock.now
    let error = await #expect(throws: EngineError.self) {
      try await EngineClient(endpoint: endpoint, timeout: .milliseconds(200)).withSession {
        try await $0.send(.init(.GET, "/_ping"), timeout: .milliseconds(900))
      }
    }
    #expect(error?.message.contains("900 ms") == true)
    #expect(ContinuousClock.now - started >= .milliseconds(900))
  }

  @Test("cancelling the caller closes the connection at once")
  func cancellation() async throws {
    let listener = try await FaultListener.start(.neverAnswer)
    defer { Task { await listener.stop() } }
    let endpoint = try Endpoint(parsing: listener.host, source: .flag)
    let call = Task {
      try await EngineClient(endpoint: endpoint, timeout: .seconds(300)).withSession { try await $0.ping() }
    }
    try await Task.sleep(for: .milliseconds(100))
    let started = ContinuousClock.now
    call.cancel()
    let result = await call.result
    // Well before the 300 s the call would otherwise wait: the bound proves the cancellation ended it, on a machine
    // whose load may delay any task by seconds.
    #expect(ContinuousClock.now - started < .seconds(60))
    guard case .failure(let error as EngineError) = result else {
      Issue.record("expected an EngineError, got \(result)")
      return
    }
    #expect(error.kind == .cancelled)
  }

  @Test("an HTTP server that is not an engine is not-an-engine", arguments: [404, 200, 500 - 100])
  func notAnEngine(status: Int) async throws {
    let listener = try await FaultListener.start(.answerHTTP(status: status))
    defer { Task { await listener.stop() } }
    let endpoint = try Endpoint(parsing: listener.host, source: .flag)
    // A bound no loaded machine reaches: this is about what the answer is taken for, not how soon it comes (at the
    // start of a full run, with hundreds of tests starting at once, the default 2 s ran out once in CI).
    let error = await #expect(throws: EngineError.self) {
      try await EngineClient(endpoint: endpoint, timeout: .seconds(60)).withSession { try await $0.ping() }
    }
    #expect(error?.kind == .notAnEngine)
    #expect(error?.message.contains("HTTP \(status)") == true)
  }

  @Test("every kind has a distinct, stable code")
  func codes() {
    let codes = EngineError.Kind.allCases.map(\.rawValue)
    #expect(Set(codes).count == codes.count)
    #expect(codes.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "-" } })
  }
}
