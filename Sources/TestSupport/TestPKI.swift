import Foundation
import Synchronization

/// A throw-away PKI made with the `openssl` CLI: a CA, a server certificate for `localhost` and 127.0.0.1, a client
/// certificate from the same CA, and an unrelated CA with a client certificate of its own.
public struct TestPKI: Sendable {
  public let directory: String

  public func path(_ name: String) -> String { "\(directory)/\(name)" }

  public var caPath: String { path("ca.pem") }
  public var otherCAPath: String { path("other-ca.pem") }
  public var serverCertificatePath: String { path("server-cert.pem") }
  public var serverKeyPath: String { path("server-key.pem") }
  public var clientCertificatePath: String { path("cert.pem") }
  public var clientKeyPath: String { path("key.pem") }
  public var strangerCertificatePath: String { path("stranger-cert.pem") }
  public var strangerKeyPath: String { path("stranger-key.pem") }

  /// Runs `body` with this test process's PKI. It is made once (a dozen `openssl` runs) and shared: tests only read
  /// its files, or add files of their own under names no other test uses.
  public static func with<T: Sendable>(_ body: (TestPKI) async throws -> T) async throws -> T {
    try await body(try await shared.value)
  }

  /// Made on first use in a temporary directory that is removed when the process exits.
  private static let shared = Task<TestPKI, any Error> {
    let directory = try TemporaryDirectory(prefix: "pki")
    sharedDirectory.withLock { $0 = directory.path }
    atexit {
      if let path = TestPKI.sharedDirectory.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
    return try await make(in: directory.path)
  }
  private static let sharedDirectory = Mutex<String?>(nil)

  /// Makes the PKI's files in `directory`, which must exist.
  public static func make(in directory: String) async throws -> TestPKI {
    let pki = TestPKI(directory: directory)
    try await pki.generate()
    return pki
  }

  /// A folder laid out as `DOCKER_CERT_PATH` (and a context's TLS folder) is: `ca.pem`, `cert.pem`, `key.pem`,
  /// from the given files (`nil` leaves one out).
  public func certificateDirectory(
    named name: String, ca: String? = nil, certificate: String? = nil, key: String? = nil
  ) throws -> String {
    let folder = path(name)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (source, target) in [(ca, "ca.pem"), (certificate, "cert.pem"), (key, "key.pem")] {
      if let source { try FileManager.default.copyItem(atPath: source, toPath: "\(folder)/\(target)") }
    }
    return folder
  }

  private func generate() async throws {
    // The two CAs are independent; each leaf needs its CA.
    async let ca: Void = makeCertificate("ca", subject: "/CN=docker-preflight test CA")
    async let otherCA: Void = makeCertificate("other-ca", subject: "/CN=unrelated test CA")
    try await ca
    async let server: Void = makeCertificate(
      "server-cert", key: "server-key", subject: "/CN=localhost", issuer: "ca",
      extensions: ["subjectAltName=DNS:localhost,IP:127.0.0.1", "extendedKeyUsage=serverAuth"]
    )
    async let client: Void = makeCertificate(
      "cert", key: "key", subject: "/CN=client", issuer: "ca", extensions: ["extendedKeyUsage=clientAuth"]
    )
    try await otherCA
    async let stranger: Void = makeCertificate(
      "stranger-cert", key: "stranger-key", subject: "/CN=stranger", issuer: "other-ca",
      extensions: ["extendedKeyUsage=clientAuth"]
    )
    _ = try await (server, client, stranger)
  }

  /// A P-256 key and a certificate: self-signed (a CA) without `issuer`, else a leaf signed by `issuer`.
  private func makeCertificate(
    _ name: String,
    key: String? = nil,
    subject: String,
    issuer: String? = nil,
    extensions: [String] = []
  ) async throws {
    var arguments = [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", path("\(key ?? name + "-key").pem"), "-out", path("\(name).pem"), "-days", "2", "-subj", subject,
    ]
    if let issuer {
      arguments += ["-CA", path("\(issuer).pem"), "-CAkey", path("\(issuer)-key.pem")]
      arguments += ["-addext", "basicConstraints=critical,CA:FALSE"]
    }
    for item in extensions { arguments += ["-addext", item] }
    let run = try await CommandRun.run(Executable.find("openssl") ?? "/usr/bin/openssl", arguments)
    guard run.status == 0 else {
      throw FixtureError("openssl \(arguments.joined(separator: " ")) exited \(run.status): \(run.standardError)")
    }
  }
}

/// `openssl s_server` on a port of its own choosing, for as long as a test needs it.
public enum OpenSSLServer {
  /// Starts `openssl s_server -accept 127.0.0.1:0 ARGUMENTS`, reads the port from the `ACCEPT 127.0.0.1:PORT` line
  /// it prints, runs `body` with that port, then ends the server with SIGTERM by its pid.
  public static func with<T: Sendable>(_ arguments: [String], _ body: (Int) async throws -> T) async throws -> T {
    let server = try ChildProcess(
      executable: Executable.find("openssl") ?? "/usr/bin/openssl",
      arguments: ["s_server", "-accept", "127.0.0.1:0"] + arguments)
    let result: Result<T, any Error>
    do {
      let port: Int
      do {
        port = try await server.firstLine(within: .seconds(10)) { line in
          line.hasPrefix("ACCEPT 127.0.0.1:") ? Int(line.dropFirst("ACCEPT 127.0.0.1:".count)) : nil
        }
      } catch {
        throw FixtureError("s_server did not start: \(error); it said: \(server.standardError)")
      }
      result = .success(try await body(port))
    } catch {
      result = .failure(error)
    }
    await server.terminate(grace: .seconds(5))
    return try result.get()
  }
}
