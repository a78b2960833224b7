import EngineKit

/// Whether the endpoint's socket can be trusted to be the engine's: the socket, every symbolic link on the way and
/// every directory above them belong to root or to us, and no directory is open for others to write (unless its
/// sticky bit protects what it holds). Whoever could replace the socket could answer in the engine's place.
///
/// A problem that lets someone replace the socket fails the check (`socket-untrusted`); a socket every user may
/// write to only warns (it is the engine's own exposure, not a stand-in). The engine is still asked: the report says
/// what answered, and that it is not to be trusted blindly.
struct SocketCheck: DiagnosticCheck {
  let id = "socket"
  let readsHostOnly = true

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard case .unix(let path) = state.endpoint.transport else { return .skip("not a unix socket") }
    let trust = SocketTrust.assess(path)
    let via =
      switch trust.symlinks.count {
      case 0: ""
      case 1: " (a symbolic link to \(trust.resolvedPath))"
      default: " (\(trust.symlinks.count) symbolic links, to \(trust.resolvedPath))"
      }
    guard !trust.problems.isEmpty else {
      guard trust.socketExists else { return .skip("no socket at \(path) yet\(via)") }
      return CheckResult(.pass, "\(path)\(via) belongs to root or to you, in directories only they can change")
    }
    let problems = trust.problems.map(\.description).joined(separator: "; ")
    let recommendation =
      trust.isTrusted
      ? "Restrict the socket to the users meant to drive the engine (dockerd makes it 0660, group docker)"
      : "Do not use this socket until you know who made it (ls -l); run the engine with its socket in a directory "
        + "only root or you can write (/run, /var/run, $XDG_RUNTIME_DIR)"
    return CheckResult(
      trust.isTrusted ? .warn : .fail, "\(path)\(via): \(problems)",
      issues: [
        HealthReport.Issue(
          code: "socket-untrusted", message: "the socket \(path)\(via) cannot be trusted: \(problems)",
          recommendation: recommendation)
      ])
  }
}
