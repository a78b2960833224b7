import COpenSSL

/// The OpenSSL client configuration for one set of `TLSOptions`: trust, client certificate, TLS 1.2 minimum.
/// Built once (files are read here, not per connection) and shared by every connection to the endpoint.
public final class TLSContext: Sendable {
  public let options: TLSOptions
  /// `SSL_CTX*`. Not changed after `init`, and OpenSSL allows `SSL_new` on a configured context from any thread.
  nonisolated(unsafe) let sslContext: OpaquePointer
  /// Whether a client certificate is configured, to tell "the server wants one" from "it rejected ours".
  let hasClientCertificate: Bool

  public init(_ options: TLSOptions) throws(TLSError) {
    ERR_clear_error()
    defer { ERR_clear_error() }
    guard let context = SSL_CTX_new(TLS_client_method()) else {
      throw .handshakeFailed(reason: "OpenSSL could not create a TLS context")
    }
    do {
      try Self.configure(context, with: options)
    } catch {
      SSL_CTX_free(context)
      throw error
    }
    self.options = options
    self.sslContext = context
    self.hasClientCertificate = options.clientCertificatePath != nil
  }

  deinit {
    SSL_CTX_free(sslContext)
  }

  private static func configure(_ context: OpaquePointer, with options: TLSOptions) throws(TLSError) {
    guard copenssl_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
      throw .handshakeFailed(reason: "OpenSSL refused TLS 1.2 as the minimum protocol version")
    }
    // Engines never renegotiate; refusing it keeps SSL_write from ever needing to read.
    copenssl_SSL_CTX_refuse_renegotiation(context)

    if options.verifyServer {
      SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
      if let caPath = options.caCertificatePath {
        try trust(certificatesAt: caPath, in: context)
      } else if SSL_CTX_set_default_verify_paths(context) != 1 {
        throw .handshakeFailed(reason: "OpenSSL could not load the system trust store")
      }
    } else {
      // Like the docker CLI with SkipTLSVerify: the CA file is not even read.
      SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
    }

    switch (options.clientCertificatePath, options.clientKeyPath) {
    case (nil, nil):
      break
    case (let certificatePath?, nil):
      throw .invalidMaterial(path: certificatePath, reason: "a client certificate needs its private key")
    case (nil, let keyPath?):
      throw .invalidMaterial(path: keyPath, reason: "a private key needs its client certificate")
    case (let certificatePath?, let keyPath?):
      try useClientCertificate(at: certificatePath, keyAt: keyPath, in: context)
    }
  }

  /// Only these authorities are trusted: a CA file given for an engine replaces the system store, not extends it.
  private static func trust(certificatesAt path: String, in context: OpaquePointer) throws(TLSError) {
    let certificates = try TLSMaterialFile.certificates(at: path)
    defer { certificates.forEach { X509_free($0) } }
    guard let store = SSL_CTX_get_cert_store(context) else {
      throw .handshakeFailed(reason: "OpenSSL context has no certificate store")
    }
    for certificate in certificates where X509_STORE_add_cert(store, certificate) != 1 {
      throw .invalidMaterial(path: path, reason: "OpenSSL did not accept a CA certificate")
    }
  }

  private static func useClientCertificate(
    at certificatePath: String,
    keyAt keyPath: String,
    in context: OpaquePointer
  ) throws(TLSError) {
    let certificates = try TLSMaterialFile.certificates(at: certificatePath)
    defer { certificates.forEach { X509_free($0) } }
    let key = try TLSMaterialFile.privateKey(at: keyPath)
    defer { EVP_PKEY_free(key) }

    ERR_clear_error()
    guard SSL_CTX_use_certificate(context, certificates[0]) == 1 else {
      throw .invalidMaterial(path: certificatePath, reason: "unusable client certificate (\(lastReason()))")
    }
    for intermediate in certificates.dropFirst() where copenssl_SSL_CTX_add1_chain_cert(context, intermediate) != 1 {
      throw .invalidMaterial(path: certificatePath, reason: "unusable intermediate certificate (\(lastReason()))")
    }
    guard SSL_CTX_use_PrivateKey(context, key) == 1, SSL_CTX_check_private_key(context) == 1 else {
      throw .invalidMaterial(path: keyPath, reason: "the private key does not match the certificate \(certificatePath)")
    }
  }

  private static func lastReason() -> String {
    let code = ERR_peek_last_error()
    return code == 0 ? "unknown reason" : openSSLReason(code)
  }
}
