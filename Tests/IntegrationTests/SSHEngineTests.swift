import EngineKit
import Foundation
import JSON
import TestSupport
import Testing

/// `ssh://` endpoints through a private sshd on loopback whose sessions reach the test's private dockerd: the remote
/// `docker system dial-stdio` is the real docker CLI. Serialized: each test checks that no ssh child of this process
/// is left, which a parallel ssh test would confuse.
@Suite("ssh endpoints through a private sshd", .serialized)
struct SSHEngineTests {
  @Test("an ssh endpoint answers _ping and /version through docker system dial-stdio, and leaves no ssh behind")
  func reachable() async throws {
    try await withDockerDaemon { daemon in
      try await withSSHServer(sessionEnvironment: ["DOCKER_HOST": daemon.host]) { server in
        let endpoint = try Endpoint(parsing: server.host, source: .flag)
        let client = EngineClient(
          endpoint: endpoint, timeout: .seconds(10), ssh: SSHOptions(extraArguments: server.clientArguments()))
        let version = try await client.withSession { session in
          _ = try await session.ping()
          return try await session.version()
        }
        #expect(version.apiVersion == (try await daemon.apiVersion()))
        #expect(sshChildren().isEmpty, "ssh children left: \(sshChildren())")
      }
    }
  }

  @Test("check over ssh with the user's ssh configuration reports a healthy engine")
  func checkCommand() async throws {
    try await withDockerDaemon { daemon in
      try await withSSHServer(sessionEnvironment: ["DOCKER_HOST": daemon.host]) { server in
        let path = try server.clientDirectory() + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try await PreflightRun.run(
          ["check", "--json", "--timeout", "20s"], environment: ["DOCKER_HOST": server.host, "PATH": path])
        #expect(run.status == 0, "\(run.standardOutput) \(run.standardError)")
        let report = try JSONValue.parse(run.standardOutput)
        #expect(report["endpoint"]?["transport"] == "ssh")
        #expect(report["healthy"] == true)
      }
    }
  }

  @Test("a key the server does not know is ssh-auth-failed")
  func refusedAuthentication() async throws {
    try await withSSHServer { server in
      let error = try await failure(
        server, ssh: SSHOptions(extraArguments: server.clientArguments(key: server.strangerKeyPath)))
      #expect(error.kind == .sshAuthFailed)
      #expect(error.message.contains("Permission denied"))
    }
  }

  @Test("a port where no ssh server listens is host-unreachable")
  func unreachable() async throws {
    let endpoint = try Endpoint(parsing: "ssh://root@127.0.0.1:\(try freeLoopbackPort())", source: .flag)
    let error = await #expect(throws: EngineError.self) {
      try await EngineClient(
        endpoint: endpoint, timeout: .seconds(10), ssh: SSHOptions(extraArguments: ["-F", "/dev/null"])
      )
      .withSession { try await $0.ping() }
    }
    #expect(error?.kind == .hostUnreachable)
    #expect(error?.message.contains("Connection refused") == true)
  }

  @Test("a remote host without docker is remote-docker-missing (its shell's 127, not ssh's 255)")
  func noRemoteDocker() async throws {
    try await withSSHServer(sessionEnvironment: ["PATH": "/nonexistent"]) { server in
      let error = try await failure(server, ssh: SSHOptions(extraArguments: server.clientArguments()))
      #expect(error.kind == .remoteDockerMissing)
      #expect(error.message.contains("command not found") || error.message.contains("not found"))
    }
  }

  @Test("a remote docker that cannot reach its engine is an ssh failure quoting it")
  func remoteEngineDown() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try await withSSHServer(sessionEnvironment: ["DOCKER_HOST": "unix://\(directory.file("none.sock"))"]) { server in
      let error = try await failure(server, ssh: SSHOptions(extraArguments: server.clientArguments()))
      #expect(error.kind == .sshFailure)
      #expect(error.message.contains("dial-stdio"))
    }
  }

  private func failure(_ server: SSHServer, ssh: SSHOptions) async throws -> EngineError {
    let endpoint = try Endpoint(parsing: server.host, source: .flag)
    do {
      _ = try await EngineClient(endpoint: endpoint, timeout: .seconds(10), ssh: ssh).withSession {
        try await $0.ping()
      }
    } catch {
      #expect(sshChildren().isEmpty, "ssh children left: \(sshChildren())")
      return error
    }
    throw FixtureError("expected a failure")
  }
}

/// Processes named `ssh` whose parent is this process.
func sshChildren() -> [Int32] {
  let ours = getpid()
  guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
  return entries.compactMap(Int32.init).filter { pid in
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
    else { return false }
    let name = stat[stat.index(after: open)..<close]
    let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
    return name == "ssh" && fields.count > 1 && Int32(fields[1]) == ours
  }
}
