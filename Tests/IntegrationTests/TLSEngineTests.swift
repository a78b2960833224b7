import EngineKit
import Foundation
import JSON
import TestSupport
import Testing

/// A private dockerd on `tcp://127.0.0.1:PORT` with `--tlsverify`, certificates made with openssl by the test.
@Suite("tcp+TLS endpoints against a private dockerd")
struct TLSEngineTests {
  /// How the client is set up, and what `check` must conclude.
  struct Setup: Sendable {
    var name: String
    /// `ca`, `cert`, `key` sources from the PKI: `nil` leaves the file out.
    var files: @Sendable (TestPKI) -> (ca: String?, certificate: String?, key: String?)
    /// `nil`: healthy. Else the issue code and words the message must hold.
    var expected: (code: String, words: String)?
  }

  static let setups: [Setup] = [
    Setup(
      name: "trusted CA and client certificate", files: { ($0.caPath, $0.clientCertificatePath, $0.clientKeyPath) }),
    Setup(
      name: "a CA that did not issue the daemon's certificate",
      files: { ($0.otherCAPath, $0.clientCertificatePath, $0.clientKeyPath) },
      expected: ("tls-failure", "we rejected the certificate of the engine")),
    Setup(
      name: "no client certificate", files: { ($0.caPath, nil, nil) },
      expected: ("tls-failure", "rejected our client certificate")),
    Setup(
      name: "a client certificate from a CA the daemon does not trust",
      files: { ($0.caPath, $0.strangerCertificatePath, $0.strangerKeyPath) },
      expected: ("tls-failure", "rejected our client certificate")),
    Setup(
      name: "no CA file", files: { (nil, $0.clientCertificatePath, $0.clientKeyPath) },
      expected: ("tls-failure", "cannot use the TLS material")),
  ]

  /// One daemon for every setup: starting one per case would load a shared machine for no gain.
  @Test("DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: which side failed is named; plain HTTP to the port gets a TLS hint")
  func environment() async throws {
    try await TestPKI.with { pki in
      try await withDockerDaemon(tls: .init(serverOf: pki)) { daemon in
        let host = try #require(daemon.tcpHost)
        for setup in Self.setups { try await check(setup, host: host, pki: pki) }
        // Plain HTTP to the TLS port is not an engine, with the hint to turn TLS on.
        let endpoint = try Endpoint(parsing: host, source: .flag)
        let error = await #expect(throws: EngineError.self) {
          try await EngineClient(endpoint: endpoint, timeout: .seconds(20)).withSession { try await $0.ping() }
        }
        #expect(error?.kind == .notAnEngine)
        #expect(error?.recommendation.contains("DOCKER_TLS_VERIFY") == true)
      }
    }
  }

  private func check(_ setup: Setup, host: String, pki: TestPKI) async throws {
    let files = setup.files(pki)
    let certificates = try pki.certificateDirectory(
      named: "env-\(UUID().uuidString.prefix(8))", ca: files.ca, certificate: files.certificate, key: files.key)
    let run = try await PreflightRun.run(
      ["check", "--json", "--timeout", "20s"],
      environment: ["DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certificates])
    let report = try JSONValue.parse(run.standardOutput)
    #expect(report["endpoint"]?["transport"] == "tcp+tls", "\(setup.name)")
    #expect(report["endpoint"]?["source"] == "env DOCKER_HOST", "\(setup.name)")
    if let expected = setup.expected {
      #expect(run.status == 1, "\(setup.name)")
      #expect(report["issues"]?[0]?["code"] == .string(expected.code), "\(setup.name)")
      let message = report["issues"]?[0]?["message"]?.stringValue ?? ""
      #expect(message.contains(expected.words), "\(setup.name): \(message)")
      #expect(message.contains(host), "\(setup.name)")
    } else {
      #expect(run.status == 0, "\(setup.name): \(run.standardOutput)")
      #expect(report["healthy"] == true, "\(setup.name)")
    }
  }

  @Test("a context made by the docker CLI with TLS material reaches the daemon, and says so")
  func context() async throws {
    let docker = try #require(Executable.find("docker"), "the docker CLI is needed to make contexts")
    try await TestPKI.with { pki in
      try await withDockerDaemon(tls: .init(serverOf: pki)) { daemon in
        let host = try #require(daemon.tcpHost)
        let config = try TemporaryDirectory(prefix: "dcfg")
        defer { config.remove() }
        let created = try await CommandRun.run(
          docker,
          [
            "context", "create", "secure", "--docker",
            "host=\(host),ca=\(pki.caPath),cert=\(pki.clientCertificatePath),key=\(pki.clientKeyPath)",
          ], environment: PreflightBinary.cleanEnvironment(["DOCKER_CONFIG": config.path]))
        try #require(created.status == 0, "\(created.standardError)")
        let run = try await PreflightRun.run(
          ["check", "--json", "--timeout", "20s", "--context", "secure"], environment: ["DOCKER_CONFIG": config.path])
        #expect(run.status == 0, "\(run.standardOutput)")
        let report = try JSONValue.parse(run.standardOutput)
        #expect(report["endpoint"]?["source"] == "context secure")
        #expect(report["endpoint"]?["transport"] == "tcp+tls")
        #expect(report["engine"]?["apiVersion"] == .string(try await daemon.apiVersion()))
      }
    }
  }
}
