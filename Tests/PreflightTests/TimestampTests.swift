import Testing

@testable import Preflight

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("Report timestamps")
struct TimestampTests {
  /// What the C library makes of the same second: the computed calendar must agree with it everywhere, leap days,
  /// century years and days before 1970 included.
  @Test(
    "ISO 8601 in UTC agrees with gmtime_r",
    arguments: [
      Int64(0), -1, -86_400, 951_782_400, 951_868_799, 4_107_542_400, 1_796_500_000, 253_402_300_799, -2_208_988_800,
      1_709_164_800, 1_735_689_599,
    ])
  func agreesWithGmtime(seconds: Int64) {
    var parts = tm()
    var time = time_t(seconds)
    gmtime_r(&time, &parts)
    let expected =
      "\(zeroPadded(parts.tm_year + 1900, 4))-\(zeroPadded(parts.tm_mon + 1, 2))-\(zeroPadded(parts.tm_mday, 2))T"
      + "\(zeroPadded(parts.tm_hour, 2)):\(zeroPadded(parts.tm_min, 2)):\(zeroPadded(parts.tm_sec, 2)).042Z"
    #expect(timestamp(secondsSinceEpoch: seconds, milliseconds: 42) == expected)
  }

  private func zeroPadded(_ value: Int32, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
  }
}
