/// Compose's `${VAR}` interpolation of values: from the environment, then the `.env` file of the project folder (the
/// first Compose file's). `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+other}`, `${VAR+other}`,
/// `${VAR:?message}`, `${VAR?message}`; `$$` is a literal `$`. Defaults are not themselves interpolated.
public struct ComposeInterpolation: Sendable {
  public var variables: [String: String]

  public init(variables: [String: String]) { self.variables = variables }

  /// The environment over the `.env` file in `folder`, as `docker compose` sees them.
  public init(environment: [String: String], folder: String) {
    let dotEnv = (try? DevContainerConfiguration.readWhole(folder + "/.env")).map { Self.dotEnv($0) } ?? [:]
    variables = dotEnv.merging(environment) { _, environment in environment }
  }

  /// `${VAR:?message}` of a variable that is unset or empty: the message Compose fails with.
  public struct MissingVariable: Error, Sendable, Equatable {
    public var message: String
  }

  public func apply(_ text: String) throws(MissingVariable) -> String {
    guard text.contains("$") else { return text }
    var result = ""
    var rest = Substring(text)
    while let dollar = rest.firstIndex(of: "$") {
      result += rest[..<dollar]
      rest = rest[rest.index(after: dollar)...]
      if rest.first == "$" {
        result += "$"
        rest = rest.dropFirst()
      } else if rest.first == "{", let close = rest.firstIndex(of: "}") {
        result += try expand(rest[rest.index(after: rest.startIndex)..<close])
        rest = rest[rest.index(after: close)...]
      } else {
        let name = rest.prefix { $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }
        result += name.isEmpty ? "$" : variables[String(name)] ?? ""
        rest = rest.dropFirst(name.count)
      }
    }
    return result + rest
  }

  private func expand(_ body: Substring) throws(MissingVariable) -> String {
    let name = body.prefix { $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }
    let operation = body.dropFirst(name.count)
    let value = variables[String(name)]
    // With a colon, an empty value counts as unset.
    let colon = operation.hasPrefix(":")
    let set = colon ? !(value ?? "").isEmpty : value != nil
    let argument = String(operation.dropFirst(colon ? 2 : 1))
    switch operation.dropFirst(colon ? 1 : 0).first {
    case "-": return set ? value ?? "" : argument
    case "+": return set ? argument : ""
    case "?":
      guard set else {
        throw MissingVariable(
          message: "required variable \(name) is missing a value" + (argument.isEmpty ? "" : ": \(argument)"))
      }
      return value ?? ""
    default: return value ?? ""
    }
  }

  /// `KEY=value` lines (`export ` allowed, `#` comments, values in single or double quotes) of a `.env` file.
  static func dotEnv(_ bytes: [UInt8]) -> [String: String] {
    var variables: [String: String] = [:]
    for raw in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
      var line = raw.trimmingSpaces
      if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)).trimmingSpaces }
      guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<equals]).trimmingSpaces
      var value = String(line[line.index(after: equals)...]).trimmingSpaces
      if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
        value = String(value.dropFirst().dropLast())
      } else if let comment = value.firstRange(of: " #") {
        value = String(value[..<comment.lowerBound]).trimmingSpaces
      }
      if !key.isEmpty { variables[key] = value }
    }
    return variables
  }
}

extension StringProtocol {
  fileprivate var trimmingSpaces: String {
    String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
  }
}
