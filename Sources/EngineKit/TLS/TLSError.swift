/// Why a TLS connection to an engine could not be set up. Reasons name files and what went wrong, never key
/// material.
public enum TLSError: Error, Sendable, Equatable {
  /// A CA, certificate or key file is missing or cannot be read.
  case unreadableFile(path: String, reason: String)
  /// A file was read but does not hold what it should: not PEM, an encrypted key, a key that does not match its
  /// certificate.
  case invalidMaterial(path: String, reason: String)
  /// We rejected the server's certificate (untrusted issuer, expired, name mismatch...).
  case serverCertificateRejected(reason: String)
  /// The server rejected us: it needs a client certificate, or does not trust the one we sent.
  case clientCertificateRejected(reason: String)
  /// Any other handshake failure: no common protocol version, or the peer does not speak TLS at all.
  case handshakeFailed(reason: String)
  /// The peer closed the connection before the handshake finished.
  case connectionClosedDuringHandshake
}

extension TLSError: CustomStringConvertible {
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
    case .invalidMaterial(let path, let reason): "invalid TLS material in \(path): \(reason)"
    case .serverCertificateRejected(let reason): "the server's certificate was rejected: \(reason)"
    case .clientCertificateRejected(let reason): "the server rejected this client: \(reason)"
    case .handshakeFailed(let reason): "TLS handshake failed: \(reason)"
    case .connectionClosedDuringHandshake: "the server closed the connection during the TLS handshake"
    }
  }
}
