import Foundation
import TestSupport
import Testing

@testable import EngineKit

/// `TLSContext` reads its files once, up front, and says which one is wrong and why, without quoting it.
@Suite("TLS context material", .timeLimit(.minutes(1)))
struct TLSContextTests {
  enum Material: String, CaseIterable, Sendable {
    case ca
    case certificate
    case key
  }

  private func options(_ pki: TestPKI, replacing material: Material? = nil, with path: String = "") -> TLSOptions {
    TLSOptions(
      caCertificatePath: material == .ca ? path : pki.caPath,
      clientCertificatePath: material == .certificate ? path : pki.clientCertificatePath,
      clientKeyPath: material == .key ? path : pki.clientKeyPath,
      verifyServer: true
    )
  }

  @Test("a complete set of files makes a context")
  func complete() async throws {
    try await TestPKI.with { pki in
      let context = try TLSContext(options(pki))
      #expect(context.hasClientCertificate)
    }
  }

  @Test("a missing file is reported as unreadable, naming its path", arguments: Material.allCases)
  func missingFile(material: Material) async throws {
    try await TestPKI.with { pki in
      let path = pki.path("missing-\(material.rawValue).pem")
      #expect(throws: TLSError.unreadableFile(path: path, reason: "No such file or directory")) {
        try TLSContext(options(pki, replacing: material, with: path))
      }
    }
  }

  @Test("a directory where a file should be is reported as unreadable")
  func directoryInsteadOfFile() async throws {
    try await TestPKI.with { pki in
      let path = pki.directory
      #expect(throws: TLSError.unreadableFile(path: path, reason: "Is a directory")) {
        try TLSContext(options(pki, replacing: .ca, with: path))
      }
    }
  }

  @Test("a file that is not PEM is invalid material", arguments: [Material.ca, .certificate])
  func notPEM(material: Material) async throws {
    try await TestPKI.with { pki in
      let path = pki.path("not-pem")
      try Data("{\"this\": \"is json\"}\n".utf8).write(to: URL(fileURLWithPath: path))
      #expect(throws: TLSError.invalidMaterial(path: path, reason: "no PEM certificate found")) {
        try TLSContext(options(pki, replacing: material, with: path))
      }
    }
  }

  @Test("a damaged PEM certificate is invalid material")
  func damagedPEM() async throws {
    try await TestPKI.with { pki in
      let path = pki.path("damaged.pem")
      try Data("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".utf8)
        .write(to: URL(fileURLWithPath: path))
      let error = #expect(throws: TLSError.self) { try TLSContext(options(pki, replacing: .ca, with: path)) }
      guard case .invalidMaterial(path, let reason) = error else {
        Issue.record("expected invalidMaterial for \(path), got \(String(describing: error))")
        return
      }
      #expect(reason.hasPrefix("not a valid PEM certificate"))
    }
  }

  @Test("a key that belongs to another certificate is invalid material naming the key")
  func mismatchedKey() async throws {
    try await TestPKI.with { pki in
      let reason = "the private key does not match the certificate \(pki.clientCertificatePath)"
      #expect(throws: TLSError.invalidMaterial(path: pki.serverKeyPath, reason: reason)) {
        try TLSContext(options(pki, replacing: .key, with: pki.serverKeyPath))
      }
    }
  }

  @Test("an encrypted key is refused without prompting for a passphrase")
  func encryptedKey() async throws {
    try await TestPKI.with { pki in
      let path = pki.path("encrypted-key.pem")
      let run = try await CommandRun.run(
        "/usr/bin/openssl", ["pkey", "-in", pki.clientKeyPath, "-out", path, "-aes256", "-passout", "pass:secret"])
      #expect(run.status == 0)
      let reason = "the private key is encrypted; an unencrypted PEM key is needed"
      #expect(throws: TLSError.invalidMaterial(path: path, reason: reason)) {
        try TLSContext(options(pki, replacing: .key, with: path))
      }
    }
  }

  @Test("errors about a key never quote its content")
  func keyContentNotQuoted() async throws {
    try await TestPKI.with { pki in
      let path = pki.path("garbled-key.pem")
      let secret = "TOPSECRETKEYMATERIAL"
      try Data("-----BEGIN PRIVATE KEY-----\n\(secret)\n-----END PRIVATE KEY-----\n".utf8)
        .write(to: URL(fileURLWithPath: path))
      let error = #expect(throws: TLSError.self) { try TLSContext(options(pki, replacing: .key, with: path)) }
      guard case .invalidMaterial(path, _) = error else {
        Issue.record("expected invalidMaterial for \(path), got \(String(describing: error))")
        return
      }
      #expect(!String(describing: error).contains(secret))
    }
  }

  @Test("a certificate without its key is invalid material")
  func certificateWithoutKey() async throws {
    try await TestPKI.with { pki in
      var options = options(pki)
      options.clientKeyPath = nil
      let reason = "a client certificate needs its private key"
      #expect(throws: TLSError.invalidMaterial(path: pki.clientCertificatePath, reason: reason)) {
        try TLSContext(options)
      }
    }
  }

  @Test("without verification the CA file is not read, as the docker CLI does with SkipTLSVerify")
  func skipVerifyIgnoresCA() throws {
    _ = try TLSContext(TLSOptions(caCertificatePath: "/nonexistent/ca.pem", verifyServer: false))
  }

  @Test("no CA file means the system trust store")
  func systemTrustStore() throws {
    let context = try TLSContext(TLSOptions(verifyServer: true, serverName: "engine.example"))
    #expect(!context.hasClientCertificate)
  }

  @Test("a certificate directory maps to ca.pem, cert.pem and key.pem")
  func certificateDirectory() {
    let options = TLSOptions(certificateDirectory: "/home/me/.docker/", verifyServer: true)
    #expect(options.caCertificatePath == "/home/me/.docker/ca.pem")
    #expect(options.clientCertificatePath == "/home/me/.docker/cert.pem")
    #expect(options.clientKeyPath == "/home/me/.docker/key.pem")
    #expect(options.verifyServer)
    #expect(options.serverName == nil)
  }
}
