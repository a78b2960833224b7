import JSON

/// A request's `id`: a number, a string, or (discouraged by JSON-RPC 2.0, but allowed) `null`.
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
  case number(Int64)
  case string(String)
  case null

  /// `nil` when `value` cannot be an id (fractional numbers, booleans, arrays, objects).
  public init?(_ value: JSONValue) {
    switch value {
    case .int(let number): self = .number(number)
    case .double(let number):
      guard let exact = Int64(exactly: number) else { return nil }
      self = .number(exact)
    case .string(let string): self = .string(string)
    case .null: self = .null
    default: return nil
    }
  }

  public var json: JSONValue {
    switch self {
    case .number(let number): .int(number)
    case .string(let string): .string(string)
    case .null: .null
    }
  }

  public var description: String { json.description }
}
