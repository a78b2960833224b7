#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The current time as ISO 8601 in UTC with milliseconds: `2026-11-26T21:37:52.123Z`.
public func currentTimestamp() -> String {
  var now = timespec()
  clock_gettime(CLOCK_REALTIME, &now)
  return timestamp(secondsSinceEpoch: Int64(now.tv_sec), milliseconds: Int(now.tv_nsec / 1_000_000))
}

/// ISO 8601 in UTC, computed rather than asked of `gmtime_r`, which reads /etc/localtime on its first call.
func timestamp(secondsSinceEpoch seconds: Int64, milliseconds: Int) -> String {
  let days = seconds.floorDivided(by: 86_400)
  let secondOfDay = seconds - days * 86_400
  // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count, in 400-year eras from 0000-03-01.
  let shifted = days + 719_468
  let era = shifted.floorDivided(by: 146_097)
  let dayOfEra = shifted - era * 146_097
  let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
  let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
  let shiftedMonth = (5 * dayOfYear + 2) / 153
  let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
  let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
  let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  func pad(_ value: Int64, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.utf8.count)) + text
  }
  let date = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
  let time = "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
  return "\(date)T\(time).\(pad(Int64(milliseconds), 3))Z"
}

extension Int64 {
  /// Division rounding toward negative infinity (days before 1970 belong to the day they fall in).
  fileprivate func floorDivided(by divisor: Int64) -> Int64 {
    let quotient = self / divisor
    return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
  }
}

extension Duration {
  /// Whole milliseconds, for reports.
  public var milliseconds: Int {
    Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
  }
}
