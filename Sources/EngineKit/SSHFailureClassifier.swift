/// Why an ssh endpoint failed, from how the ssh child ended.
///
/// ssh exits with 255 for its own failures (then only its stderr tells authentication from the network), and with
/// the remote command's status otherwise: 127 is the remote shell's "command not found".
struct SSHFailureClassifier {
  let endpoint: Endpoint

  /// `nil` when the child's end says nothing about the failure (it exited 0, or we ended it).
  func classify(_ exit: SSHExit) -> EngineError? {
    let destination = self.destination
    switch exit.status {
    case .notStarted(let reason):
      return make(
        .sshFailure, "cannot run ssh for \(endpoint.host): \(reason)",
        "Install an OpenSSH client (apt install openssh-client), or use a unix:// or tcp:// endpoint")
    case .signaled:
      return nil
    case .exited(0):
      return nil
    case .exited(255):
      return classifySSHFailure(excerpt(exit.standardError), destination: destination)
    case .exited(127):
      return make(
        .remoteDockerMissing,
        "ssh reached \(destination), but it has no docker command to run `docker system dial-stdio`"
          + detail(exit.standardError),
        "Install the docker CLI (18.09 or later) on \(destination), on the PATH of non-interactive ssh sessions")
    case .exited(let status):
      return make(
        .sshFailure,
        "ssh reached \(destination), but `docker system dial-stdio` there failed (exit \(status))"
          + detail(exit.standardError),
        "Check the engine on \(destination): `ssh \(destination) docker version` shows what the remote CLI sees")
    }
  }

  private func classifySSHFailure(_ excerpt: String, destination: String) -> EngineError {
    let said = excerpt.isEmpty ? "" : ": \(excerpt)"
    if Self.mentions(excerpt, ["Permission denied", "Too many authentication failures", "no mutual signature"]) {
      return make(
        .sshAuthFailed, "ssh to \(destination) was refused authentication\(said)",
        "Make `ssh \(destination)` log in without a prompt: load the key into ssh-agent (ssh-add) or name it in "
          + "~/.ssh/config, and add its public key to the remote authorized_keys")
    }
    if Self.mentions(excerpt, ["Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED"]) {
      return make(
        .sshFailure, "the host key of \(destination) is unknown or has changed\(said)",
        "Connect once with `ssh \(destination)` and check the host key before accepting it")
    }
    if Self.mentions(
      excerpt,
      [
        "Connection refused", "No route to host", "Network is unreachable", "Could not resolve hostname",
        "Connection timed out", "Operation timed out", "Name or service not known", "Connection reset",
      ])
    {
      return make(
        .hostUnreachable, "ssh cannot reach \(destination)\(said)",
        "Check the host name and port in \(endpoint.host), and that its ssh server runs and is reachable")
    }
    return make(
      .sshFailure, "ssh to \(destination) failed (exit 255)\(said)",
      "Run `ssh \(destination)` by hand to see what it needs")
  }

  /// `user@host -p port`, as a person would type it after `ssh`.
  private var destination: String {
    guard case .ssh(let user, let host, let port, _) = endpoint.transport else { return endpoint.host }
    return (user.map { "\($0)@" } ?? "") + host + (port.map { " -p \($0)" } ?? "")
  }

  /// The last lines of stderr that say something, without ssh's notes on known hosts.
  private func excerpt(_ text: String) -> String {
    let lines = text.split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: " \t\r") }
      .filter { !$0.isEmpty && !$0.hasPrefix("Warning: Permanently added") }
    return lines.suffix(2).joined(separator: " ")
  }

  private func detail(_ text: String) -> String {
    let excerpt = excerpt(text)
    return excerpt.isEmpty ? "" : ": \(excerpt)"
  }

  private static func mentions(_ text: String, _ phrases: [String]) -> Bool {
    phrases.contains { text.contains($0) }
  }

  private func make(_ kind: EngineError.Kind, _ message: String, _ recommendation: String) -> EngineError {
    EngineError(kind: kind, endpoint: endpoint.host, message: message, recommendation: recommendation)
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: String) -> String {
    String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
  }
}
