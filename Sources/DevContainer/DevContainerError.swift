/// Why a devcontainer.json cannot be used: each names the file, and where it can, the line, column or key.
public enum DevContainerError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No devcontainer.json where the Dev Containers tools look for one.
  case notFound(searched: [String])
  case unreadable(path: String, reason: String)
  /// Not JSON with comments: the line and column of the first error.
  case malformed(path: String, line: Int, column: Int, reason: String)
  /// A key holds a value of the wrong kind.
  case invalidValue(path: String, key: String, expected: String)

  public var description: String {
    switch self {
    case .notFound(let searched):
      "no devcontainer.json: looked for \(searched.joined(separator: " and "))"
    case .unreadable(let path, let reason):
      "cannot read \(path): \(reason)"
    case .malformed(let path, let line, let column, let reason):
      "\(path):\(line):\(column): \(reason)"
    case .invalidValue(let path, let key, let expected):
      "\(path): \"\(key)\" must be \(expected)"
    }
  }
}
