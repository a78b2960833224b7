import JSON

extension PreflightServer {
  /// Ends the session's watch, if any; answers `{}` once no more `healthChanged` can follow.
  func unwatch() async -> JSONValue {
    await watches.stop()
    return .object([:])
  }
}
