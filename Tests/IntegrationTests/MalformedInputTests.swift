import Foundation
import JSON
import JSONRPC
import Testing
import TestSupport

/// Hostile and broken input through a live `docker-preflight serve`, in both framings: every case gets the answer
/// protocol/README.md ("Malformed input") promises, the server answers a follow-up request afterwards, and its
/// memory stays bounded.
@Suite("serve: malformed input, floods and stalled clients")
struct MalformedInputTests {
  /// The most a server may hold at its peak after any one case (a debug build starts at about 20 MiB).
  static let peakMemoryLimit = 128 << 20
  /// The most it may hold while streaming past 100 MB it must not keep.
  static let streamingMemoryLimit = 64 << 20

  /// A session whose engine (the default one and the follow-up's) is a socket that does not exist, so that
  /// `diagnose` answers at once without touching any real engine.
  struct Session {
    let session: ServeSession
    let directory: TemporaryDirectory
    var missingSocket: String { "unix://\(directory.file("missing.sock"))" }

    init(framing: Framing) throws {
      directory = try TemporaryDirectory(prefix: "malformed")
      // Not captured for the schema check: the input is invalid on purpose, and the answers are checked here.
      session = try ServeSession(
        framing: framing,
        environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": "unix://\(directory.file("missing.sock"))"]),
        captured: false)
    }

    /// Sends the follow-up request and returns its response, which must come.
    func followUp() async throws -> JSONValue {
      try await session.sendRequest(id: "follow-up", method: "diagnose", params: ["host": .string(missingSocket)])
      return try await session.response(to: "follow-up", timeout: .seconds(60))
    }

    func peakMemory() -> Int { session.child.residentMemory?.peak ?? 0 }
  }

  @Test("the corpus holds at least 200 cases")
  func corpusSize() {
    #expect(MalformedInputCorpus.cases.count >= 200)
  }

  /// One server per framing takes the cases one after the other, each followed by a follow-up request, so that the
  /// server also shows it keeps its footing after hundreds of bad inputs. A case that must come first, shuts the
  /// server down or swallows what follows gets a server of its own, and so does the case after a failure (so that
  /// one failure does not cascade).
  @Test("each malformed input gets its answer and the server answers a follow-up", arguments: MalformedInputCorpus.both)
  func malformed(framing: Framing) async throws {
    var shared: Session?
    for testCase in MalformedInputCorpus.cases where testCase.framings.contains(framing) {
      let label = "\(testCase.name) [\(framing == .contentLength ? "LSP" : "NDJSON")]"
      let fixture = try testCase.needsOwnServer ? Session(framing: framing) : shared ?? Session(framing: framing)
      if testCase.needsOwnServer == false { shared = fixture }
      let session = fixture.session
      if testCase.framings == [.contentLength], case .raw = testCase.input, !testCase.comesFirst,
        await session.received.isEmpty
      {
        // Settle the framing first: these cases are about what follows a first message.
        _ = try await session.request("nope")
      }
      try await session.sendRaw(testCase.bytes(in: framing))
      var held: Bool
      switch testCase.ending {
      case .followUp:
        let followUp = try await fixture.followUp()
        if testCase.shutsDown {
          held = expect(followUp["error"]?["code"] == -32600, "\(label): follow-up \(followUp.excerpt)")
        } else {
          held = expect(followUp["result"]?["healthy"] == false, "\(label): follow-up \(followUp.excerpt)")
        }
        var messages = await session.drainInbox()
        // Requests run at once: a request answered in its task (a context that does not exist) may answer after the
        // follow-up on a loaded machine.
        while messages.count < testCase.owed.count, let late = try? await session.nextMessage(timeout: .seconds(10)) {
          messages.append(late)
        }
        held = check(messages, owed: testCase.owed, label: label) && held
      case .swallowsFollowUp:
        try await session.sendRequest(
          id: "follow-up", method: "diagnose", params: ["host": .string(fixture.missingSocket)])
        held = expect(try await session.finish() == 0, "\(label): exit status")
        let messages = await session.drainInbox()
        held = expect(!messages.contains { $0["id"] == "follow-up" }, "\(label): the follow-up was answered") && held
        held = check(messages, owed: testCase.owed, label: label) && held
      }
      let peak = fixture.peakMemory()
      held = expect(peak < Self.peakMemoryLimit, "\(label): peak memory \(peak >> 20) MiB") && held
      if testCase.needsOwnServer || !held {
        if shared?.directory.path == fixture.directory.path { shared = nil }
        if testCase.ending == .followUp { #expect(try await session.finish() == 0, "\(label): exit status") }
        fixture.directory.remove()
      }
    }
    if let shared {
      #expect(try await shared.session.finish() == 0)
      shared.directory.remove()
    }
  }

  /// `#expect`, and whether it held.
  func expect(_ condition: Bool, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    #expect(condition, comment, sourceLocation: sourceLocation)
    return condition
  }

  /// Compares what the server sent with what it owed, in order; whether all of it held.
  func check(
    _ messages: [JSONValue], owed: [MalformedCase.Owed], label: String, sourceLocation: SourceLocation = #_sourceLocation
  ) -> Bool {
    guard expect(
      messages.count == owed.count, "\(label): expected \(owed), got \(messages.map(\.excerpt))",
      sourceLocation: sourceLocation)
    else { return false }
    return zip(messages, owed).allSatisfy { message, owed in
      let code = message["error"]?["code"]?.intValue.map(Int.init)
      let held: Bool
      switch owed {
      case .error(let expected, let id):
        held = code == expected && message["id"] == id
      case .errorMentioning(let expected, let id, let text):
        held = code == expected && message["id"] == id
          && message["error"]?["message"]?.stringValue?.contains(text) == true
      case .result(let id):
        held = message["result"] != nil && message["id"] == id
      case .batch(let codes):
        held = (message.arrayValue ?? []).map { $0["error"]?["code"]?.intValue.map(Int.init) } == codes
      }
      return expect(held, "\(label): expected \(owed), got \(message.excerpt)", sourceLocation: sourceLocation)
    }
  }

  // MARK: - 100 MB that must not be kept

  @Test("a 100 MB message is skipped as it streams past, without being held, and the server carries on")
  func hundredMegabytes() async throws {
    for framing in [Framing.contentLength, .newlineDelimited] {
      let fixture = try Session(framing: framing)
      defer { fixture.directory.remove() }
      let session = fixture.session
      let size = 100 << 20
      let head = Array(#"{"jsonrpc":"2.0","id":"big","method":"diagnose","params":{"host":""#.utf8)
      let tail = Array(#""}}"#.utf8)
      if framing == .contentLength {
        try await session.sendRaw(Array("Content-Length: \(size)\r\n\r\n".utf8))
      }
      // The body goes out in 1 MiB pieces; the server may not hold more than a few of them at once.
      var sent = 0
      try await session.sendRaw(head)
      sent += head.count
      let piece = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
      while sent + piece.count + tail.count <= size {
        try await session.sendRaw(piece)
        sent += piece.count
      }
      try await session.sendRaw([UInt8](repeating: UInt8(ascii: "x"), count: size - sent - tail.count) + tail)
      if framing == .newlineDelimited { try await session.sendRaw([UInt8(ascii: "\n")]) }
      let refusal = try await session.nextMessage()
      #expect(refusal["error"]?["code"] == -32600)
      #expect(refusal["id"] == .null)
      #expect(refusal["error"]?["data"]?["limit"] == .int(4 << 20))
      let followUp = try await fixture.followUp()
      #expect(followUp["result"]?["healthy"] == false)
      #expect(await session.drainInbox().isEmpty)
      #expect(fixture.peakMemory() < Self.streamingMemoryLimit, "\(framing): peak \(fixture.peakMemory() >> 20) MiB")
      #expect(try await session.finish() == 0)
    }
  }

  // MARK: - Floods

  /// Requests refused before they would run (unknown method, invalid params, invalid message) are answered in line,
  /// so they come back in order and none is refused for want of room.
  @Test("20000 bad requests in one write are each answered, in order, with memory bounded", arguments: MalformedInputCorpus.both)
  func flood(framing: Framing) async throws {
    let fixture = try Session(framing: framing)
    defer { fixture.directory.remove() }
    let session = fixture.session
    let count = 20_000
    var bytes: [UInt8] = []
    for id in 0..<count {
      let body: String
      switch id % 4 {
      case 0: body = #"{"jsonrpc":"2.0","id":\#(id),"method":"nope"}"#
      case 1: body = #"{"jsonrpc":"2.0","id":\#(id),"method":"diagnose","params":{"deep":"no"}}"#
      case 2: body = #"{"jsonrpc":"2.0","id":\#(id),"method":"diagnose","params":"x"}"#
      default: body = #"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":\#(id)}}"#
      }
      framing.frame(Array(body.utf8), into: &bytes)
    }
    try await session.sendRaw(bytes)
    let followUp = try await fixture.followUp()
    #expect(followUp["result"]?["healthy"] == false)
    let answers = await session.drainInbox()
    #expect(answers.count == count / 4 * 3)
    #expect(answers.map { $0["id"]?.intValue ?? -1 } == (0..<Int64(count)).filter { $0 % 4 != 3 })
    #expect(answers.map { $0["error"]?["code"]?.intValue ?? 0 } == (0..<count).compactMap { id in
      [0: Int64(-32601), 1: -32602, 2: -32600][id % 4]
    })
    #expect(fixture.peakMemory() < Self.peakMemoryLimit)
    #expect(try await session.finish() == 0)
  }

  @Test("a flood of real requests past the in-flight limit: each is served or refused -32000, none is lost")
  func inFlightLimit() async throws {
    let fixture = try Session(framing: .newlineDelimited)
    defer { fixture.directory.remove() }
    let session = fixture.session
    let count = 2000
    var bytes: [UInt8] = []
    for id in 0..<count {
      let body = #"{"jsonrpc":"2.0","id":\#(id),"method":"diagnose","params":{"host":"\#(fixture.missingSocket)"}}"#
      Framing.newlineDelimited.frame(Array(body.utf8), into: &bytes)
    }
    try await session.sendRaw(bytes)
    var answers: [JSONValue] = []
    for _ in 0..<count { answers.append(try await session.nextMessage(timeout: .seconds(120))) }
    #expect(Set(answers.compactMap { $0["id"]?.intValue }) == Set(0..<Int64(count)))
    let refused = answers.filter { $0["error"]?["code"] == -32000 }
    let served = answers.filter { $0["result"]?["healthy"] == false }
    #expect(refused.count + served.count == count)
    // The first read alone holds hundreds of requests, more than the limit lets run at once.
    #expect(!refused.isEmpty)
    #expect(served.count >= 128)
    #expect(refused.first?["error"]?["data"]?["limit"] == 128)
    #expect(fixture.peakMemory() < Self.peakMemoryLimit)
    #expect(try await fixture.followUp()["result"] != nil)
    #expect(try await session.finish() == 0)
  }

  // MARK: - Clients that go wrong

  @Test("stdin closed in the middle of a message: the requests before it are answered, the rest is -32700, exit 0",
    arguments: MalformedInputCorpus.both)
  func stdinClosedMidRequest(framing: Framing) async throws {
    let listener = try SilentListener()
    defer { listener.close() }
    let fixture = try Session(framing: framing)
    defer { fixture.directory.remove() }
    let session = fixture.session
    // A request in flight (an engine that accepts and never answers), then half of the next one.
    try await session.sendRequest(
      id: "in-flight", method: "diagnose", params: ["host": .string("unix://\(listener.path)"), "timeoutMs": 1000])
    var next: [UInt8] = []
    framing.frame(Array(#"{"jsonrpc":"2.0","id":"cut","method":"diagnose"}"#.utf8), into: &next)
    try await session.sendRaw(Array(next.prefix(next.count / 2)))
    #expect(try await session.finish() == 0)
    let messages = await session.drainInbox()
    #expect(messages.count == 2)
    #expect(messages.first { $0["id"] == "in-flight" }?["result"]?["healthy"] == false)
    #expect(messages.first { $0["id"] == .null }?["error"]?["code"] == -32700)
  }

  @Test(
    "a client that stops reading stdout stalls the server, which stops reading with bounded memory; then every request is answered",
    arguments: MalformedInputCorpus.both)
  func clientStopsReading(framing: Framing) async throws {
    let child = try ChildProcess(
      executable: PreflightBinary.path, arguments: ["serve"], environment: PreflightBinary.cleanEnvironment())
    defer { Task { await child.terminate() } }
    // Each answer echoes a 1 KiB id: 5 MB of answers, four times what the server may queue, that an unbounded
    // server would pile up.
    let count = 5000
    let padding = String(repeating: "p", count: 1024)
    var bytes: [UInt8] = []
    for id in 0..<count {
      framing.frame(Array(#"{"jsonrpc":"2.0","id":"\#(id)-\#(padding)","method":"nope"}"#.utf8), into: &bytes)
    }
    let input = bytes
    let taken = try await offThreadPool { try child.writeUntilStalled(input, quiet: .seconds(3)) }
    #expect(taken < bytes.count, "the server read all \(bytes.count) bytes while nobody read its answers")
    let stalledMemory = child.residentMemory?.peak ?? 0
    #expect(stalledMemory < Self.streamingMemoryLimit, "peak \(stalledMemory >> 20) MiB while stalled")

    // Read again, and send the rest meanwhile.
    let rest = Array(bytes[taken...])
    let writer = Task { try await offThreadPool { try child.write(rest); try child.closeInput() } }
    var splitter = MessageSplitter(maxMessageBytes: 1 << 20)
    var ids: [String] = []
    for await chunk in child.output {
      splitter.append(chunk)
      while case .message(let body)? = splitter.next() {
        ids.append((try JSONValue.parse(body))["id"]?.stringValue ?? "?")
      }
    }
    try await writer.value
    #expect(ids.count == count)
    #expect(ids.map { $0.prefix { $0 != "-" } } == (0..<count).map { Substring(String($0)) })
    #expect(await child.exitStatus(within: .seconds(30)) == 0)
  }

  @Test("a client that closes stdout does not hang or crash the server: it reads on and exits 0 at end of input",
    arguments: MalformedInputCorpus.both)
  func clientClosesStdout(framing: Framing) async throws {
    let child = try ChildProcess(
      executable: PreflightBinary.path, arguments: ["serve"], environment: PreflightBinary.cleanEnvironment())
    defer { Task { await child.terminate() } }
    child.closeOutput()
    var bytes: [UInt8] = []
    for id in 0..<5000 { framing.frame(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"nope"}"#.utf8), into: &bytes) }
    let input = bytes
    try await offThreadPool { try child.write(input); try child.closeInput() }
    #expect(await child.exitStatus(within: .seconds(60)) == 0)
  }
}

/// Runs blocking work on a thread of its own, not on Swift's small cooperative pool.
func offThreadPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
  }
}

/// A unix socket that accepts connections (the kernel's backlog does) and never answers: an engine that hangs.
struct SilentListener: Sendable {
  let path: String
  let descriptor: Int32
  let directory: TemporaryDirectory

  init() throws {
    directory = try TemporaryDirectory(prefix: "silent")
    path = directory.file("engine.sock")
    descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard descriptor >= 0, bound == 0, listen(descriptor, 64) == 0 else {
      throw FixtureError("cannot listen on \(path): \(String(cString: strerror(errno)))")
    }
  }

  func close() {
    _ = Glibc.close(descriptor)
    directory.remove()
  }
}

extension JSONValue {
  /// At most 300 characters of the message, for failure reports.
  var excerpt: String {
    let text = description
    return text.count > 300 ? text.prefix(300) + "…" : text
  }
}
