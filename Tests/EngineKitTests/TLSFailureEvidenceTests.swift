import COpenSSL
import Testing

@testable import EngineKit

/// Who rejected whom, decided from what OpenSSL left behind; no peer needed.
@Suite("TLS failure classification")
struct TLSFailureEvidenceTests {
  /// An error-queue code as OpenSSL packs it (`ERR_PACK` is a macro Swift does not import).
  private func code(library: Int32, reason: Int32) -> UInt {
    UInt(library) << UInt(ERR_LIB_OFFSET) | UInt(reason)
  }

  @Test("our verification failure wins over the alert we then exchanged")
  func verificationFirst() {
    var evidence = TLSFailureEvidence(verifyServer: true)
    evidence.verifyResult = Int(X509_V_ERR_CERT_HAS_EXPIRED)
    evidence.receivedAlert = UInt8(SSL3_AD_BAD_CERTIFICATE)
    #expect(evidence.error == .serverCertificateRejected(reason: "certificate has expired"))
  }

  @Test("without verification a failed verify result is not ours to report")
  func verificationOff() {
    var evidence = TLSFailureEvidence(verifyServer: false)
    evidence.verifyResult = Int(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    evidence.errorCodes = [code(library: ERR_LIB_SSL, reason: SSL_R_WRONG_VERSION_NUMBER)]
    #expect(evidence.error == .handshakeFailed(reason: "wrong version number"))
  }

  @Test(
    "certificate alerts from the server mean it rejected us",
    arguments: [SSL3_AD_BAD_CERTIFICATE, TLS1_AD_UNKNOWN_CA, TLS13_AD_CERTIFICATE_REQUIRED, SSL3_AD_CERTIFICATE_EXPIRED]
  )
  func certificateAlerts(alert: Int32) {
    var evidence = TLSFailureEvidence(verifyServer: true)
    evidence.clientCertificateConfigured = true
    evidence.receivedAlert = UInt8(alert)
    guard case .clientCertificateRejected(let reason) = evidence.error else {
      Issue.record("expected clientCertificateRejected, got \(evidence.error)")
      return
    }
    #expect(reason.hasPrefix("the server did not accept the client certificate"))
  }

  @Test("an alert is also found in the error queue, as SSL_AD_REASON_OFFSET + description")
  func alertFromErrorQueue() {
    var evidence = TLSFailureEvidence(verifyServer: true)
    evidence.errorCodes = [code(library: ERR_LIB_SSL, reason: SSL_AD_REASON_OFFSET + TLS13_AD_CERTIFICATE_REQUIRED)]
    let reason = "the server requires a client certificate and none is configured (alert: certificate required)"
    #expect(evidence.error == .clientCertificateRejected(reason: reason))
  }

  @Test(
    "handshake_failure means a missing client certificate only when one was asked for and none configured",
    arguments: [(true, false, true), (false, false, false), (true, true, false)]
  )
  func handshakeFailureAlert(requested: Bool, configured: Bool, rejectsClient: Bool) {
    var evidence = TLSFailureEvidence(verifyServer: true)
    evidence.certificateRequested = requested
    evidence.clientCertificateConfigured = configured
    evidence.receivedAlert = UInt8(SSL3_AD_HANDSHAKE_FAILURE)
    if rejectsClient {
      let reason = "the server requires a client certificate and none is configured (alert: handshake failure)"
      #expect(evidence.error == .clientCertificateRejected(reason: reason))
    } else {
      #expect(evidence.error == .handshakeFailed(reason: "the server sent alert handshake failure"))
    }
  }

  @Test("a plain HTTP answer is named as such", arguments: ["HTTP/1.1 400", "HTTP"])
  func plainHTTP(firstBytes: String) {
    var evidence = TLSFailureEvidence(verifyServer: true)
    evidence.firstBytesReceived = Array(firstBytes.utf8)
    evidence.errorCodes = [code(library: ERR_LIB_SSL, reason: SSL_R_WRONG_VERSION_NUMBER)]
    #expect(evidence.error == TLSFailureEvidence.plainHTTPAnswer)
  }

  @Test("a name mismatch says which name was checked")
  func nameMismatch() {
    var evidence = TLSFailureEvidence(verifyServer: true)
    evidence.verifyResult = Int(X509_V_ERR_HOSTNAME_MISMATCH)
    evidence.serverName = "engine.example"
    let reason = "hostname mismatch: the certificate is not valid for engine.example"
    #expect(evidence.error == .serverCertificateRejected(reason: reason))
  }
}
