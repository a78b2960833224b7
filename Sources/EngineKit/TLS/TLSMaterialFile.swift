import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the PEM files named by `TLSOptions` into OpenSSL objects. Errors name the file and what is wrong with it,
/// never its content.
enum TLSMaterialFile {
  /// CA bundles such as `/etc/ssl/certs/ca-certificates.crt` are a few hundred KiB; anything far larger is not PEM.
  static let maximumSize = 8 << 20

  static func contents(of path: String) throws(TLSError) -> [UInt8] {
    do {
      return try BoundedFile.read(path, limit: maximumSize)
    } catch {
      switch error {
      case .system: throw .unreadableFile(path: path, reason: error.reason)
      case .tooLarge: throw .invalidMaterial(path: path, reason: "\(error.reason), not a PEM file")
      }
    }
  }

  /// Every `CERTIFICATE` block in the file, in order; the caller owns (and must `X509_free`) each one.
  static func certificates(at path: String) throws(TLSError) -> [OpaquePointer] {
    let bytes = try contents(of: path)
    ERR_clear_error()
    defer { ERR_clear_error() }
    var certificates: [OpaquePointer] = []
    let failure: String? = withMemoryBIO(bytes) { bio in
      while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
        certificates.append(certificate)
      }
      // Running out of input shows up as "no start line"; anything else is a damaged block.
      let code = ERR_peek_last_error()
      if code == 0 || isNoStartLine(code) { return nil }
      return openSSLReason(code)
    }
    if let failure {
      certificates.forEach { X509_free($0) }
      throw .invalidMaterial(path: path, reason: "not a valid PEM certificate (\(failure))")
    }
    guard !certificates.isEmpty else {
      throw .invalidMaterial(path: path, reason: "no PEM certificate found")
    }
    return certificates
  }

  /// The first private key in the file; the caller owns (and must `EVP_PKEY_free`) it.
  static func privateKey(at path: String) throws(TLSError) -> OpaquePointer {
    let bytes = try contents(of: path)
    ERR_clear_error()
    defer { ERR_clear_error() }
    // A callback that supplies no passphrase: without one OpenSSL would prompt on the terminal.
    let key = withMemoryBIO(bytes) { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) }
    if let key { return key }
    if bytes.containsASCII("ENCRYPTED") {
      throw .invalidMaterial(path: path, reason: "the private key is encrypted; an unencrypted PEM key is needed")
    }
    let code = ERR_peek_last_error()
    let detail = code == 0 || isNoStartLine(code) ? "" : " (\(openSSLReason(code)))"
    throw .invalidMaterial(path: path, reason: "no PEM private key found\(detail)")
  }

  private static func withMemoryBIO<Result>(_ bytes: [UInt8], _ body: (OpaquePointer) -> Result) -> Result {
    bytes.withUnsafeBytes { raw in
      let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))!
      defer { BIO_free(bio) }
      return body(bio)
    }
  }

  private static func isNoStartLine(_ code: UInt) -> Bool {
    copenssl_ERR_GET_LIB(code) == ERR_LIB_PEM && copenssl_ERR_GET_REASON(code) == PEM_R_NO_START_LINE
  }
}

/// OpenSSL's text for an error code, without the library/function prefix.
func openSSLReason(_ code: UInt) -> String {
  // Loads the error strings once; SSL_CTX_new does the same, but this may run before any context exists.
  _ = OPENSSL_init_ssl(UInt64(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS), nil)
  if let text = ERR_reason_error_string(code) { return String(cString: text) }
  return "OpenSSL error \(copenssl_ERR_GET_LIB(code)):\(copenssl_ERR_GET_REASON(code))"
}

extension [UInt8] {
  fileprivate func containsASCII(_ needle: String) -> Bool {
    let pattern = Array(needle.utf8)
    guard count >= pattern.count else { return false }
    return (0...(count - pattern.count)).contains { start in
      self[start..<(start + pattern.count)].elementsEqual(pattern)
    }
  }
}
