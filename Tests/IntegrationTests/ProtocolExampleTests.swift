import Foundation
import JSON
import Testing
import TestSupport

/// Every transcript in protocol/examples/ is replayed against a live `serve`: the client's bytes are sent as they
/// are, and the server must answer with the messages the transcript shows, modulo what differs from run to run
/// (``ExampleNormalization``). `PREFLIGHT_RECORD_EXAMPLES=1` rewrites the server's messages from the live session
/// instead, for a new or changed example (then read the diff). One at a time: two of them start a dockerd, and the
/// machine is shared.
@Suite("protocol/examples: each transcript replayed against a live serve", .serialized)
struct ProtocolExampleTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("protocol/examples")

  static var names: [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return files.filter { $0.hasSuffix(".transcript") }.sorted()
  }

  static var recording: Bool { ProcessInfo.processInfo.environment["PREFLIGHT_RECORD_EXAMPLES"] == "1" }

  @Test("there are examples of both framings")
  func examplesExist() throws {
    let transcripts = try Self.names.map { try Self.load($0) }
    #expect(transcripts.contains { $0.framing == .contentLength })
    #expect(transcripts.contains { $0.framing == .newlineDelimited })
  }

  @Test("the example replays against a live serve", arguments: names)
  func replay(name: String) async throws {
    var transcript = try Self.load(name)
    let scratch = try TemporaryDirectory(prefix: "example")
    let daemon = transcript.engineRunning ? try await DockerDaemon.start(in: scratch) : nil
    defer { if daemon == nil { scratch.remove() } }
    var environment = [
      "HOME": scratch.path, "XDG_CONFIG_HOME": scratch.file("config"), "XDG_STATE_HOME": scratch.file("state"),
      "XDG_RUNTIME_DIR": scratch.file("run"), "DOCKER_HOST": "unix://\(scratch.file("docker.sock"))",
    ]
    for (key, value) in transcript.environment {
      environment[key] = value.replacing(ProtocolTranscript.placeholderDirectory, with: scratch.path)
    }

    let session = try ServeSession(
      framing: transcript.framing, environment: PreflightBinary.cleanEnvironment(environment))
    var received: [JSONValue] = []
    do {
      for entry in transcript.entries {
        switch entry.direction {
        case .clientToServer: try await session.sendRaw(transcript.wireBytes(entry, directory: scratch.path))
        case .serverToClient: received.append(try await session.nextMessage(timeout: .seconds(60)))
        }
      }
    } catch {
      await daemon?.stop()
      throw error
    }
    let status = try await session.finish(timeout: .seconds(60))
    let unexpected = await session.drainInbox()
    await daemon?.stop()

    let actual = received.map {
      ExampleNormalization.replacing(scratch.path, with: ProtocolTranscript.placeholderDirectory, in: $0)
    }
    let serverEntries = transcript.entries.indices.filter { transcript.entries[$0].direction == .serverToClient }
    // In a new example a server message may still be a placeholder that is not JSON.
    let expectedMessages = serverEntries.map { (try? JSONValue.parse(transcript.entries[$0].body)) ?? .null }
    let expectedFacts = ExampleNormalization.engineFacts(in: expectedMessages)
    let actualFacts = ExampleNormalization.engineFacts(in: actual)
    let matches = zip(expectedMessages, actual).map { expected, message in
      ExampleNormalization.normalized(expected, engine: expectedFacts)
        == ExampleNormalization.normalized(message, engine: actualFacts)
    }
    if Self.recording {
      // A message that matches keeps its recorded text, so that a recording's diff shows only what changed.
      for ((index, message), matched) in zip(zip(serverEntries, actual), matches) where !matched {
        transcript.entries[index].body = message.serialized()
      }
      try Data(transcript.rendered()).write(to: Self.directory.appendingPathComponent(name))
      return
    }
    #expect(status == transcript.exitStatus)
    #expect(unexpected.isEmpty, "messages the transcript does not show: \(unexpected)")
    for ((index, message), matched) in zip(zip(serverEntries, actual), matches) {
      #expect(matched, "\(name), \(transcript.entries[index].marker): the server sent \(message)")
    }
  }

  static func load(_ name: String) throws -> ProtocolTranscript {
    try ProtocolTranscript(parsing: Array(try Data(contentsOf: directory.appendingPathComponent(name))))
  }
}

/// What differs between runs of an example, set to fixed values on both sides before they are compared
/// (protocol/examples/README.md lists the rules).
enum ExampleNormalization {
  static let zeroedMembers: Set<String> = ["durationMs", "elapsedMs", "pid"]
  static let engineMembers = ["version", "apiVersion", "minApiVersion", "os", "arch"]

  static func normalized(_ value: JSONValue, engine facts: [String: String]) -> JSONValue {
    switch value {
    case .object(let object):
      var result = JSONObject()
      for (key, member) in object {
        if key == "timestamp", member.stringValue != nil {
          result[key] = "<timestamp>"
        } else if zeroedMembers.contains(key), member.intValue != nil {
          result[key] = 0
        } else {
          result[key] = normalized(member, engine: facts)
        }
      }
      return .object(result)
    case .array(let elements):
      return .array(elements.map { normalized($0, engine: facts) })
    case .string(let text):
      var text = text.replacing(/[0-9]+ ms\b/, with: "<n> ms")
        .replacing(/[0-9]+(\.[0-9]+)? (?=[KMGT]iB\b)/, with: "<n> ")
      for (fact, placeholder) in facts.sorted(by: { $0.key.count > $1.key.count }) {
        text = text.replacing(fact, with: placeholder)
      }
      return .string(text)
    default:
      return value
    }
  }

  /// The engine's own values (version, API versions, os, arch) wherever a report names them, mapped to placeholders.
  static func engineFacts(in messages: [JSONValue]) -> [String: String] {
    var facts: [String: String] = [:]
    func visit(_ value: JSONValue) {
      switch value {
      case .object(let object):
        if let engine = object["engine"]?.objectValue {
          for member in engineMembers {
            if let fact = engine[member]?.stringValue, !fact.isEmpty { facts[fact] = "<engine.\(member)>" }
          }
        }
        for (_, member) in object { visit(member) }
      case .array(let elements):
        elements.forEach(visit)
      default:
        break
      }
    }
    messages.forEach(visit)
    return facts
  }

  static func replacing(_ text: String, with replacement: String, in value: JSONValue) -> JSONValue {
    switch value {
    case .object(let object): .object(JSONObject(object.map { ($0, replacing(text, with: replacement, in: $1)) }))
    case .array(let elements): .array(elements.map { replacing(text, with: replacement, in: $0) })
    case .string(let string): .string(string.replacing(text, with: replacement))
    default: value
    }
  }
}
