import JSON
import SystemPackage

/// Reads the configuration: built-in defaults, then the file (`PREFLIGHT_CONFIG` or
/// `$XDG_CONFIG_HOME/docker-preflight/config.json`), then the environment. A value that cannot be used is an error
/// naming its source, its key and what was expected; an unknown key is only a warning, so that a newer file still
/// works with an older binary.
public struct ConfigurationLoader: Sendable {
  public var environment: [String: String]

  public init(environment: [String: String]) {
    self.environment = environment
  }

  /// Configuration files larger than this are refused: a configuration is a handful of keys.
  static let maxFileBytes = 1 << 20

  public func load() throws(PreflightError) -> PreflightConfiguration {
    var configuration = PreflightConfiguration()
    let file = PreflightPaths(environment: environment).configFile
    let named = environment["PREFLIGHT_CONFIG"].map { !$0.isEmpty } ?? false
    switch readFile(file, limit: Self.maxFileBytes) {
    case .success(let bytes):
      try apply(file: bytes, named: file, to: &configuration)
      configuration.file = file
    case .failure(.noSuchFileOrDirectory) where !named:
      break
    case .failure(let error):
      if let warning = Self.skipping(file, failing: error.rawValue, named: named) {
        configuration.warnings.append(warning)
      } else {
        throw .configuration(source: file, key: nil, problem: "cannot be read: \(error)")
      }
    }
    try applyEnvironment(to: &configuration)
    return configuration
  }

  /// The warning for a file found at its default place that this user may not read (`EACCES`, `EPERM`: a `HOME`
  /// kept after dropping privileges), which is then treated as absent, as the docker CLI treats its `config.json`;
  /// `nil` when the failure is an error. A file `PREFLIGHT_CONFIG` names stays an error: it was asked for, and
  /// going on without it could run a heal without the start command or consent it holds.
  static func skipping(_ file: String, failing code: Int32, named: Bool) -> String? {
    guard !named else { return nil }
    let name: String
    switch Errno(rawValue: code) {
    case .permissionDenied: name = "EACCES"
    case .notPermitted: name = "EPERM"
    default: return nil
    }
    return "cannot read \(file): \(Errno(rawValue: code)) (\(name)); going on without it"
  }

  /// Applies the keys of one configuration file.
  func apply(
    file bytes: [UInt8], named file: String, to configuration: inout PreflightConfiguration
  ) throws(PreflightError) {
    let document: JSONValue
    do {
      document = try JSONValue.parse(bytes)
    } catch {
      throw .configuration(source: file, key: nil, problem: "not valid JSON: \(error)")
    }
    guard let object = document.objectValue else {
      throw .configuration(source: file, key: nil, problem: "expected a JSON object, found \(document.typeName)")
    }
    let field = FieldReader(source: file)
    for (key, value) in object {
      switch key {
      case "startCommand": configuration.startCommand = try field.command(value, key: key)
      case "timeout": configuration.timeout = try field.duration(value, key: key)
      case "hungAfter": configuration.hungAfter = try field.duration(value, key: key)
      case "minApiVersion": configuration.minApiVersion = try field.apiVersion(value, key: key)
      case "probeImage": configuration.probeImage = try field.string(value, key: key)
      case "dockerPath": configuration.dockerPath = try field.string(value, key: key)
      case "actionLog": configuration.actionLog = try field.string(value, key: key)
      case "heal":
        guard let heal = value.objectValue else {
          throw .configuration(
            source: file, key: key, problem: "expected an object such as {\"allow\": true}, found \(value.typeName)")
        }
        for (healKey, healValue) in heal {
          switch healKey {
          case "allow": configuration.healAllowed = try field.bool(healValue, key: "heal.allow")
          case "strategies": configuration.healStrategies = try field.strings(healValue, key: "heal.strategies")
          default: configuration.warnings.append("\(file): unknown key \"heal.\(healKey)\" (ignored)")
          }
        }
      case "$schema", "$comment": break
      default: configuration.warnings.append("\(file): unknown key \"\(key)\" (ignored)")
      }
    }
  }

  func applyEnvironment(to configuration: inout PreflightConfiguration) throws(PreflightError) {
    if let text = environment["PREFLIGHT_START_COMMAND"], !text.isEmpty {
      let source = "environment variable PREFLIGHT_START_COMMAND"
      let value: JSONValue
      do {
        value = try JSONValue.parse(text)
      } catch {
        throw .configuration(
          source: source, key: nil, problem: "expected a JSON array of strings such as [\"colima\",\"start\"]: \(error)"
        )
      }
      configuration.startCommand = try FieldReader(source: source).command(value, key: nil)
    }
    if let text = environment["PREFLIGHT_HEAL"], !text.isEmpty {
      switch text.lowercased() {
      case "1", "true", "yes": configuration.healAllowed = true
      case "0", "false", "no": configuration.healAllowed = false
      default:
        throw .configuration(
          source: "environment variable PREFLIGHT_HEAL", key: nil,
          problem: "expected 1 (consent to heal) or 0, found \"\(text)\"")
      }
    }
    if let text = environment["PREFLIGHT_TIMEOUT"], !text.isEmpty {
      guard let duration = DurationText.parse(text), duration > .zero else {
        throw .configuration(
          source: "environment variable PREFLIGHT_TIMEOUT", key: nil,
          problem: "expected a duration such as 90s, 500ms or 2m, found \"\(text)\"")
      }
      configuration.timeout = duration
    }
    if let path = environment["PREFLIGHT_ACTION_LOG"], !path.isEmpty { configuration.actionLog = path }
  }
}

/// Reads typed values out of a configuration document, failing with the source and key.
private struct FieldReader {
  let source: String

  func fail(_ key: String?, _ expected: String, _ value: JSONValue) -> PreflightError {
    let found = value.stringValue.map { "\"\($0)\"" } ?? value.typeName
    return .configuration(source: source, key: key, problem: "expected \(expected), found \(found)")
  }

  func string(_ value: JSONValue, key: String) throws(PreflightError) -> String {
    guard let text = value.stringValue, !text.isEmpty else { throw fail(key, "a non-empty string", value) }
    return text
  }

  func bool(_ value: JSONValue, key: String) throws(PreflightError) -> Bool {
    guard let flag = value.boolValue else { throw fail(key, "true or false", value) }
    return flag
  }

  func strings(_ value: JSONValue, key: String?) throws(PreflightError) -> [String] {
    guard let elements = value.arrayValue, !elements.isEmpty else {
      throw fail(key, "a non-empty array of strings", value)
    }
    var result: [String] = []
    for element in elements {
      guard let text = element.stringValue else { throw fail(key, "an array of strings", element) }
      result.append(text)
    }
    return result
  }

  /// argv: the program first, never a shell string. A single string with spaces is refused rather than split,
  /// because splitting it would be guessing at shell quoting.
  func command(_ value: JSONValue, key: String?) throws(PreflightError) -> [String] {
    if value.stringValue != nil {
      throw fail(key, "an array of strings (argv, e.g. [\"colima\", \"start\"]; no shell is involved)", value)
    }
    let argv = try strings(value, key: key)
    guard !argv[0].isEmpty else { throw fail(key, "a program name as the first element", value) }
    return argv
  }

  func duration(_ value: JSONValue, key: String) throws(PreflightError) -> Duration {
    let parsed: Duration? =
      switch value {
      case .string(let text): DurationText.parse(text)
      case .int, .double: value.doubleValue.flatMap { DurationText.parse(String($0)) }
      default: nil
      }
    guard let parsed, parsed > .zero else {
      throw fail(key, "a duration such as \"90s\", \"500ms\", \"2m\" or a number of seconds", value)
    }
    return parsed
  }

  func apiVersion(_ value: JSONValue, key: String) throws(PreflightError) -> String {
    let parts = value.stringValue?.split(separator: ".", omittingEmptySubsequences: false) ?? []
    guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
      throw fail(key, "an API version such as \"1.41\"", value)
    }
    return value.stringValue!
  }
}
