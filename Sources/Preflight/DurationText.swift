/// Durations as people write them in flags, environment variables and configuration files: `90s`, `500ms`, `2m`,
/// `1h`, or a bare number of seconds.
public enum DurationText {
  public static func parse(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
    for (suffix, factor) in units where text.hasSuffix(suffix) {
      return milliseconds(String(text.dropLast(suffix.count)), factor: factor)
    }
    return milliseconds(text, factor: 1000)
  }

  private static func milliseconds(_ number: String, factor: Double) -> Duration? {
    guard let value = Double(number), value >= 0, value.isFinite, value * factor < Double(Int64.max) else { return nil }
    return .milliseconds(Int64(value * factor))
  }

  /// `90s`, `1500ms`: for messages; whole seconds (rounded) from 10 s up, where milliseconds are noise.
  public static func format(_ duration: Duration) -> String {
    let milliseconds = duration.milliseconds
    if milliseconds >= 10_000 { return "\((milliseconds + 500) / 1000)s" }
    return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
  }
}
