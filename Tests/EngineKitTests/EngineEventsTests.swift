import JSON
import TestSupport
import Testing

@testable import EngineKit

#if canImport(Glibc)
  import Glibc
#endif

@Suite("/events: splitting, decoding, and a real daemon's stream")
struct EngineEventsTests {
  @Test(
    "concatenated objects are cut one by one, whatever the chunking",
    arguments: [1, 2, 7, 1000])
  func splitter(chunkSize: Int) throws {
    let text = #" {"a":"}{\"","b":[{"c":1}]}"# + "\n" + #"{"d":"\\"}"# + "\r\n\t" + #"{}"#
    var splitter = JSONObjectSplitter(maxObjectBytes: 100)
    var objects: [String] = []
    let bytes = Array(text.utf8)
    for start in stride(from: 0, to: bytes.count, by: chunkSize) {
      splitter.append(bytes[start..<min(start + chunkSize, bytes.count)])
      while let object = try splitter.next() { objects.append(String(decoding: object, as: UTF8.self)) }
    }
    #expect(objects == [#"{"a":"}{\"","b":[{"c":1}]}"#, #"{"d":"\\"}"#, "{}"])
  }

  @Test("an object over the limit is refused before it is complete")
  func tooLarge() {
    var splitter = JSONObjectSplitter(maxObjectBytes: 16)
    splitter.append(Array(#"{"a":"0123456789abcdef"#.utf8))
    #expect(throws: JSONObjectSplitter.Failure.tooLarge(limit: 16)) { try splitter.next() }
  }

  @Test("something other than an object is refused")
  func notAnObject() {
    var splitter = JSONObjectSplitter(maxObjectBytes: 16)
    splitter.append(Array("[1]".utf8))
    #expect(throws: JSONObjectSplitter.Failure.notAnObject(UInt8(ascii: "["))) { try splitter.next() }
  }

  @Test("an event decodes its type, action, actor and time; an old engine's fields stand in")
  func decoding() throws {
    let current = try JSONValueDecoder().decode(
      EngineEvent.self,
      from: JSONValue.parse(
        #"{"status":"create","id":"v1","Type":"volume","Action":"create","Actor":{"ID":"v1","Attributes":{"driver":"local"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}"#
      ))
    #expect(current.type == "volume")
    #expect(current.action == "create")
    #expect(current.actor == EngineEvent.Actor(id: "v1", attributes: ["driver": "local"]))
    #expect(current.time == 1_700_000_000)
    #expect(current.timeNano == 1_700_000_000_123_456_789)
    let old = try JSONValueDecoder().decode(
      EngineEvent.self, from: JSONValue.parse(#"{"status":"start","id":"abc","from":"busybox","time":1}"#))
    #expect(old.type == "container")
    #expect(old.action == "start")
    #expect(old.actor.id == "abc")
  }

  @Test("filters are sent as the engine's JSON, percent-encoded")
  func query() {
    let stream = EngineClient(endpoint: EndpointResolver.platformDefault).events(
      filters: ["type": ["volume"], "event": ["create", "die"]], since: "1700000000")
    #expect(
      stream.path
        == "/events?filters=%7B%22event%22%3A%5B%22create%22%2C%22die%22%5D%2C%22type%22%3A%5B%22volume%22%5D%7D&since=1700000000"
    )
  }

  @Test("a private daemon's events arrive decoded; the stream ends with an error when the daemon dies")
  func liveStream() async throws {
    let daemon = try await DockerDaemon.start()
    let result = await capture {
      let client = EngineClient(endpoint: try Endpoint(parsing: daemon.host, source: .flag))
      // `since` replays from before the volume exists, so the event cannot be missed while the stream connects.
      let since = String(time(nil) - 5)
      var events = client.events(filters: ["type": ["volume"]], since: since).makeAsyncIterator()
      let created = try await client.send(
        EngineRequest(.POST, "/volumes/create", body: Array(#"{"Name":"preflight-events"}"#.utf8)))
      #expect(created.status == 201)
      let event = try #require(try await events.next())
      #expect(event.type == "volume")
      #expect(event.action == "create")
      #expect(event.actor.id == "preflight-events")
      #expect(event.actor.attributes["driver"] == "local")
      #expect(event.time.map { $0 >= Int64(since)! } == true)

      await daemon.kill()
      do {
        let next = try await events.next()
        Issue.record("expected the stream to fail when the daemon died, got \(String(describing: next))")
      } catch let error as EngineError {
        // Its socket is left behind with nobody listening: the stream ended because the daemon stopped. A killed
        // daemon's socket can still accept for a moment while the kernel tears the process down; a probe in that
        // moment leaves the cut answer unexplained, which is a protocol error.
        if error.kind == .connectionRefused {
          #expect(error.message.contains("stopped while answering"))
        } else {
          #expect(error.kind == .protocolError, "\(error.message)")
          #expect(error.message.contains("closed the connection"))
        }
        #expect(error.message.contains(daemon.host))
      }
    }
    await daemon.stop()
    try result.get()
  }

  @Test("cancelling the reading task ends the stream")
  func cancellation() async throws {
    try await withDockerDaemon { daemon in
      let client = EngineClient(endpoint: try Endpoint(parsing: daemon.host, source: .flag))
      let reading = Task {
        var count = 0
        for try await _ in client.events() { count += 1 }
        return count
      }
      try await Task.sleep(for: .milliseconds(200))
      let clock = ContinuousClock()
      let cancelled = clock.now
      reading.cancel()
      #expect(try await reading.value == 0)
      // The stream has no end of its own (nothing happens on this daemon): it ended because it was cancelled. The
      // bound proves that end, not a speed: a loaded machine has taken 1.6 s to schedule it.
      #expect(clock.now - cancelled < .seconds(30))
    }
  }
}

