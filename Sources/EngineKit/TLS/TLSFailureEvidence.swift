import COpenSSL

/// What is known when an OpenSSL call fails, gathered on the event loop right after the call, so that the
/// classification into `TLSError` is a pure function (and testable without a peer).
struct TLSFailureEvidence: Sendable, Equatable {
  /// Whether we checked the server's certificate at all; without it `verifyResult` is meaningless.
  var verifyServer: Bool
  /// `SSL_get_verify_result`: `X509_V_OK` (0) unless our check of the server's certificate failed.
  var verifyResult: Int = Int(X509_V_OK)
  /// The name the certificate was checked against, to say so on a mismatch.
  var serverName: String?
  /// The description byte of a fatal alert the server sent us.
  var receivedAlert: UInt8?
  /// Whether the server sent a CertificateRequest.
  var certificateRequested = false
  var clientCertificateConfigured = false
  /// The first bytes the peer sent, to recognise a server that does not speak TLS.
  var firstBytesReceived: [UInt8] = []
  /// OpenSSL's error queue for the failed call, oldest first.
  var errorCodes: [UInt] = []

  var error: TLSError {
    if verifyServer && verifyResult != Int(X509_V_OK) {
      return .serverCertificateRejected(reason: verificationReason)
    }
    if let alert = receivedAlert ?? alertInErrorQueue {
      return error(forAlert: alert)
    }
    if Self.isPlainHTTP(firstBytesReceived) {
      return Self.plainHTTPAnswer
    }
    if let code = errorCodes.last {
      return .handshakeFailed(reason: openSSLReason(code))
    }
    return .handshakeFailed(reason: "OpenSSL failed without a reason")
  }

  static let plainHTTPAnswer = TLSError.handshakeFailed(
    reason: "the server answered in plain HTTP, not TLS (is TLS enabled on that port?)"
  )

  static func isPlainHTTP(_ firstBytes: [UInt8]) -> Bool {
    firstBytes.count >= 4 && Array("HTTP/".utf8).starts(with: firstBytes.prefix(5))
  }

  private var verificationReason: String {
    let text = X509_verify_cert_error_string(verifyResult).map { String(cString: $0) } ?? "error \(verifyResult)"
    switch Int32(verifyResult) {
    case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "\(text): the certificate is not valid for \(serverName ?? "the server name")"
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
      X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
      X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      // OpenSSL's wording depends on how much of the chain the server sent; the cause is the same.
      return "\(text): the certificate is not issued by a trusted CA"
    default:
      return text
    }
  }

  /// OpenSSL reports a received alert as reason `SSL_AD_REASON_OFFSET + description`.
  private var alertInErrorQueue: UInt8? {
    for code in errorCodes.reversed() where copenssl_ERR_GET_LIB(code) == ERR_LIB_SSL {
      let alert = copenssl_ERR_GET_REASON(code) - SSL_AD_REASON_OFFSET
      if (1...255).contains(alert) { return UInt8(alert) }
    }
    return nil
  }

  private func error(forAlert alert: UInt8) -> TLSError {
    let name = Self.alertName(alert)
    switch Int32(alert) {
    case TLS13_AD_CERTIFICATE_REQUIRED:
      return .clientCertificateRejected(reason: missingOrRejected(alert: name))
    case SSL3_AD_BAD_CERTIFICATE, SSL3_AD_UNSUPPORTED_CERTIFICATE, SSL3_AD_CERTIFICATE_REVOKED,
      SSL3_AD_CERTIFICATE_EXPIRED, SSL3_AD_CERTIFICATE_UNKNOWN, TLS1_AD_UNKNOWN_CA, TLS1_AD_ACCESS_DENIED:
      // The server only ever checks our certificate, so a certificate alert from it is about ours.
      return .clientCertificateRejected(reason: missingOrRejected(alert: name))
    case SSL3_AD_HANDSHAKE_FAILURE where certificateRequested && !clientCertificateConfigured:
      // OpenSSL servers answer a missing certificate under TLS 1.2 with a bare handshake_failure.
      return .clientCertificateRejected(reason: missingOrRejected(alert: name))
    default:
      return .handshakeFailed(reason: "the server sent alert \(name)")
    }
  }

  private func missingOrRejected(alert name: String) -> String {
    clientCertificateConfigured
      ? "the server did not accept the client certificate (alert: \(name))"
      : "the server requires a client certificate and none is configured (alert: \(name))"
  }

  static func alertName(_ alert: UInt8) -> String {
    switch Int32(alert) {
    case TLS13_AD_CERTIFICATE_REQUIRED: "certificate required"
    case TLS1_AD_UNKNOWN_CA: "unknown CA"
    default: String(cString: SSL_alert_desc_string_long(Int32(alert)))
    }
  }
}
