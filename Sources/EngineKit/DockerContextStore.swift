#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A docker context as `docker context create` stored it.
public struct DockerContext: Sendable, Hashable {
  public var name: String
  /// `Endpoints.docker.Host`; `nil` when the context names none (the docker CLI then uses the default socket).
  public var host: String?
  /// `Endpoints.docker.SkipTLSVerify`.
  public var skipTLSVerify: Bool
  /// `Metadata.Description`, as `docker context ls` shows it.
  public var contextDescription: String?
  /// `…/contexts/meta/<sha256(name)>/meta.json`.
  public var metadataPath: String
  /// `…/contexts/tls/<sha256(name)>/docker`, whether or not it exists.
  public var tlsDirectory: String
}

/// Every stored context that could be read, and what was wrong with the others.
public struct DockerContextListing: Sendable {
  /// Sorted by name.
  public var contexts: [DockerContext]
  /// One per context folder that could not be read (a corrupt `meta.json`, …), naming the file.
  public var problems: [EndpointError]
}

/// Reads the docker CLI's context store, `$DOCKER_CONFIG/contexts`. Never writes to it.
///
/// Layout (docker/cli `cli/context/store`): `meta/<sha256(name)>/meta.json` holds
/// `{"Name", "Metadata", "Endpoints": {"docker": {"Host", "SkipTLSVerify"}}}`; `tls/<sha256(name)>/docker/` holds
/// `ca.pem`, `cert.pem`, `key.pem`, each optional.
public struct DockerContextStore: Sendable {
  /// `$DOCKER_CONFIG/contexts`.
  public let directory: String
  /// A `meta.json` is a few hundred bytes; anything past this is not one.
  static let maximumMetadataSize = 1 << 20
  /// Contexts read by ``list()``; a person has a handful. Past this the rest are named as a problem, not read: a
  /// store of millions of folders must not cost as many file reads (and, in `endpoints`, connections).
  public static let maximumListed = 256

  public init(configDirectory: String) {
    directory = configDirectory.trimmingTrailingSlash + "/contexts"
  }

  /// The context called `name`; `contextNotFound` when it has no `meta.json`.
  public func context(named name: String) throws(EndpointError) -> DockerContext {
    try context(inFolder: SHA256Digest.hex(of: name), expectedName: name)
  }

  /// Every context in the store, as `docker context ls` lists them (without the built-in `default`).
  public func list() -> DockerContextListing {
    var contexts: [DockerContext] = []
    var problems: [EndpointError] = []
    let folders = Self.subdirectories(of: directory + "/meta")
    for (index, folder) in folders.enumerated() {
      guard index < Self.maximumListed else {
        problems.append(
          .unreadableFile(
            path: directory + "/meta",
            reason: "holds \(folders.count) context folders; only the first \(Self.maximumListed) were read"))
        break
      }
      guard BoundedFile.exists(metadataPath(folder)) else { continue }
      do {
        contexts.append(try context(inFolder: folder, expectedName: nil))
      } catch {
        problems.append(error)
      }
    }
    contexts.sort { $0.name < $1.name }
    return DockerContextListing(contexts: contexts, problems: problems)
  }

  /// The endpoint the context names, with its TLS material when it has any (or skips verification).
  public func endpoint(for context: DockerContext) throws(EndpointError) -> Endpoint {
    guard let host = context.host, !host.isEmpty else {
      var endpoint = EndpointResolver.platformDefault
      endpoint.source = .context(context.name)
      return endpoint
    }
    do {
      return try Endpoint(parsing: host, source: .context(context.name), tls: tlsOptions(for: context))
    } catch .invalidHost(_, let reason) {
      throw .malformedFile(path: context.metadataPath, key: "Endpoints.docker.Host", reason: "\"\(host)\": \(reason)")
    }
  }

  /// As docker/cli's `Endpoint.tlsConfig`: TLS when any material is stored or verification is skipped; a missing
  /// `ca.pem` means the system's trust store; a client certificate needs both `cert.pem` and `key.pem`.
  func tlsOptions(for context: DockerContext) -> TLSOptions? {
    let ca = context.tlsDirectory + "/ca.pem"
    let certificate = context.tlsDirectory + "/cert.pem"
    let key = context.tlsDirectory + "/key.pem"
    let hasCA = BoundedFile.exists(ca)
    let hasKeyPair = BoundedFile.exists(certificate) && BoundedFile.exists(key)
    guard hasCA || hasKeyPair || context.skipTLSVerify else { return nil }
    return TLSOptions(
      caCertificatePath: hasCA ? ca : nil,
      clientCertificatePath: hasKeyPair ? certificate : nil,
      clientKeyPath: hasKeyPair ? key : nil,
      verifyServer: !context.skipTLSVerify)
  }

  private func metadataPath(_ folder: String) -> String { "\(directory)/meta/\(folder)/meta.json" }

  private func context(inFolder folder: String, expectedName: String?) throws(EndpointError) -> DockerContext {
    let path = metadataPath(folder)
    guard let fields = try ConfigurationFile.fields(at: path, limit: Self.maximumMetadataSize) else {
      guard let expectedName else { throw .unreadableFile(path: path, reason: "it disappeared while being read") }
      throw .contextNotFound(name: expectedName, metadataPath: path)
    }
    let storedName = try fields.string("Name")
    let name = expectedName ?? storedName ?? folder
    let docker = try fields.object("Endpoints")?.object("docker")
    guard let docker else {
      throw .malformedFile(path: path, key: "Endpoints.docker", reason: "missing: the context has no docker endpoint")
    }
    return DockerContext(
      name: name,
      host: try docker.string("Host"),
      skipTLSVerify: try docker.bool("SkipTLSVerify") ?? false,
      contextDescription: try fields.object("Metadata")?.string("Description"),
      metadataPath: path,
      tlsDirectory: "\(directory)/tls/\(folder)/docker")
  }

  private static func subdirectories(of path: String) -> [String] { HostFiles.entries(of: path) }
}

extension String {
  var trimmingTrailingSlash: String {
    var text = self
    while text.count > 1 && text.hasSuffix("/") { text.removeLast() }
    return text
  }
}
