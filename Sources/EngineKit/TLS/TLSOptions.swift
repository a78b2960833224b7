/// How to secure a `tcp://` connection to an engine: the docker CLI's `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`,
/// or a docker context's TLS files and `SkipTLSVerify`.
public struct TLSOptions: Sendable, Hashable {
  /// PEM file of the certificate authorities the server's certificate must chain to; `nil` uses the system trust
  /// store. When set, only these authorities are trusted. Not read at all when `verifyServer` is false.
  public var caCertificatePath: String?
  /// PEM file with the client certificate (optionally followed by intermediates); needs `clientKeyPath`.
  public var clientCertificatePath: String?
  /// PEM file with the unencrypted private key of `clientCertificatePath`.
  public var clientKeyPath: String?
  /// `false` accepts any server certificate (`SkipTLSVerify`, or `DOCKER_CERT_PATH` without `DOCKER_TLS_VERIFY`).
  public var verifyServer: Bool
  /// The name sent as SNI and checked against the server's certificate (an IP address is checked against its IP
  /// SANs and not sent as SNI). When set it overrides the host a `TLSClientHandler` is created with.
  public var serverName: String?

  public init(
    caCertificatePath: String? = nil,
    clientCertificatePath: String? = nil,
    clientKeyPath: String? = nil,
    verifyServer: Bool = true,
    serverName: String? = nil
  ) {
    self.caCertificatePath = caCertificatePath
    self.clientCertificatePath = clientCertificatePath
    self.clientKeyPath = clientKeyPath
    self.verifyServer = verifyServer
    self.serverName = serverName
  }

  /// The layout of `DOCKER_CERT_PATH` and of a context's `tls/<digest>/docker/` folder: `ca.pem`, `cert.pem`,
  /// `key.pem`.
  public init(certificateDirectory: String, verifyServer: Bool, serverName: String? = nil) {
    let directory = certificateDirectory.hasSuffix("/") ? String(certificateDirectory.dropLast()) : certificateDirectory
    self.init(
      caCertificatePath: directory + "/ca.pem",
      clientCertificatePath: directory + "/cert.pem",
      clientKeyPath: directory + "/key.pem",
      verifyServer: verifyServer,
      serverName: serverName
    )
  }
}
