extension String {
  /// The first `limit` characters, marked when cut: what goes into error messages and logs, since a method name
  /// or an id from the client can be megabytes long.
  func excerpt(_ limit: Int = 100) -> String {
    guard let end = index(startIndex, offsetBy: limit, limitedBy: endIndex), end < endIndex else { return self }
    return self[..<end] + "…"
  }
}

extension RequestID {
  /// The id as JSON text, cut for messages and logs.
  var excerpt: String { description.excerpt() }
}
