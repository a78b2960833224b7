import Foundation
import Synchronization
import TestSupport
import Testing

@testable import EngineKit

/// A `DOCKER_CONFIG` directory of a test's own, with contexts made by the real docker CLI.
struct DockerConfigFixture {
  let directory: TemporaryDirectory
  var path: String { directory.path }

  init() throws { directory = try TemporaryDirectory(prefix: "dcfg") }

  static var docker: String? { Executable.find("docker") }

  /// `docker context create NAME --docker SPEC`, into this directory only.
  func createContext(_ name: String, docker spec: String) async throws {
    guard let docker = Self.docker else { throw FixtureError("the docker CLI is not installed") }
    let run = try await CommandRun.run(
      docker, ["context", "create", name, "--docker", spec],
      environment: PreflightBinary.cleanEnvironment(["DOCKER_CONFIG": path]))
    guard run.status == 0 else { throw FixtureError("docker context create failed: \(run.standardError)") }
  }

  /// What `docker context show` says is the current context, under the same flags and environment.
  func dockerCLIContext(host: String?, context: String?, environment: [String: String]) async throws -> String {
    guard let docker = Self.docker else { throw FixtureError("the docker CLI is not installed") }
    var arguments: [String] = []
    if let host { arguments += ["--host", host] }
    if let context { arguments += ["--context", context] }
    let run = try await CommandRun.run(
      docker, arguments + ["context", "show"],
      environment: PreflightBinary.cleanEnvironment(environment.merging(["DOCKER_CONFIG": path]) { $1 }))
    return run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @discardableResult
  func write(_ text: String, to relativePath: String) throws -> String {
    try directory.write(text, to: relativePath)
  }

  func metadataPath(of name: String) -> String {
    "\(path)/contexts/meta/\(SHA256Digest.hex(of: name))/meta.json"
  }

  func resolver(host: String? = nil, context: String? = nil, _ environment: [String: String] = [:])
    -> EndpointResolver
  {
    EndpointResolver(
      hostFlag: host, contextFlag: context, environment: environment.merging(["DOCKER_CONFIG": path]) { $1 })
  }
}

@Suite("Endpoint resolution, as the docker CLI does it")
struct EndpointResolverTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var host: String? = nil
    var context: String? = nil
    var environment: [String: String] = [:]
    var currentContext: String? = nil
    var expectedHost: String
    var expectedSource: EndpointSource
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "nothing configured: the default socket", expectedHost: "unix:///var/run/docker.sock",
      expectedSource: .default),
    Case(
      name: "currentContext in config.json", currentContext: "ctx-c", expectedHost: "unix:///c.sock",
      expectedSource: .context("ctx-c")),
    Case(
      name: "DOCKER_CONTEXT over currentContext", environment: ["DOCKER_CONTEXT": "ctx-b"],
      currentContext: "ctx-c", expectedHost: "unix:///b.sock", expectedSource: .context("ctx-b")),
    Case(
      name: "DOCKER_HOST over DOCKER_CONTEXT",
      environment: [
        "DOCKER_HOST": "unix:///env.sock",
        "DOCKER_CONTEXT": "ctx-b",
      ], expectedHost: "unix:///env.sock", expectedSource: .environment),
    Case(
      name: "-H over DOCKER_HOST", host: "unix:///flag.sock", environment: ["DOCKER_HOST": "unix:///env.sock"],
      expectedHost: "unix:///flag.sock", expectedSource: .flag),
    Case(
      name: "--context over DOCKER_HOST and DOCKER_CONTEXT", context: "ctx-a",
      environment: ["DOCKER_HOST": "unix:///env.sock", "DOCKER_CONTEXT": "ctx-b"], currentContext: "ctx-c",
      expectedHost: "unix:///a.sock", expectedSource: .context("ctx-a")),
    Case(
      name: "--context default means DOCKER_HOST", context: "default",
      environment: ["DOCKER_HOST": "unix:///env.sock"], expectedHost: "unix:///env.sock",
      expectedSource: .environment),
    Case(
      name: "--context default without DOCKER_HOST is the default socket", context: "default",
      currentContext: "ctx-c", expectedHost: "unix:///var/run/docker.sock", expectedSource: .default),
    Case(
      name: "DOCKER_CONTEXT=default over currentContext", environment: ["DOCKER_CONTEXT": "default"],
      currentContext: "ctx-c", expectedHost: "unix:///var/run/docker.sock", expectedSource: .default),
    Case(
      name: "an empty DOCKER_HOST does not count", environment: ["DOCKER_HOST": "", "DOCKER_CONTEXT": "ctx-b"],
      expectedHost: "unix:///b.sock", expectedSource: .context("ctx-b")),
  ]

  @Test(
    "the order is --context > -H > DOCKER_HOST > DOCKER_CONTEXT > currentContext > default, as docker sees it",
    arguments: cases)
  func order(_ testCase: Case) async throws {
    try #require(DockerConfigFixture.docker != nil, "the docker CLI is needed to make contexts")
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    for name in ["a", "b", "c"] { try await config.createContext("ctx-\(name)", docker: "host=unix:///\(name).sock") }
    if let current = testCase.currentContext {
      try config.write(#"{"currentContext": "\#(current)"}"#, to: "config.json")
    }

    let resolver = config.resolver(host: testCase.host, context: testCase.context, testCase.environment)
    let endpoint = try resolver.resolve()
    #expect(endpoint.host == testCase.expectedHost)
    #expect(endpoint.source == testCase.expectedSource)
    // The docker CLI itself picks the same context under the same flags and variables.
    let dockerSays = try await config.dockerCLIContext(
      host: testCase.host, context: testCase.context, environment: testCase.environment)
    #expect(try resolver.contextChoice().name == dockerSays)
  }

  @Test("a context's folder is the SHA-256 of its name, as the docker CLI writes it")
  func digestFolder() async throws {
    try #require(DockerConfigFixture.docker != nil, "the docker CLI is needed to make contexts")
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    try await config.createContext("remote-build", docker: "host=tcp://10.0.0.2:2375")
    #expect(FileManager.default.fileExists(atPath: config.metadataPath(of: "remote-build")))
    #expect(SHA256Digest.hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  @Test("--host with --context is refused, as by the docker CLI")
  func conflict() throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    #expect(throws: EndpointError.conflictingOptions("cannot specify both --host and --context")) {
      try config.resolver(host: "unix:///x.sock", context: "ctx-a").resolve()
    }
  }

  @Test(
    "a context that does not exist is an error naming it and its metadata file",
    arguments: [
      ("flag", "nope", [String: String]()), ("DOCKER_CONTEXT", nil, ["DOCKER_CONTEXT": "nope"]),
    ])
  func missingContext(via: String, flag: String?, environment: [String: String]) throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    #expect(throws: EndpointError.contextNotFound(name: "nope", metadataPath: config.metadataPath(of: "nope"))) {
      try config.resolver(context: flag, environment).resolve()
    }
  }

  @Test(
    "a damaged config.json names the file and the key",
    arguments: [
      ("{\"currentContext\": ", nil, "not valid JSON"), ("[1, 2]", nil, "must hold a JSON object, not array"),
      ("{\"currentContext\": 42}", "currentContext", "must be a string, not integer"),
    ] as [(String, String?, String)])
  func corruptConfig(text: String, key: String?, reason: String) throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    let path = try config.write(text, to: "config.json")
    expectMalformed(path: path, key: key, reason: reason) { try config.resolver().resolve() }
  }

  @Test("config.json is not read when a flag or DOCKER_HOST decides")
  func configNotReadWhenNotNeeded() throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    try config.write("not json", to: "config.json")
    #expect(try config.resolver(["DOCKER_HOST": "unix:///env.sock"]).resolve().source == .environment)
  }

  @Test("an oversized config.json is refused, not read whole")
  func oversizedConfig() throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    let path = try config.write(
      String(repeating: " ", count: EndpointResolver.maximumConfigSize + 1), to: "config.json")
    #expect(throws: EndpointError.unreadableFile(path: path, reason: "larger than 4 MiB")) {
      try config.resolver().resolve()
    }
  }

  @Test(
    "only a config.json this user may not read is skipped (EACCES, EPERM), as the docker CLI skips it",
    arguments: [
      (BoundedFile.Failure.system(EACCES), "EACCES"), (.system(EPERM), "EPERM"), (.system(EISDIR), nil),
      (.system(EIO), nil), (.system(ELOOP), nil), (.tooLarge(limit: 4 << 20), nil),
    ] as [(BoundedFile.Failure, String?)])
  func skippableFailures(failure: BoundedFile.Failure, errorName: String?) {
    let skipped = SkippedConfigurationFile.skipping(failure, path: "/root/.docker/config.json")
    #expect(skipped?.errorName == errorName)
    if errorName != nil {
      #expect(skipped?.description.hasPrefix("cannot read /root/.docker/config.json: ") == true)
      #expect(skipped?.description.contains("(\(errorName ?? ""))") == true)
    }
  }

  @Test("a config.json that cannot be read for another reason (a directory) stays an error, nothing skipped")
  func unreadableConfigStaysAnError() throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    let path = config.directory.file("config.json")
    try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
    let skipped = SkippedFiles()
    var resolver = config.resolver()
    resolver.skippedFileHandler = { skipped.append($0) }
    let error = #expect(throws: EndpointError.self) { try resolver.resolve() }
    guard case .unreadableFile(path, _)? = error else {
      Issue.record("expected unreadableFile(\(path)), got \(String(describing: error))")
      return
    }
    #expect(skipped.files.isEmpty)
  }

  // Root reads every file whatever its mode: only another user meets EACCES. As root, IntegrationTests'
  // UnreadableConfigurationTests run `check` as nobody instead.
  @Test(
    "a config.json this user may not read is skipped with a warning, and the default context used",
    .enabled(if: getuid() != 0, "root may read any file"))
  func unreadableConfigSkipped() throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    let path = try config.write(#"{"currentContext": "elsewhere"}"#, to: "config.json")
    chmod(path, 0)
    let skipped = SkippedFiles()
    var resolver = config.resolver()
    resolver.skippedFileHandler = { skipped.append($0) }
    #expect(try resolver.resolve() == EndpointResolver.platformDefault)
    #expect(skipped.files == [SkippedConfigurationFile(path: path, errorNumber: EACCES)])
  }

  @Test(
    "a damaged meta.json names the file and the key",
    arguments: [
      (#"{"Name": "broken", "#, nil, "not valid JSON"),
      (#"{"Name": "broken", "Endpoints": {}}"#, "Endpoints.docker", "the context has no docker endpoint"),
      (#"{"Endpoints": {"docker": {"Host": 2375}}}"#, "Endpoints.docker.Host", "must be a string, not integer"),
      (#"{"Endpoints": {"docker": {"Host": "bogus://x"}}}"#, "Endpoints.docker.Host", "not one the docker CLI"),
      (#"{"Endpoints": {"docker": {"SkipTLSVerify": "yes"}}}"#, "Endpoints.docker.SkipTLSVerify", "true or false"),
    ] as [(String, String?, String)])
  func corruptMetadata(text: String, key: String?, reason: String) throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    let path = config.metadataPath(of: "broken")
    try config.write(text, to: String(path.dropFirst(config.path.count + 1)))
    expectMalformed(path: path, key: key, reason: reason) { try config.resolver(context: "broken").resolve() }
  }

  @Test("keys are matched as Go matches them: exact first, else ignoring case")
  func goKeyMatching() throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    let path = config.metadataPath(of: "lower")
    try config.write(
      #"{"name": "lower", "endpoints": {"docker": {"host": "unix:///lower.sock"}}}"#,
      to: String(path.dropFirst(config.path.count + 1)))
    #expect(try config.resolver(context: "lower").resolve().host == "unix:///lower.sock")
  }

  @Test("DOCKER_TLS_VERIFY with DOCKER_CERT_PATH gives TLS with the three files, on port 2376 by default")
  func environmentTLS() async throws {
    try await TestPKI.with { pki in
      let directory = try pki.certificateDirectory(
        named: "certs", ca: pki.caPath, certificate: pki.clientCertificatePath, key: pki.clientKeyPath)
      let config = try DockerConfigFixture()
      defer { config.directory.remove() }
      let environment = [
        "DOCKER_HOST": "tcp://engine.example", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": directory,
      ]
      let endpoint = try config.resolver(environment).resolve()
      #expect(endpoint.transport == .tcp(host: "engine.example", port: 2376))
      #expect(
        endpoint.tls
          == TLSOptions(
            caCertificatePath: directory + "/ca.pem", clientCertificatePath: directory + "/cert.pem",
            clientKeyPath: directory + "/key.pem", verifyServer: true))
    }
  }

  @Test("TLS settings from the environment, case by case")
  func environmentTLSVariants() throws {
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    // No host: the docker CLI's TLS default is tcp://localhost:2376; the files default to the config directory.
    let defaulted = try config.resolver(["DOCKER_TLS_VERIFY": "1"]).resolve()
    #expect(defaulted.host == "tcp://localhost:2376")
    #expect(defaulted.tls?.caCertificatePath == config.path + "/ca.pem")
    // Missing client files are left out rather than failing later.
    #expect(defaulted.tls?.clientCertificatePath == nil)
    // DOCKER_TLS alone: TLS without verification.
    let unverified = try config.resolver(["DOCKER_HOST": "tcp://h:1234", "DOCKER_TLS": "1"]).resolve()
    #expect(unverified.tls?.verifyServer == false)
    // Sockets ignore TLS settings.
    #expect(try config.resolver(["DOCKER_HOST": "unix:///s.sock", "DOCKER_TLS_VERIFY": "1"]).resolve().tls == nil)
    // Without any, plain TCP on 2375.
    #expect(try config.resolver(["DOCKER_HOST": "tcp://h"]).resolve().transport == .tcp(host: "h", port: 2375))
  }

  @Test("a context with TLS material made by the docker CLI uses its stored copies")
  func contextTLS() async throws {
    try #require(DockerConfigFixture.docker != nil, "the docker CLI is needed to make contexts")
    try await TestPKI.with { pki in
      let config = try DockerConfigFixture()
      defer { config.directory.remove() }
      try await config.createContext(
        "secure",
        docker: "host=tcp://127.0.0.1:2376,ca=\(pki.caPath),cert=\(pki.clientCertificatePath),key=\(pki.clientKeyPath)")
      try await config.createContext("insecure", docker: "host=tcp://127.0.0.1:2376,skip-tls-verify=true")
      let tlsFolder = "\(config.path)/contexts/tls/\(SHA256Digest.hex(of: "secure"))/docker"
      let secure = try config.resolver(context: "secure").resolve()
      #expect(
        secure.tls
          == TLSOptions(
            caCertificatePath: tlsFolder + "/ca.pem", clientCertificatePath: tlsFolder + "/cert.pem",
            clientKeyPath: tlsFolder + "/key.pem", verifyServer: true))
      let insecure = try config.resolver(context: "insecure").resolve()
      #expect(insecure.tls == TLSOptions(verifyServer: false))
    }
  }

  @Test("an ssh context keeps user, port and socket path")
  func sshContext() async throws {
    try #require(DockerConfigFixture.docker != nil, "the docker CLI is needed to make contexts")
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    try await config.createContext("builder", docker: "host=ssh://me@build.example:2222")
    let endpoint = try config.resolver(context: "builder").resolve()
    #expect(endpoint.transport == .ssh(user: "me", host: "build.example", port: 2222))
    #expect(endpoint.source.description == "context builder")
  }

  @Test("listing returns the readable contexts by name and names each damaged one")
  func listing() async throws {
    try #require(DockerConfigFixture.docker != nil, "the docker CLI is needed to make contexts")
    let config = try DockerConfigFixture()
    defer { config.directory.remove() }
    try await config.createContext("zeta", docker: "host=unix:///z.sock")
    try await config.createContext("alpha", docker: "host=tcp://10.0.0.1:2375")
    let broken = config.metadataPath(of: "broken")
    try config.write("{", to: String(broken.dropFirst(config.path.count + 1)))
    let listing = config.resolver().contextStore.list()
    #expect(listing.contexts.map(\.name) == ["alpha", "zeta"])
    #expect(listing.contexts.map(\.host) == ["tcp://10.0.0.1:2375", "unix:///z.sock"])
    #expect(listing.contexts.first?.metadataPath == config.metadataPath(of: "alpha"))
    #expect(listing.problems.count == 1)
    guard case .malformedFile(broken, nil, _)? = listing.problems.first else {
      Issue.record("expected the damaged meta.json to be named, got \(listing.problems)")
      return
    }
  }

  /// That `resolve` fails with `malformedFile` naming `path` and `key`, for a reason that says `reason`.
  private func expectMalformed(
    path: String, key: String?, reason: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ resolve: () throws -> Endpoint
  ) {
    let error = #expect(throws: EndpointError.self, sourceLocation: sourceLocation) { try resolve() }
    guard case .malformedFile(path, key, let message)? = error else {
      Issue.record(
        "expected malformedFile(\(path), \(String(describing: key))), got \(String(describing: error))",
        sourceLocation: sourceLocation)
      return
    }
    #expect(message.contains(reason), sourceLocation: sourceLocation)
  }
}

/// The files a resolver reported skipping.
final class SkippedFiles: Sendable {
  private let recorded = Mutex<[SkippedConfigurationFile]>([])
  func append(_ file: SkippedConfigurationFile) { recorded.withLock { $0.append(file) } }
  var files: [SkippedConfigurationFile] { recorded.withLock { $0 } }
}
