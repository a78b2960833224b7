extension StringProtocol {
  /// The first occurrence of `needle`, found by comparing UTF-8 bytes.
  ///
  /// For the searches on a one-shot `check`'s path: the standard library's `firstRange(of:)` and `contains(_:)` with
  /// a string build a table keyed by `Character` on every call, and the first one costs a lookup of `Character`'s
  /// `Hashable` conformance, a scan of every conformance record in the binary. Byte for byte is also what these
  /// searches mean: `://` in an address, `microsoft` in a kernel release.
  public func firstByteRange(of needle: String) -> Range<Index>? {
    let needle = Array(needle.utf8)
    guard let first = needle.first else { return startIndex..<startIndex }
    let bytes = utf8
    var start = bytes.startIndex
    while let candidate = bytes[start...].firstIndex(of: first) {
      var end = candidate
      var matched = 0
      while matched < needle.count, end < bytes.endIndex, bytes[end] == needle[matched] {
        matched += 1
        end = bytes.index(after: end)
      }
      if matched == needle.count { return candidate..<end }
      start = bytes.index(after: candidate)
    }
    return nil
  }

  /// Whether `needle` occurs, compared byte for byte (see ``firstByteRange(of:)``).
  public func containsBytes(_ needle: String) -> Bool { firstByteRange(of: needle) != nil }
}
