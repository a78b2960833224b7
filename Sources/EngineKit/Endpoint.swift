/// Where an engine listens, how to reach it, and where we learned of it.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
  /// The address as the docker CLI writes it: `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376`, …
  public var host: String
  public var transport: Transport
  public var source: EndpointSource
  /// TLS settings for `tcp://` endpoints; `nil` for plain connections.
  public var tls: TLSOptions?

  public init(host: String, transport: Transport, source: EndpointSource, tls: TLSOptions? = nil) {
    self.host = host
    self.transport = transport
    self.source = source
    self.tls = tls
  }

  public var description: String { host }

  /// Parses a docker host address (`-H`, `DOCKER_HOST`, a context's `Endpoints.docker.Host`). `tls` applies to
  /// `tcp://` only: like the docker CLI, sockets and ssh ignore it.
  public init(parsing host: String, source: EndpointSource, tls: TLSOptions? = nil) throws(EndpointError) {
    let transport = try Transport(parsing: host, defaultTCPPort: tls == nil ? 2375 : 2376)
    let usesTLS = if case .tcp = transport { tls } else { TLSOptions?.none }
    self.init(host: host.trimmingWhitespace, transport: transport, source: source, tls: usesTLS)
  }
}

/// How bytes reach the engine.
public enum Transport: Sendable, Hashable {
  case unix(path: String)
  case tcp(host: String, port: Int)
  /// `socketPath` is the engine socket on the remote host (`ssh://host/run/docker.sock`); `nil` lets the remote
  /// docker CLI use its own default.
  case ssh(user: String?, host: String, port: Int?, socketPath: String? = nil)
  /// A Windows named pipe, e.g. `//./pipe/docker_engine`.
  case namedPipe(path: String)

  /// The short name used in reports: `unix`, `tcp`, `tcp+tls` is decided by the endpoint, `ssh`, `npipe`.
  public var name: String {
    switch self {
    case .unix: "unix"
    case .tcp: "tcp"
    case .ssh: "ssh"
    case .namedPipe: "npipe"
    }
  }

  /// Parses `unix://PATH`, `tcp://HOST[:PORT]`, `ssh://[USER@]HOST[:PORT][/SOCKET]`, `npipe://PATH`, and a bare
  /// absolute socket path, as the docker CLI accepts them. A `tcp://` address without a port gets `defaultTCPPort`:
  /// 2375, or 2376 when TLS is on (as `docker -H` does).
  public init(parsing host: String, defaultTCPPort: Int = 2375) throws(EndpointError) {
    let host = host.trimmingWhitespace
    if host.hasPrefix("/") {
      self = .unix(path: host)
      return
    }
    guard let separator = host.firstByteRange(of: "://") else {
      throw .invalidHost(host, reason: "it has no scheme; use unix://, tcp://, ssh:// or npipe://")
    }
    let scheme = host[..<separator.lowerBound].lowercased()
    let rest = String(host[separator.upperBound...])
    switch scheme {
    case "unix":
      guard !rest.isEmpty else { throw .invalidHost(host, reason: "the socket path is empty") }
      self = .unix(path: rest)
    case "tcp", "http", "https":
      let (name, port) = try Self.hostAndPort(rest, original: host)
      self = .tcp(host: name, port: port ?? defaultTCPPort)
    case "ssh":
      var authority = rest
      var socketPath: String?
      if let slash = authority.firstIndex(of: "/") {
        let path = String(authority[slash...])
        if path.contains(where: { $0 != "/" }) { socketPath = path }
        authority = String(authority[..<slash])
      }
      guard !authority.contains("?"), !authority.contains("#"), !(socketPath ?? "").contains("?") else {
        throw .invalidHost(host, reason: "query parameters and fragments are not allowed in ssh:// addresses")
      }
      var user: String?
      if let at = authority.lastIndex(of: "@") {
        user = String(authority[..<at])
        authority = String(authority[authority.index(after: at)...])
        guard let name = user, !name.contains(":") else {
          throw .invalidHost(host, reason: "a password in an ssh:// address is not supported; use a key or an agent")
        }
      }
      let (name, port) = try Self.hostAndPort(authority, original: host)
      self = .ssh(user: user, host: name, port: port, socketPath: socketPath)
    case "npipe":
      guard !rest.isEmpty else { throw .invalidHost(host, reason: "the pipe path is empty") }
      self = .namedPipe(path: rest)
    default:
      throw .invalidHost(host, reason: "the scheme \(scheme):// is not one the docker CLI supports")
    }
  }

  private static func hostAndPort(_ authority: String, original: String) throws(EndpointError) -> (String, Int?) {
    var authority = authority
    if let slash = authority.firstIndex(of: "/") { authority = String(authority[..<slash]) }
    if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
      let name = String(authority[authority.index(after: authority.startIndex)..<close])
      try checkCharacters(name, original: original)
      let rest = authority[authority.index(after: close)...]
      guard rest.isEmpty || rest.hasPrefix(":") else { throw .invalidHost(original, reason: "malformed IPv6 address") }
      return (name, rest.isEmpty ? nil : try port(String(rest.dropFirst()), original: original))
    }
    guard let colon = authority.lastIndex(of: ":") else {
      guard !authority.isEmpty else { throw .invalidHost(original, reason: "the host name is empty") }
      try checkCharacters(authority, original: original)
      return (authority, nil)
    }
    let name = String(authority[..<colon])
    guard !name.isEmpty else { throw .invalidHost(original, reason: "the host name is empty") }
    try checkCharacters(name, original: original)
    return (name, try port(String(authority[authority.index(after: colon)...]), original: original))
  }

  /// A host name goes into the `Host` header of every request: a space or a control character (a line break that
  /// would start a header of its own) is refused here, with the address that holds it.
  private static func checkCharacters(_ name: String, original: String) throws(EndpointError) {
    guard name.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
      throw .invalidHost(original, reason: "the host name contains a space or a control character")
    }
  }

  private static func port(_ text: String, original: String) throws(EndpointError) -> Int {
    guard let port = Int(text), (1...65535).contains(port) else {
      throw .invalidHost(original, reason: "\"\(text)\" is not a port number")
    }
    return port
  }
}

extension String {
  /// Without leading and trailing white space (Unicode's White_Space), found scalar by scalar from each end.
  public var trimmingWhitespace: String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }
}

/// Where an endpoint came from, in the order the docker CLI consults them.
public enum EndpointSource: Sendable, Hashable, CustomStringConvertible {
  /// `--host`/`-H`.
  case flag
  /// `DOCKER_HOST`.
  case environment
  /// A docker context, chosen by `--context`, `DOCKER_CONTEXT` or `currentContext`.
  case context(String)
  /// The platform's default socket.
  case `default`
  /// Found on this machine (a provider's socket), not configured.
  case discovered(String)
  /// Named in an error text that `explain` was given.
  case namedInText

  public var description: String {
    switch self {
    case .flag: "flag"
    case .environment: "env DOCKER_HOST"
    case .context(let name): "context \(name)"
    case .default: "default"
    case .discovered(let provider): "discovered \(provider)"
    case .namedInText: "named in the text"
    }
  }
}
