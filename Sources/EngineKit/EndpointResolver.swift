/// Works out which engine endpoint the docker CLI would use, and says where that came from.
///
/// Order, as in docker/cli: `--context` > `--host` > `DOCKER_HOST` > `DOCKER_CONTEXT` > `currentContext` in
/// `$DOCKER_CONFIG/config.json` > the platform default.
public struct EndpointResolver: Sendable {
  public var hostFlag: String?
  public var contextFlag: String?
  public var environment: [String: String]

  public init(hostFlag: String? = nil, contextFlag: String? = nil, environment: [String: String]) {
    self.hostFlag = hostFlag
    self.contextFlag = contextFlag
    self.environment = environment
  }

  public func resolve() throws(EndpointError) -> Endpoint {
    if let hostFlag, !hostFlag.isEmpty {
      return try Endpoint(parsing: hostFlag, source: .flag)
    }
    if let host = environment["DOCKER_HOST"], !host.isEmpty {
      return try Endpoint(parsing: host, source: .environment)
    }
    return Self.platformDefault
  }

  /// `unix:///var/run/docker.sock`, or Docker Desktop's engine pipe on Windows.
  public static var platformDefault: Endpoint {
    #if os(Windows)
      Endpoint(host: "npipe:////./pipe/docker_engine", transport: .namedPipe(path: "//./pipe/docker_engine"), source: .default)
    #else
      Endpoint(host: "unix:///var/run/docker.sock", transport: .unix(path: "/var/run/docker.sock"), source: .default)
    #endif
  }
}
