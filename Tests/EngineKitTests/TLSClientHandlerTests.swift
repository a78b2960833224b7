import Foundation
import NIOHTTP1
import TestSupport
import Testing

@testable import EngineKit

/// Real peers: `openssl s_server` requiring a client certificate, and plain TCP listeners.
@Suite("TLS client handler against real servers", .timeLimit(.minutes(1)))
struct TLSClientHandlerTests {
  enum ProtocolVersion: String, CaseIterable, Sendable {
    case tls12 = "-tls1_2"
    case tls13 = "-tls1_3"
  }

  /// What the server sends as its chain: only its certificate, as dockerd does by default, or that and its CA.
  enum ServerChain: String, CaseIterable, Sendable {
    case leafOnly
    case leafAndRoot
  }

  /// `s_server -www` answers `GET /` with a status page and demands a certificate from our CA (without
  /// `-verify_return_error` it would only log a client certificate it cannot verify). With `-CAfile` it also sends
  /// that CA in its chain; `-verifyCAfile` only checks clients against it.
  private func withServer<T: Sendable>(
    _ pki: TestPKI,
    _ version: ProtocolVersion,
    chain: ServerChain = .leafOnly,
    _ body: (Int) async throws -> T
  ) async throws -> T {
    try await OpenSSLServer.with(
      [
        "-cert", pki.serverCertificatePath, "-key", pki.serverKeyPath,
        chain == .leafOnly ? "-verifyCAfile" : "-CAfile", pki.caPath,
        "-Verify", "1", "-verify_return_error", "-www", version.rawValue,
      ],
      body
    )
  }

  private func trustingOptions(_ pki: TestPKI, ca: String? = nil, serverName: String? = nil) -> TLSOptions {
    TLSOptions(
      caCertificatePath: ca ?? pki.caPath,
      clientCertificatePath: pki.clientCertificatePath,
      clientKeyPath: pki.clientKeyPath,
      verifyServer: true,
      serverName: serverName
    )
  }

  @Test(
    "a trusted server that accepts our certificate answers GET / with 200",
    arguments: ProtocolVersion.allCases, ["localhost", "127.0.0.1"]
  )
  func goodCAAndClientCertificate(version: ProtocolVersion, host: String) async throws {
    let status = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, version) { port in
          try await TLSTestClient.get(port: port, options: trustingOptions(pki), host: host)
        }
      }
    }
    #expect(status == .ok)
  }

  @Test("added to a channel that is already connected, the handler starts the handshake at once")
  func addedWhenActive() async throws {
    let status = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, .tls13) { port in
          try await TLSTestClient.get(port: port, options: trustingOptions(pki), addingTLSOnceConnected: true)
        }
      }
    }
    #expect(status == .ok)
  }

  @Test(
    "a server certificate from an unknown CA is rejected by us",
    arguments: ProtocolVersion.allCases, ServerChain.allCases
  )
  func wrongCA(version: ProtocolVersion, chain: ServerChain) async throws {
    let error = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, version, chain: chain) { port in
          try await tlsError {
            try await TLSTestClient.get(port: port, options: trustingOptions(pki, ca: pki.otherCAPath))
          }
        }
      }
    }
    // OpenSSL words it after what the server sent; both say which check failed.
    let verifyText =
      switch chain {
      case .leafOnly: "unable to get local issuer certificate"
      case .leafAndRoot: "self-signed certificate in certificate chain"
      }
    #expect(error == .serverCertificateRejected(reason: "\(verifyText): the certificate is not issued by a trusted CA"))
  }

  @Test(
    "a server certificate for another name or address is rejected by us",
    arguments: [("engine.example", "hostname mismatch"), ("127.0.0.2", "IP address mismatch")]
  )
  func nameMismatch(serverName: String, verifyText: String) async throws {
    let error = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, .tls13) { port in
          try await tlsError {
            try await TLSTestClient.get(port: port, options: trustingOptions(pki, serverName: serverName))
          }
        }
      }
    }
    guard case .serverCertificateRejected(let reason) = error else {
      Issue.record("expected serverCertificateRejected, got \(String(describing: error))")
      return
    }
    #expect(reason.contains(verifyText))
    #expect(reason.contains(serverName))
  }

  @Test("without a client certificate the server rejects us", arguments: ProtocolVersion.allCases)
  func missingClientCertificate(version: ProtocolVersion) async throws {
    let error = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, version) { port in
          try await tlsError {
            try await TLSTestClient.get(port: port, options: TLSOptions(caCertificatePath: pki.caPath))
          }
        }
      }
    }
    // OpenSSL servers say so with certificate_required under TLS 1.3 but a bare handshake_failure under TLS 1.2.
    let alert =
      switch version {
      case .tls12: "handshake failure"
      case .tls13: "certificate required"
      }
    let reason = "the server requires a client certificate and none is configured (alert: \(alert))"
    #expect(error == .clientCertificateRejected(reason: reason))
  }

  @Test(
    "under TLS 1.3, a server that asked for a certificate and hangs up instead of answering rejected it",
    arguments: [false, true])
  func silentRejection(withCertificate: Bool) async throws {
    let error = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, .tls13) { port in
          try await TLSTestVerdictDroppingRelay.with(upstreamPort: port) { relayPort in
            let options =
              withCertificate
              ? trustingOptions(pki) : TLSOptions(caCertificatePath: pki.caPath, verifyServer: true)
            return try await tlsError { try await TLSTestClient.get(port: relayPort, options: options) }
          }
        }
      }
    }
    guard case .clientCertificateRejected(let reason) = error else {
      Issue.record("expected clientCertificateRejected, got \(String(describing: error))")
      return
    }
    #expect(reason.contains("closed the connection after the TLS 1.3 handshake without answering"))
    #expect(reason.contains(withCertificate ? "did not accept the client certificate" : "none is configured"))
  }

  @Test("a client certificate from a CA the server does not trust is rejected", arguments: ProtocolVersion.allCases)
  func untrustedClientCertificate(version: ProtocolVersion) async throws {
    let error = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, version) { port in
          let options = TLSOptions(
            caCertificatePath: pki.caPath,
            clientCertificatePath: pki.strangerCertificatePath,
            clientKeyPath: pki.strangerKeyPath
          )
          return try await tlsError { try await TLSTestClient.get(port: port, options: options) }
        }
      }
    }
    let reason = "the server did not accept the client certificate (alert: unknown CA)"
    #expect(error == .clientCertificateRejected(reason: reason))
  }

  @Test("SkipTLSVerify accepts a server certificate from an unknown CA", arguments: ProtocolVersion.allCases)
  func skipVerify(version: ProtocolVersion) async throws {
    let status = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await withServer(pki, version) { port in
          var options = trustingOptions(pki, ca: pki.otherCAPath)
          options.verifyServer = false
          return try await TLSTestClient.get(port: port, options: options, host: "engine.example")
        }
      }
    }
    #expect(status == .ok)
  }

  @Test("a server that only speaks TLS 1.1 fails the handshake")
  func tooOldProtocol() async throws {
    let error = try await withTLSTestTimeout {
      try await TestPKI.with { pki in
        try await OpenSSLServer.with(
          [
            "-cert", pki.serverCertificatePath, "-key", pki.serverKeyPath, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
            "-www",
          ]
        ) { port in
          try await tlsError {
            try await TLSTestClient.get(port: port, options: TLSOptions(caCertificatePath: pki.caPath))
          }
        }
      }
    }
    #expect(error == .handshakeFailed(reason: "the server sent alert protocol version"))
  }

  @Test("a missing CA file is reported with its path before any connection")
  func missingCAFile() async throws {
    let path = "/nonexistent/docker-preflight/ca.pem"
    #expect(throws: TLSError.unreadableFile(path: path, reason: "No such file or directory")) {
      try TLSContext(TLSOptions(caCertificatePath: path))
    }
  }

  @Test("a server that answers in plain HTTP fails the handshake")
  func plainHTTPServer() async throws {
    let error = try await withTLSTestTimeout {
      try await TLSTestPlainListener.with(.answerPlainHTTP) { port in
        try await tlsError { try await TLSTestClient.get(port: port, options: TLSOptions(verifyServer: false)) }
      }
    }
    guard case .handshakeFailed(let reason) = error else {
      Issue.record("expected handshakeFailed, got \(String(describing: error))")
      return
    }
    #expect(reason.contains("plain HTTP"))
  }

  @Test("a server that hangs up at once is reported as closed during the handshake")
  func hangUp() async throws {
    let error = try await withTLSTestTimeout {
      try await TLSTestPlainListener.with(.hangUp) { port in
        try await tlsError { try await TLSTestClient.get(port: port, options: TLSOptions(verifyServer: false)) }
      }
    }
    #expect(error == .connectionClosedDuringHandshake)
  }

  /// The `TLSError` the request failed with; nil (and a recorded issue) if it succeeded or failed otherwise.
  private func tlsError(_ request: () async throws -> HTTPResponseStatus) async throws -> TLSError? {
    do {
      let status = try await request()
      Issue.record("expected a TLS failure, got HTTP \(status.code)")
      return nil
    } catch let error as TLSError {
      return error
    } catch let timeout as TLSTestTimeout {
      throw timeout
    } catch {
      Issue.record("expected a TLSError, got \(error)")
      return nil
    }
  }
}
