import EngineKit
import Testing

@Suite("API version negotiation, as the docker CLI does it")
struct APIVersionTests {
  @Test("versions parse and order numerically", arguments: [("1.9", "1.41"), ("1.41", "1.47"), ("1.47", "2.0")])
  func ordering(lower: String, higher: String) throws {
    #expect(try #require(APIVersion(lower)) < #require(APIVersion(higher)))
  }

  @Test("anything else is not a version", arguments: ["", "1", "1.", "v1.41", "1.41.0", "a.b", "-1.2"])
  func refused(text: String) {
    #expect(APIVersion(text) == nil)
  }

  @Test(
    "the lower of ours and the daemon's; 1.24 when the daemon does not say",
    arguments: [("1.41", "1.41"), ("1.99", APIVersion.newestSupported.description), (nil, "1.24")]
      as [(String?, String)])
  func negotiated(daemon: String?, expected: String) throws {
    let version = try APIVersion.negotiate(daemonSays: daemon, minimum: .oldestSupported, endpoint: "unix:///x")
    #expect(version.description == expected)
  }

  @Test("a daemon below the minimum is api-too-old, naming both versions")
  func tooOld() {
    let error = #expect(throws: EngineError.self) {
      try APIVersion.negotiate(daemonSays: "1.40", minimum: APIVersion(1, 41), endpoint: "unix:///x")
    }
    #expect(error?.kind == .apiTooOld)
    #expect(error?.message.contains("1.40") == true)
    #expect(error?.message.contains("1.41") == true)
  }
}
