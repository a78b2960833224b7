import JSON

/// Takes secrets out of text that came from elsewhere (a start command's output, a daemon's log) before it reaches
/// a report, a protocol answer or the action log: the values of environment variables whose names say they are
/// secret, the registry credentials in the docker CLI's `config.json`, and PEM private keys.
///
/// A start command inherits our environment (it may need it), so whatever it prints may hold what the environment
/// holds; a script that runs `env` or `cat ~/.docker/config.json` must not put a token in a file that outlives it.
public struct SecretRedactor: Sendable {
  /// What replaces each secret.
  public static let placeholder = "[redacted]"
  /// Values shorter than this are not treated as secrets: replacing every `1` or `true` would garble the text and
  /// protect nothing.
  public static let minimumSecretLength = 6
  /// Name fragments (upper case) that mark a variable as secret.
  static let secretNameFragments = [
    "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "PRIVATE", "API_KEY", "APIKEY", "ACCESS_KEY",
    "AUTH",
  ]
  /// Suffixes of variables that name a place, not a secret (`SSH_AUTH_SOCK`, `GOOGLE_APPLICATION_CREDENTIALS_FILE`).
  static let locationSuffixes = ["_SOCK", "_FILE", "_PATH", "_DIR", "AUTHORITY"]

  /// Longest first, so that a secret containing another is replaced whole.
  public let secrets: [String]

  public init(secrets: some Sequence<String>) {
    self.secrets = Set(secrets.filter { $0.utf8.count >= Self.minimumSecretLength }).sorted {
      $0.utf8.count != $1.utf8.count ? $0.utf8.count > $1.utf8.count : $0 < $1
    }
  }

  /// The secrets of `environment` and of the registry credentials in `dockerConfigDirectory/config.json`.
  public init(environment: [String: String], dockerConfigDirectory: String?) {
    var found = environment.filter { Self.namesSecret($0.key) }.map(\.value)
    if let dockerConfigDirectory { found += Self.registryCredentials(in: dockerConfigDirectory + "/config.json") }
    self.init(secrets: found)
  }

  /// Whether a variable's name says it holds a secret.
  public static func namesSecret(_ name: String) -> Bool {
    let upper = name.uppercased()
    if locationSuffixes.contains(where: { upper.hasSuffix($0) }) { return false }
    return secretNameFragments.contains { upper.contains($0) } || upper.hasSuffix("_KEY") || upper.hasSuffix("_PAT")
  }

  /// `auths.*.auth` (base64 of `user:password`: the encoded form and the password), `identitytoken`,
  /// `registrytoken` and `password`, with keys matched as the docker CLI matches them. A missing or unreadable file
  /// has none.
  static func registryCredentials(in path: String) -> [String] {
    guard let config = try? ConfigurationFile.fields(at: path, limit: EndpointResolver.maximumConfigSize),
      let auths = try? config.object("auths"), let registries = auths.object?.keys
    else { return [] }
    var found: [String] = []
    for registry in registries {
      guard let entry = try? auths.object(registry) else { continue }
      for key in ["identitytoken", "registrytoken", "password"] {
        if let value = try? entry.string(key) { found.append(value) }
      }
      guard let auth = try? entry.string("auth") else { continue }
      found.append(auth)
      if let decoded = Base64.decode(auth), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) {
        found.append(String(decoding: decoded[decoded.index(after: colon)...], as: UTF8.self))
      }
    }
    return found
  }

  /// `text` with every secret and every PEM private key (whole, or the part of one a cut excerpt holds) replaced.
  public func redact(_ text: String) -> String {
    var result = Self.redactingPrivateKeys(text)
    for secret in secrets where result.contains(secret) {
      result = result.replacing(secret, with: Self.placeholder)
    }
    return result
  }

  /// Private key blocks, from `-----BEGIN … PRIVATE KEY-----` to the matching end line; a block an excerpt cut at
  /// either end is removed up to the cut.
  static func redactingPrivateKeys(_ text: String) -> String {
    guard text.contains("PRIVATE KEY") else { return text }
    let replacement = "[redacted private key]"
    var result = ""
    var rest = Substring(text)
    while !rest.isEmpty {
      let begin = rest.firstRange(of: "-----BEGIN ")
      let end = rest.firstRange(of: "-----END ")
      // An end line with no beginning before it: the excerpt starts inside a key.
      if let end, begin.map({ end.lowerBound < $0.lowerBound }) ?? true {
        guard let close = rest[end.upperBound...].firstRange(of: "-----") else { return result + replacement }
        if rest[end.upperBound..<close.lowerBound].hasSuffix("PRIVATE KEY") {
          result += replacement
        } else {
          result += rest[..<close.upperBound]
        }
        rest = rest[close.upperBound...]
        continue
      }
      guard let begin else { break }
      result += rest[..<begin.lowerBound]
      guard let labelEnd = rest[begin.upperBound...].firstRange(of: "-----") else {
        result += rest[begin.lowerBound...]
        return result
      }
      let label = rest[begin.upperBound..<labelEnd.lowerBound]
      guard label.hasSuffix("PRIVATE KEY") else {
        result += rest[begin.lowerBound..<labelEnd.upperBound]
        rest = rest[labelEnd.upperBound...]
        continue
      }
      // The whole block, up to its end line (or to the end of the text, where an excerpt was cut).
      guard let endLine = rest[labelEnd.upperBound...].firstRange(of: "-----END \(label)-----") else {
        return result + replacement
      }
      result += replacement
      rest = rest[endLine.upperBound...]
    }
    return result + rest
  }
}

/// Standard base64 (with or without padding), for the `auth` fields of `config.json`.
enum Base64 {
  static func decode(_ text: String) -> [UInt8]? {
    var bits: UInt32 = 0
    var count = 0
    var output: [UInt8] = []
    for byte in text.utf8 {
      let value: UInt32
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
      case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
      case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
      case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
      case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
      case UInt8(ascii: "="): continue
      default: return nil
      }
      bits = bits << 6 | value
      count += 6
      if count >= 8 {
        count -= 8
        output.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
      }
    }
    return output
  }
}
