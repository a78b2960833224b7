/// Why a byte sequence is not a JSON document we accept.
public enum JSONError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The input is longer than ``JSONLimits/maxBytes``.
  case tooLarge(size: Int, limit: Int)
  /// Arrays and objects nest deeper than ``JSONLimits/maxDepth``.
  case tooDeep(limit: Int)
  /// Not JSON: jansson's reason and where (1-based line and column, 0-based byte offset).
  case invalid(reason: String, line: Int, column: Int, offset: Int)

  public var description: String {
    switch self {
    case .tooLarge(let size, let limit):
      "JSON text of \(size) bytes exceeds the limit of \(limit) bytes"
    case .tooDeep(let limit):
      "JSON nests deeper than the limit of \(limit) levels"
    case .invalid(let reason, let line, let column, _):
      "invalid JSON at line \(line), column \(column): \(reason)"
    }
  }
}

/// Bounds on what the parser accepts, checked before jansson sees the input.
public struct JSONLimits: Sendable, Hashable {
  /// The largest document, in bytes.
  public var maxBytes: Int
  /// The deepest nesting of arrays and objects. jansson's own limit (2048) is fixed at compile time and
  /// costs stack to reach; ours is far below it.
  public var maxDepth: Int

  public init(maxBytes: Int = 4 << 20, maxDepth: Int = 64) {
    self.maxBytes = maxBytes
    self.maxDepth = maxDepth
  }

  /// 4 MiB and 64 levels: far above any message this project exchanges.
  public static let `default` = JSONLimits()
}
