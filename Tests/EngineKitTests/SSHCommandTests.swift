import Testing

@testable import EngineKit

@Suite("ssh endpoints: the command line and what its failures mean")
struct SSHCommandTests {
  @Test(
    "ssh runs docker system dial-stdio as docker/cli's connection helper does",
    arguments: [
      ("ssh://build.example", ["--", "build.example", "docker", "system", "dial-stdio"]),
      (
        "ssh://me@build.example:2222",
        ["-l", "me", "-p", "2222", "--", "build.example", "docker", "system", "dial-stdio"]
      ),
      (
        "ssh://me@build.example/run/user/1000/docker.sock",
        [
          "-l", "me", "--", "build.example", "docker", "--host=unix:///run/user/1000/docker.sock", "system",
          "dial-stdio",
        ]
      ),
      (
        "ssh://h/tmp/my docker.sock",
        ["--", "h", "docker", "'--host=unix:///tmp/my docker.sock'", "system", "dial-stdio"]
      ),
    ])
  func arguments(host: String, tail: [String]) throws {
    guard case .ssh(let user, let name, let port, let socketPath) = try Transport(parsing: host) else {
      Issue.record("\(host) is not an ssh transport")
      return
    }
    let arguments = SSHCommand.arguments(
      user: user, host: name, port: port, socketPath: socketPath, connectTimeout: .milliseconds(2500),
      options: SSHOptions(extraArguments: ["-F", "/dev/null"]))
    // The bound is whole seconds, rounded up; ssh must never prompt; extra options come before the destination.
    #expect(arguments == ["-o", "ConnectTimeout=3", "-T", "-o", "BatchMode=yes", "-F", "/dev/null"] + tail)
  }

  @Test("a password in an ssh:// address is refused, as by the docker CLI")
  func password() {
    #expect(throws: EndpointError.self) { try Transport(parsing: "ssh://me:secret@h") }
  }

  static let endpoint = try! Endpoint(parsing: "ssh://me@build.example:2222", source: .environment)

  @Test(
    "ssh's exit status and stderr tell auth, network and a missing remote docker apart",
    arguments: [
      (SSHExit.Status.exited(255), "me@build.example: Permission denied (publickey).", EngineError.Kind.sshAuthFailed),
      (.exited(255), "ssh: connect to host build.example port 2222: Connection refused", .hostUnreachable),
      (.exited(255), "ssh: Could not resolve hostname build.example: Name or service not known", .hostUnreachable),
      (.exited(255), "Host key verification failed.", .sshFailure),
      (.exited(127), "bash: docker: command not found", .remoteDockerMissing),
      (.exited(1), "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.", .sshFailure),
      (.notStarted(reason: "ssh is not installed"), "", .sshFailure),
    ])
  func classification(status: SSHExit.Status, standardError: String, kind: EngineError.Kind) throws {
    let noise = "Warning: Permanently added '[build.example]:2222' (ED25519) to the list of known hosts.\n"
    let error = try #require(
      SSHFailureClassifier(endpoint: Self.endpoint).classify(
        SSHExit(status: status, standardError: noise + standardError)))
    #expect(error.kind == kind)
    #expect(error.endpoint == Self.endpoint.host)
    // The person sees ssh's own words, not the known-hosts chatter.
    if !standardError.isEmpty { #expect(error.message.contains(standardError.prefix(20))) }
    #expect(!error.message.contains("Permanently added"))
    #expect(!error.recommendation.isEmpty)
  }

  @Test(
    "an ssh that exited 0 or that we ended says nothing about a failure",
    arguments: [
      SSHExit.Status.exited(0), .signaled(15),
    ])
  func notTheCause(status: SSHExit.Status) {
    #expect(SSHFailureClassifier(endpoint: Self.endpoint).classify(SSHExit(status: status, standardError: "")) == nil)
  }
}
