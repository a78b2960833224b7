import EngineKit
import Testing
import TestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A request written before SwiftNIO is set up, then answered on the session that adopts its socket. The engine
/// here is a plain listening socket, so that the test sees the bytes on the wire and can answer before the client
/// has a pipeline: the order a fast `_ping` answer takes.
@Suite("Early requests")
struct EarlyRequestTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let request: EngineRequest
    let answer: String
    var testDescription: String { "\(request.method.rawValue) \(request.path)" }
  }

  static let cases = [
    // Content-Length without a body: only a decoder that knows the request was a HEAD reads this answer right.
    Case(
      request: EngineSession.pingRequest, answer: "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\n"),
    Case(request: EngineSession.versionRequest, answer: answer(#"{"Version":"20.10.24","ApiVersion":"1.41"}"#)),
    Case(request: EngineSession.infoRequest, answer: answer(#"{"ID":"early","NCPU":2}"#)),
  ]

  static func answer(_ json: String) -> String {
    "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
      + "Content-Length: \(json.utf8.count)\r\n\r\n"
      + json
  }

  @Test(
    "the request is on the wire at once, answered already when the session adopts it, and sent once",
    arguments: cases)
  func answeredOnce(_ example: Case) async throws {
    let listener = try PlainListener()
    defer { listener.stop() }
    let client = try listener.client()

    let early = try #require(EarlyRequest.send(example.request, with: client))
    let connection = try await listener.accept()
    defer { close(connection) }
    let received = try PlainListener.readSome(connection)
    #expect(
      received == "\(example.request.method.rawValue) \(example.request.path) HTTP/1.1\r\nHost: localhost\r\n"
        + "User-Agent: docker-preflight\r\n\r\n")
    try PlainListener.write(example.answer, to: connection)

    switch example.request.path {
    case "/_ping":
      let ping = try await client.withSession(early: early) { try await $0.ping() }
      #expect(ping.apiVersion == "1.41")
    case "/version":
      let version = try await client.withSession(early: early) { try await $0.version() }
      #expect(version.version == "20.10.24" && version.apiVersion == "1.41")
    default:
      let info = try await client.withSession(early: early) { try await $0.info() }
      #expect(info.id == "early" && info.ncpu == 2)
    }
    // The session has closed its connection: anything more on it would be the request written a second time.
    #expect(try PlainListener.readSome(connection) == "")
  }

  @Test("a session whose first request is another fails instead of pairing the answer with the wrong question")
  func anotherFirstRequest() async throws {
    let listener = try PlainListener()
    defer { listener.stop() }
    let client = try listener.client()
    let early = try #require(EarlyRequest.send(EngineSession.versionRequest, with: client))
    let connection = try await listener.accept()
    defer { close(connection) }
    await #expect(throws: EngineError.self) {
      try await client.withSession(early: early) { try await $0.info() }
    }
  }

  @Test("no socket, or not a unix socket: nothing is sent, and the session connects as usual")
  func notSent() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let missing = EngineClient(endpoint: try Endpoint(parsing: "unix://\(directory.file("none.sock"))", source: .flag))
    #expect(EarlyRequest.send(EngineSession.pingRequest, with: missing) == nil)
    let error = await #expect(throws: EngineError.self) {
      try await missing.withSession(early: nil) { try await $0.ping() }
    }
    #expect(error?.kind == .socketMissing)
    let tcp = EngineClient(endpoint: try Endpoint(parsing: "tcp://127.0.0.1:9", source: .flag))
    #expect(EarlyRequest.send(EngineSession.pingRequest, with: tcp) == nil)
  }
}

/// A unix socket listener in a directory of its own (TestSupport's ``UnixSocketFile``); each accepted connection's
/// reads are bounded by a receive timeout.
private struct PlainListener {
  let directory: TemporaryDirectory
  let socket: UnixSocketFile

  init() throws {
    directory = try TemporaryDirectory()
    socket = try UnixSocketFile(listeningAt: directory.file("engine.sock"))
  }

  func client() throws -> EngineClient {
    EngineClient(endpoint: try Endpoint(parsing: "unix://\(socket.path)", source: .flag))
  }

  func stop() {
    socket.close()
    directory.remove()
  }

  func accept() async throws -> CInt {
    guard let connection = await socket.acceptConnection(within: .seconds(5)) else {
      throw Failure(what: "accept", errno: ETIMEDOUT)
    }
    var bound = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &bound, socklen_t(MemoryLayout<timeval>.size))
    return connection
  }

  /// What one read returns ("" at the end of the stream).
  static func readSome(_ connection: CInt) throws -> String {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
    guard count >= 0 else { throw Failure(what: "read", errno: errno) }
    return String(decoding: buffer[..<count], as: UTF8.self)
  }

  static func write(_ text: String, to connection: CInt) throws {
    let bytes = Array(text.utf8)
    guard bytes.withUnsafeBytes({ Glibc.write(connection, $0.baseAddress, $0.count) }) == bytes.count else {
      throw Failure(what: "write", errno: errno)
    }
  }

  struct Failure: Error {
    let what: String
    let errno: Int32
  }
}
