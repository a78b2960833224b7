#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The current time as ISO 8601 in UTC with milliseconds: `2026-11-26T21:37:52.123Z`.
public func currentTimestamp() -> String {
  var now = timespec()
  clock_gettime(CLOCK_REALTIME, &now)
  var parts = tm()
  var seconds = now.tv_sec
  gmtime_r(&seconds, &parts)
  func pad(_ value: Int32, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
  }
  let year = pad(parts.tm_year + 1900, 4)
  let date = "\(year)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
  let time = "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
  return "\(date)T\(time).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
}

extension Duration {
  /// Whole milliseconds, for reports.
  public var milliseconds: Int {
    Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
  }
}
