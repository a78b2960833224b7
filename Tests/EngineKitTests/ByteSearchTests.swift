import EngineKit
import Testing

@Suite("Byte-wise substring search")
struct ByteSearchTests {
  /// The standard library's Character-wise search is the reference wherever the needle is ASCII, as ours are.
  @Test(
    "agrees with the standard library's search",
    arguments: [
      ("unix:///var/run/docker.sock", "://"), ("tcp://h:2375", "tcp"), ("aaab", "aab"), ("abc", "abcd"),
      ("no scheme", "://"), ("6.6.87.2-microsoft-standard-WSL2", "microsoft-standard"), ("é://x", "://"),
      ("", "x"), ("x", "x"), ("ab://", "://"), ("/Applications/Docker.app/Contents", "/Docker.app/"),
    ])
  func agreesWithFirstRange(haystack: String, needle: String) {
    #expect(haystack.firstByteRange(of: needle) == haystack.firstRange(of: needle))
    #expect(haystack.containsBytes(needle) == haystack.contains(needle))
  }

  @Test("an empty needle is found at the start")
  func emptyNeedle() {
    let text = "abc"
    #expect(text.firstByteRange(of: "") == text.startIndex..<text.startIndex)
  }
}
