@testable import PreflightCLI
import Testing

@Suite("Command-line values")
struct TimeoutValueTests {
  @Test(
    "timeouts read as the docker CLI and people write them",
    arguments: [("90s", 90_000), ("500ms", 500), ("2m", 120_000), ("1.5", 1500), ("0", 0), ("1h", 3_600_000)])
  func parses(text: String, milliseconds: Int64) {
    #expect(TimeoutValue(argument: text)?.duration == .milliseconds(milliseconds))
  }

  @Test("nonsense is refused", arguments: ["", "abc", "-1s", "10x", "nan", "infs"])
  func refuses(text: String) {
    #expect(TimeoutValue(argument: text) == nil)
  }
}
