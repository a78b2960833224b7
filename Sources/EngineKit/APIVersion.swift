/// A Docker Engine API version, `1.41`: what `/_ping`'s `Api-Version` header and `/version`'s `ApiVersion` say, and
/// what versioned paths (`/v1.41/containers/create`) carry.
public struct APIVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
  public var major: Int
  public var minor: Int

  public init(_ major: Int, _ minor: Int) {
    self.major = major
    self.minor = minor
  }

  /// `1.41`; `nil` for anything else.
  public init?(_ text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else {
      return nil
    }
    self.init(major, minor)
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let version = APIVersion(text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an API version"))
    }
    self = version
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }

  public var description: String { "\(major).\(minor)" }

  public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
    (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
  }

  /// The newest API this client speaks (Docker Engine 27); newer daemons are talked to in it.
  public static let newestSupported = APIVersion(1, 47)
  /// The oldest API the docker CLI still negotiates down to (Docker 1.12); older daemons are refused.
  public static let oldestSupported = APIVersion(1, 24)
  /// What a daemon that sends no `Api-Version` header speaks, as the docker CLI assumes.
  public static let withoutHeader = APIVersion(1, 24)

  /// As the docker CLI negotiates: the lower of ours and the daemon's (`1.24` when it does not say).
  public static func negotiated(daemon: APIVersion?) -> APIVersion {
    min(newestSupported, daemon ?? withoutHeader)
  }

  /// Negotiates as the docker CLI does, from what the daemon said (`Api-Version`, or `/version`'s `ApiVersion`);
  /// `api-too-old` when the result is below `minimum`.
  public static func negotiate(daemonSays daemon: String?, minimum: APIVersion, endpoint: String)
    throws(EngineError) -> APIVersion
  {
    let negotiated = negotiated(daemon: daemon.flatMap(APIVersion.init))
    guard negotiated >= minimum else {
      let said = daemon.map { "API \($0)" } ?? "no API version (so \(withoutHeader), as the docker CLI assumes)"
      throw EngineError(
        kind: .apiTooOld, endpoint: endpoint,
        message: "the engine at \(endpoint) speaks \(said), older than the \(minimum) needed",
        recommendation: "Upgrade the engine, or lower the minimum (minApiVersion) if older is good enough")
    }
    return negotiated
  }
}
