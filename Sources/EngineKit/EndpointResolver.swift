#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Works out which engine endpoint the docker CLI would use, and says where that came from.
///
/// Order, as in docker/cli (`resolveContextName`, `resolveDefaultDockerEndpoint`): `--context` > `--host` >
/// `DOCKER_HOST` > `DOCKER_CONTEXT` > `currentContext` in `$DOCKER_CONFIG/config.json` > the platform default.
/// `--host` and `DOCKER_HOST` select the built-in `default` context, whose endpoint is that host (with TLS from
/// `DOCKER_TLS_VERIFY`/`DOCKER_TLS`/`DOCKER_CERT_PATH`); naming `default` explicitly does the same. Files are read
/// only when the order gets to them, and never written.
public struct EndpointResolver: Sendable {
  public var hostFlag: String?
  public var contextFlag: String?
  public var environment: [String: String]
  /// Told of a `config.json` skipped because this user may not read it (the docker CLI warns and goes on); the
  /// resolution then goes on as without the file. Called each time the file is read, so the receiver may see one
  /// file more than once.
  public var skippedFileHandler: (@Sendable (SkippedConfigurationFile) -> Void)?

  /// The name of the built-in context: `DOCKER_HOST` or the platform default, never a stored one.
  public static let defaultContextName = "default"
  /// `config.json` also holds registry credentials; a few MiB is already far more than any real one.
  static let maximumConfigSize = 4 << 20

  public init(hostFlag: String? = nil, contextFlag: String? = nil, environment: [String: String]) {
    self.hostFlag = hostFlag
    self.contextFlag = contextFlag
    self.environment = environment
  }

  /// The context that decides the endpoint, and what chose it.
  public struct ContextChoice: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable {
      /// `--context`.
      case flag = "--context"
      /// `--host` or `DOCKER_HOST` chose `default`.
      case host = "host"
      case environment = "DOCKER_CONTEXT"
      case configFile = "currentContext"
      /// Nothing was configured.
      case fallback = "default"
    }
    public var name: String
    public var reason: Reason
  }

  /// `$DOCKER_CONFIG`, else `~/.docker` (`$HOME`, else the password database).
  public var configDirectory: String {
    if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty { return directory.trimmingTrailingSlash }
    return homeDirectory.trimmingTrailingSlash + "/.docker"
  }

  public var contextStore: DockerContextStore { DockerContextStore(configDirectory: configDirectory) }

  /// `$DOCKER_CONFIG/config.json`.
  public var configFilePath: String { configDirectory + "/config.json" }

  public func resolve() throws(EndpointError) -> Endpoint {
    let choice = try contextChoice()
    guard choice.name != Self.defaultContextName else { return try defaultContextEndpoint() }
    let store = contextStore
    return try store.endpoint(for: store.context(named: choice.name))
  }

  /// Which context the docker CLI would use. Reads `config.json` only when no flag or variable decides.
  public func contextChoice() throws(EndpointError) -> ContextChoice {
    let context = contextFlag.flatMap { $0.isEmpty ? nil : $0 }
    let host = hostFlag.flatMap { $0.isEmpty ? nil : $0 }
    if context != nil && host != nil {
      throw .conflictingOptions("cannot specify both --host and --context")
    }
    if let context { return ContextChoice(name: context, reason: .flag) }
    if host != nil || nonEmpty("DOCKER_HOST") != nil {
      return ContextChoice(name: Self.defaultContextName, reason: .host)
    }
    if let name = nonEmpty("DOCKER_CONTEXT") { return ContextChoice(name: name, reason: .environment) }
    if let name = try currentContextInConfigFile(), !name.isEmpty {
      return ContextChoice(name: name, reason: .configFile)
    }
    return ContextChoice(name: Self.defaultContextName, reason: .fallback)
  }

  /// The credential helpers `config.json` names: `credsStore` for every registry, `credHelpers` per registry. The
  /// docker CLI runs `docker-credential-NAME` for them, from its PATH.
  public func credentialHelpers() throws(EndpointError) -> (store: String?, perRegistry: [String: String]) {
    let handler = skippedFileHandler
    guard
      let fields = try ConfigurationFile.fields(
        at: configFilePath, limit: Self.maximumConfigSize, skipping: { handler?($0) })
    else {
      return (nil, [:])
    }
    var perRegistry: [String: String] = [:]
    for (registry, helper) in try fields.object("credHelpers")?.object ?? [:] {
      if let name = helper.stringValue { perRegistry[registry] = name }
    }
    return (try fields.string("credsStore").flatMap { $0.isEmpty ? nil : $0 }, perRegistry)
  }

  /// `currentContext` in `config.json`; `nil` when the file or the key is missing, or when this user may not read
  /// the file (then ``skippedFileHandler`` is told): docker/cli's `LoadDefaultConfigFile` only warns about a file
  /// it cannot open. A file that is read but malformed stays an error here, where the docker CLI would also only warn:
  /// a damaged file is something to fix, and guessing past it could reach the wrong engine.
  public func currentContextInConfigFile() throws(EndpointError) -> String? {
    let handler = skippedFileHandler
    return try ConfigurationFile.fields(
      at: configFilePath, limit: Self.maximumConfigSize, skipping: { handler?($0) }
    )?.string("currentContext")
  }

  /// The built-in context's endpoint: `--host`, else `DOCKER_HOST`, else the platform default. With TLS configured
  /// through the environment and no host, the docker CLI's default is `tcp://localhost:2376`.
  func defaultContextEndpoint() throws(EndpointError) -> Endpoint {
    let tls = environmentTLS
    if let host = hostFlag, !host.isEmpty { return try Endpoint(parsing: host, source: .flag, tls: tls) }
    if let host = nonEmpty("DOCKER_HOST") { return try Endpoint(parsing: host, source: .environment, tls: tls) }
    if tls != nil { return try Endpoint(parsing: "tcp://localhost:2376", source: .default, tls: tls) }
    return Self.platformDefault
  }

  /// TLS as docker/cli's `ClientOptions.SetDefaultOptions` derives it from the environment: on when
  /// `DOCKER_TLS_VERIFY` or `DOCKER_TLS` is non-empty, verifying only with `DOCKER_TLS_VERIFY`; files from
  /// `DOCKER_CERT_PATH` (default: the config directory), the client pair only where both files exist.
  var environmentTLS: TLSOptions? {
    let verify = nonEmpty("DOCKER_TLS_VERIFY") != nil
    guard verify || nonEmpty("DOCKER_TLS") != nil else { return nil }
    let directory = (nonEmpty("DOCKER_CERT_PATH") ?? configDirectory).trimmingTrailingSlash
    let certificate = directory + "/cert.pem"
    let key = directory + "/key.pem"
    return TLSOptions(
      caCertificatePath: directory + "/ca.pem",
      clientCertificatePath: BoundedFile.exists(certificate) ? certificate : nil,
      clientKeyPath: BoundedFile.exists(key) ? key : nil,
      verifyServer: verify)
  }

  /// `unix:///var/run/docker.sock`, or the engine pipe on Windows.
  public static var platformDefault: Endpoint {
    #if os(Windows)
      Endpoint(
        host: "npipe:////./pipe/docker_engine", transport: .namedPipe(path: "//./pipe/docker_engine"),
        source: .default)
    #else
      Endpoint(host: "unix:///var/run/docker.sock", transport: .unix(path: "/var/run/docker.sock"), source: .default)
    #endif
  }

  private func nonEmpty(_ name: String) -> String? {
    guard let value = environment[name], !value.isEmpty else { return nil }
    return value
  }

  private var homeDirectory: String {
    if let home = nonEmpty("HOME") { return home }
    if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir { return String(cString: directory) }
    return "/"
  }
}
