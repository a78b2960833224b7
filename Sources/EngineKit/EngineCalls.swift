import JSON
import NIOHTTP1

/// What `/_ping` says in its headers.
public struct PingResult: Sendable, Hashable, Codable {
  public var apiVersion: String?
  public var osType: String?
  public var experimental: Bool?
  public var builderVersion: String?
  /// Present on Podman only.
  public var libpodAPIVersion: String?
}

/// `GET /version`, the fields we use.
///
/// Read from the answer's JSON by hand, as ``SystemInfo`` is: a synthesized `Decodable` costs a one-shot `check` a
/// scan of every protocol conformance in the binary per coding-keys type, on the path between the engine's answer and
/// the report.
public struct EngineVersion: Sendable, Hashable, Decodable {
  public struct Component: Sendable, Hashable {
    public var name: String
    public var version: String?
    public var details: JSONObject?
  }

  /// `Platform.Name`: `Docker Engine - Community`, `Docker Desktop 4.37.1 (178610)`; empty for distribution builds.
  public var platformName: String?
  public var components: [Component]?
  public var version: String
  public var apiVersion: String
  public var minAPIVersion: String?
  public var os: String?
  public var arch: String?
  public var kernelVersion: String?

  /// Throws ``IncompleteEngineAnswer`` when `Version` or `ApiVersion` is missing or a component has no `Name`.
  public init(json: JSONValue) throws(IncompleteEngineAnswer) {
    func string(_ key: String) -> String? { json[key]?.stringValue }
    guard let version = string("Version"), let apiVersion = string("ApiVersion") else {
      throw IncompleteEngineAnswer(missing: "Version, ApiVersion")
    }
    self.version = version
    self.apiVersion = apiVersion
    platformName = json["Platform"]?["Name"]?.stringValue
    minAPIVersion = string("MinAPIVersion")
    os = string("Os")
    arch = string("Arch")
    kernelVersion = string("KernelVersion")
    components = try json["Components"]?.arrayValue?.map { component throws(IncompleteEngineAnswer) in
      guard let name = component["Name"]?.stringValue else {
        throw IncompleteEngineAnswer(missing: "Components[].Name")
      }
      return Component(
        name: name, version: component["Version"]?.stringValue,
        details: component["Details"]?.objectValue)
    }
  }

  public init(from decoder: any Decoder) throws {
    try self.init(json: try decoder.singleValueContainer().decode(JSONValue.self))
  }

  /// What the engine calls itself: Docker's platform name (`Docker Engine - Community`, `Docker Desktop 4.37.1 …`),
  /// else its first component, with distribution builds' bare `Engine` (Debian's docker.io) read as `Docker Engine`.
  /// Podman's platform name is an OS triple (`linux/amd64/debian-12`), so it names itself by its component.
  public var product: String {
    if let name = platformName, name.hasPrefix("Docker") { return name }
    guard let component = components?.first?.name, !component.isEmpty else {
      return platformName.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
    }
    return component == "Engine" ? "Docker Engine" : component
  }
}

extension EngineSession {
  /// The first request of ``ping(timeout:)``, of ``version(timeout:)`` and of ``info()``: what an ``EarlyRequest`` may
  /// send ahead of them.
  public static let pingRequest = EngineRequest(.HEAD, "/_ping")
  public static let versionRequest = EngineRequest(.GET, "/version")
  public static let infoRequest = EngineRequest(.GET, "/info")

  /// `HEAD /_ping`, falling back to `GET` (as the docker CLI does) when the answer lacks Docker's headers and the
  /// connection stays open. A 5xx means the daemon is up but still starting; an answer without Docker's headers and
  /// without `OK` is not an engine.
  public func ping(timeout: Duration? = nil) async throws -> PingResult {
    var response = try await send(Self.pingRequest, timeout: timeout)
    if response.header("Api-Version") == nil && response.keepsConnectionOpen {
      response = try await send(EngineRequest(.GET, "/_ping"), timeout: timeout)
    }
    if response.status >= 500 {
      throw EngineError(
        kind: .engineStarting, endpoint: endpoint.host,
        message: "the engine at \(endpoint.host) answers \(response.status) to /_ping: it is not ready yet",
        recommendation: "Wait for it to finish starting (docker-preflight wait)")
    }
    let isEngine =
      response.status == 200 && (response.header("Api-Version") != nil || response.bodyText.hasPrefix("OK"))
    guard isEngine else {
      // A daemon listening with TLS answers plain HTTP with a bare 400 and hangs up.
      if case .tcp = endpoint.transport, endpoint.tls == nil, response.status == 400 {
        throw EngineError(
          kind: .notAnEngine, endpoint: endpoint.host,
          message: "\(endpoint.host) answers HTTP 400 to /_ping without Docker's headers: it is not a plain-HTTP "
            + "container engine (a daemon that requires TLS answers plain HTTP this way)",
          recommendation: "If it is a TLS port, set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (or use a context with "
            + "TLS material); otherwise point DOCKER_HOST at the engine")
      }
      throw EngineError(
        kind: .notAnEngine, endpoint: endpoint.host,
        message: "\(endpoint.host) answers HTTP \(response.status) to /_ping without Docker's headers: it is not a "
          + "container engine",
        recommendation: "Point DOCKER_HOST (or the context) at the engine's socket")
    }
    let result = PingResult(
      apiVersion: response.header("Api-Version"),
      osType: response.header("Ostype"),
      experimental: response.header("Docker-Experimental").map { $0 == "true" },
      builderVersion: response.header("Builder-Version"),
      libpodAPIVersion: response.header("Libpod-API-Version"))
    lastPing = result
    return result
  }

  /// `GET /version`; a 5xx is "still starting", an unreadable body "not an engine".
  public func version(timeout: Duration? = nil) async throws -> EngineVersion {
    let response = try await send(Self.versionRequest, timeout: timeout)
    return try decode(response, call: "/version", as: EngineVersion.init(json:))
  }

  /// The API version to talk in, as the docker CLI negotiates it: the lower of ours and the daemon's `Api-Version`
  /// (pinging first if this session has not). A daemon below ``minimumAPIVersion`` is `api-too-old`.
  public func negotiateAPIVersion() async throws -> APIVersion {
    let ping: PingResult
    if let lastPing { ping = lastPing } else { ping = try await self.ping() }
    return try APIVersion.negotiate(daemonSays: ping.apiVersion, minimum: minimumAPIVersion, endpoint: endpoint.host)
  }

  /// `/v1.41/containers/create` for `/containers/create`, in the negotiated version.
  public func versioned(_ path: String) async throws -> String {
    "/v\(try await negotiateAPIVersion())\(path)"
  }

  func decode<T>(_ response: EngineResponse, call: String, as read: (JSONValue) throws -> T) throws -> T {
    if response.status >= 500 {
      throw EngineError(
        kind: .engineStarting, endpoint: endpoint.host,
        message: "the engine at \(endpoint.host) answers \(response.status) to \(call): it is not ready yet",
        recommendation: "Wait for it to finish starting (docker-preflight wait)")
    }
    do {
      guard response.status == 200 else { throw EngineConnectionFailure.closedMidResponse }
      return try read(try JSONValue.parse(response.body))
    } catch {
      throw EngineError(
        kind: .notAnEngine, endpoint: endpoint.host,
        message: "\(endpoint.host) answers \(call) with HTTP \(response.status) and no engine's data",
        recommendation: "Point DOCKER_HOST (or the context) at the engine's socket")
    }
  }
}

/// An answer without what every engine sends: `/version` without `Version`, `/info` that is not an object.
public struct IncompleteEngineAnswer: Error, Sendable, Hashable {
  /// What was missing.
  public var missing: String
}
