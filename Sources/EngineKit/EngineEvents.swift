import JSON

/// One message of the engine's `/events` stream: something happened to an object (a container started, a volume
/// was created, the daemon reloaded its configuration).
public struct EngineEvent: Sendable, Hashable, Decodable {
  /// What the event is about, as the engine names it.
  public struct Actor: Sendable, Hashable, Decodable {
    /// The object's id (a container id, a volume name, the daemon's id).
    public var id: String
    /// Labels and other details: `name`, `image`, `exitCode`, …
    public var attributes: [String: String]

    public init(id: String, attributes: [String: String] = [:]) {
      self.id = id
      self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey {
      case id = "ID"
      case attributes = "Attributes"
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
      attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
    }
  }

  /// `container`, `image`, `volume`, `network`, `daemon`, `plugin`, …
  public var type: String
  /// `create`, `start`, `die`, `destroy`, `reload`, …
  public var action: String
  public var actor: Actor
  /// `local` or `swarm`.
  public var scope: String?
  /// When it happened, in seconds since 1970.
  public var time: Int64?
  /// When it happened, in nanoseconds since 1970.
  public var timeNano: Int64?

  enum CodingKeys: String, CodingKey {
    case type = "Type"
    case action = "Action"
    case actor = "Actor"
    case scope, time, timeNano
    // Engines before API 1.22 send only these.
    case status, id
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    type = try container.decodeIfPresent(String.self, forKey: .type) ?? "container"
    action =
      try container.decodeIfPresent(String.self, forKey: .action)
      ?? container.decodeIfPresent(String.self, forKey: .status) ?? ""
    actor =
      try container.decodeIfPresent(Actor.self, forKey: .actor)
      ?? Actor(id: container.decodeIfPresent(String.self, forKey: .id) ?? "")
    scope = try container.decodeIfPresent(String.self, forKey: .scope)
    time = try container.decodeIfPresent(Int64.self, forKey: .time)
    timeNano = try container.decodeIfPresent(Int64.self, forKey: .timeNano)
  }
}

extension EngineClient {
  /// The largest single event accepted; an engine's events are a few hundred bytes.
  public static let maxEventBytes = 1 << 20

  /// `GET /events`: what happens on the engine from now on (or from `since`), as it happens.
  ///
  /// `filters` are the engine's own (`["type": ["container"], "event": ["start", "die"]]`). The sequence ends when
  /// the engine ends the response or the iterating task is cancelled; a connection lost mid-stream (the daemon
  /// stopped) throws an ``EngineError``. `timeout` bounds connecting and the response head only.
  public func events(filters: [String: [String]] = [:], since: String? = nil) -> EngineEventStream {
    var query: [String] = []
    if !filters.isEmpty {
      let object = JSONObject(
        filters.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.map(JSONValue.string))) })
      query.append("filters=" + JSONValue.object(object).description.percentEncodedForQuery)
    }
    if let since { query.append("since=" + since.percentEncodedForQuery) }
    return EngineEventStream(client: self, path: "/events" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
  }
}

/// The engine's events as an asynchronous sequence; see ``EngineClient/events(filters:since:)``.
///
/// Each iterator holds a connection of its own, read by a task that stops when the iterator is dropped or its task
/// is cancelled. Events are buffered up to ``bufferedEvents``; a reader that falls further behind gets an error
/// rather than a silent gap.
public struct EngineEventStream: AsyncSequence, Sendable {
  public typealias Element = EngineEvent
  public static let bufferedEvents = 4096

  public let client: EngineClient
  /// `/events` with its query.
  public let path: String

  public struct AsyncIterator: AsyncIteratorProtocol {
    var events: AsyncThrowingStream<EngineEvent, any Error>.AsyncIterator

    /// The next event; `nil` when the stream ended or the task was cancelled. Throws ``EngineError``.
    public mutating func next() async throws -> EngineEvent? { try await events.next() }
  }

  public func makeAsyncIterator() -> AsyncIterator {
    let (stream, continuation) = AsyncThrowingStream.makeStream(
      of: EngineEvent.self, bufferingPolicy: .bufferingOldest(Self.bufferedEvents))
    let reader = Task { await read(into: continuation) }
    continuation.onTermination = { _ in reader.cancel() }
    return AsyncIterator(events: stream.makeAsyncIterator())
  }

  private func read(into continuation: AsyncThrowingStream<EngineEvent, any Error>.Continuation) async {
    let host = client.endpoint.host
    var splitter = JSONObjectSplitter(maxObjectBytes: EngineClient.maxEventBytes)
    do {
      let response = try await client.withSession { session in
        try await session.stream(EngineRequest(.GET, path)) { bytes in
          splitter.append(bytes)
          while let object = try next(from: &splitter) {
            guard let event = try? JSONValueDecoder().decode(EngineEvent.self, from: JSONValue.parse(object)) else {
              throw EngineError(
                kind: .notAnEngine, endpoint: host, message: "\(host) sent an event that is not an engine's event",
                recommendation: "Point DOCKER_HOST (or the context) at the engine's socket")
            }
            if case .dropped = continuation.yield(event) {
              throw EngineError(
                kind: .protocolError, endpoint: host,
                message: "more than \(Self.bufferedEvents) events from \(host) were waiting to be read",
                recommendation: "Read events as they come, or filter them")
            }
          }
          return true
        }
      }
      guard (200..<300).contains(response.status) else { throw unexpectedStatus(response.status) }
      continuation.finish()
    } catch {
      continuation.finish(throwing: Task.isCancelled ? nil : error)
    }
  }

  private func next(from splitter: inout JSONObjectSplitter) throws(EngineError) -> [UInt8]? {
    do {
      return try splitter.next()
    } catch {
      let what =
        switch error {
        case .tooLarge(let limit): "an event larger than \(limit) bytes"
        case .notAnObject: "something other than JSON objects"
        }
      throw EngineError(
        kind: .notAnEngine, endpoint: client.endpoint.host, message: "\(client.endpoint.host) sent \(what) on /events",
        recommendation: "Point DOCKER_HOST (or the context) at the engine's socket")
    }
  }

  private func unexpectedStatus(_ status: Int) -> EngineError {
    let host = client.endpoint.host
    if status >= 500 {
      return EngineError(
        kind: .engineStarting, endpoint: host,
        message: "the engine at \(host) answers \(status) to /events: it is not ready yet",
        recommendation: "Wait for it to finish starting (docker-preflight wait)")
    }
    return EngineError(
      kind: .notAnEngine, endpoint: host, message: "\(host) answers /events with HTTP \(status)",
      recommendation: "Point DOCKER_HOST (or the context) at the engine's socket")
  }
}

/// Cuts a byte stream of concatenated JSON objects (what `/events` sends, newline-separated or not) into one object
/// at a time, without parsing them; bounded per object.
struct JSONObjectSplitter {
  enum Failure: Error, Equatable {
    case tooLarge(limit: Int)
    /// Something other than an object where one should start.
    case notAnObject(UInt8)
  }

  let maxObjectBytes: Int
  private var buffer: [UInt8] = []
  private var scanned = 0
  private var nesting = JSONNestingScanner()

  init(maxObjectBytes: Int) { self.maxObjectBytes = maxObjectBytes }

  mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

  /// The next complete object, or `nil` until more bytes arrive.
  mutating func next() throws(Failure) -> [UInt8]? {
    while scanned < buffer.count {
      let byte = buffer[scanned]
      scanned += 1
      if nesting.depth == 0 {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
          buffer.removeFirst(scanned)
          scanned = 0
          continue
        case UInt8(ascii: "{"):
          break
        default:
          throw .notAnObject(byte)
        }
      }
      if nesting.consume(byte) == 0 {
        let object = Array(buffer[..<scanned])
        buffer.removeFirst(scanned)
        scanned = 0
        return object
      }
    }
    guard buffer.count <= maxObjectBytes else { throw .tooLarge(limit: maxObjectBytes) }
    return nil
  }
}

extension String {
  /// Percent-encoded for a query component: everything but RFC 3986's unreserved characters.
  var percentEncodedForQuery: String {
    var result = ""
    for byte in utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: "~"):
        result.unicodeScalars.append(Unicode.Scalar(byte))
      default:
        let hex = Array("0123456789ABCDEF".utf8)
        result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
      }
    }
    return result
  }
}
