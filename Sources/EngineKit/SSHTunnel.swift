import Subprocess
import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How `ssh://` endpoints run the ssh client.
public struct SSHOptions: Sendable, Hashable {
  /// A name looked up on `PATH`, or a path.
  public var executable: String
  /// Options placed before the destination, as the docker CLI's ssh flags are (`-F FILE`, `-i KEY`, `-o …`).
  public var extraArguments: [String]

  public init(executable: String = "ssh", extraArguments: [String] = []) {
    self.executable = executable
    self.extraArguments = extraArguments
  }
}

/// The argument vector of `ssh … -- HOST docker system dial-stdio`, as docker/cli's connection helper builds it.
enum SSHCommand {
  static func arguments(
    user: String?, host: String, port: Int?, socketPath: String?, connectTimeout: Duration, options: SSHOptions
  ) -> [String] {
    // `-T`: no pseudo-terminal, so that no login shell runs; `BatchMode`: never prompt for a password or a host
    // key (the docker CLI may prompt; a diagnosis must not hang on a question nobody sees).
    let seconds = max(1, (connectTimeout.components.seconds) + (connectTimeout.components.attoseconds > 0 ? 1 : 0))
    var arguments = ["-o", "ConnectTimeout=\(seconds)", "-T", "-o", "BatchMode=yes"] + options.extraArguments
    if let user { arguments += ["-l", user] }
    if let port { arguments += ["-p", String(port)] }
    arguments += ["--", host, "docker"]
    // The remote side runs this through a shell: quote the one part that comes from the address.
    if let socketPath { arguments.append(shellQuoted("--host=unix://\(socketPath)")) }
    return arguments + ["system", "dial-stdio"]
  }

  static func shellQuoted(_ text: String) -> String {
    let safe = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@".contains($0)) }
    return safe ? text : "'" + text.replacing("'", with: "'\\''") + "'"
  }
}

/// How the ssh child ended, with the tail of what it wrote to stderr.
struct SSHExit: Sendable, Equatable {
  enum Status: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    /// It could not be started at all.
    case notStarted(reason: String)
  }
  var status: Status
  var standardError: String
}

/// One `ssh … docker system dial-stdio` child carrying one HTTP connection over its stdin and stdout.
///
/// The child runs under swift-subprocess (in a session of its own, signal mask cleared, the fds we keep are
/// close-on-exec) inside a task; ending the tunnel cancels that task, whose teardown sends SIGTERM and then
/// SIGKILL, and waits for the child's exit.
final class SSHTunnel: Sendable {
  /// stderr kept for classification: ssh's own messages come last, after whatever the remote shell printed.
  static let standardErrorTail = 8 << 10

  private let run: Task<SSHExit, Never>
  /// Our end of the socket pair, twice (NIO's pipe channel wants distinct descriptors for reading and writing).
  let input: Int32
  let output: Int32

  private init(run: Task<SSHExit, Never>, input: Int32, output: Int32) {
    self.run = run
    self.input = input
    self.output = output
  }

  /// Starts the child. Throws only when it cannot even be attempted (no ssh, no pipes).
  static func launch(_ arguments: [String], options: SSHOptions) throws(SSHLaunchFailure) -> SSHTunnel {
    guard let executable = Self.locate(options.executable) else {
      throw SSHLaunchFailure(reason: "\(options.executable) is not installed (not found on PATH)")
    }
    // One socket pair carries both directions. Its ends (and the child's second descriptor) are made close-on-exec
    // atomically, so that no child spawned meanwhile by another thread inherits them: a stray copy of the child's
    // end would keep our side from ever seeing the child's output end.
    var ends: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
      throw SSHLaunchFailure(reason: "socketpair: \(lastError())")
    }
    let ours = ends[0]
    let oursForWriting = fcntl(ours, F_DUPFD_CLOEXEC, 0)
    let childsForWriting = fcntl(ends[1], F_DUPFD_CLOEXEC, 0)
    guard oursForWriting >= 0, childsForWriting >= 0 else {
      let reason = lastError()
      for descriptor in [ends[0], ends[1], oursForWriting, childsForWriting] where descriptor >= 0 { close(descriptor) }
      throw SSHLaunchFailure(reason: "fcntl: \(reason)")
    }
    let childInput = FileDescriptor(rawValue: ends[1])
    let childOutput = FileDescriptor(rawValue: childsForWriting)
    var platform = PlatformOptions()
    // No controlling terminal: ssh cannot prompt, and a Ctrl-C meant for us does not reach it first.
    platform.createSession = true
    platform.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .milliseconds(300))]
    let run = Task {
      do {
        let result = try await Subprocess.run(
          .path(FilePath(executable)), arguments: Arguments(arguments), environment: .inherit,
          platformOptions: platform,
          input: .fileDescriptor(childInput, closeAfterSpawningProcess: true),
          output: .fileDescriptor(childOutput, closeAfterSpawningProcess: true),
          error: .sequence
        ) { execution in
          await Self.tail(of: execution.standardError)
        }
        let status: SSHExit.Status =
          switch result.terminationStatus {
          case .exited(let code): .exited(code)
          case .signaled(let signal): .signaled(signal)
          }
        return SSHExit(status: status, standardError: result.closureResult)
      } catch {
        return SSHExit(status: .notStarted(reason: "\(error)"), standardError: "")
      }
    }
    return SSHTunnel(run: run, input: ours, output: oursForWriting)
  }

  /// Ends the child if it still runs (SIGTERM, then SIGKILL) and returns how it ended.
  @discardableResult
  func end() async -> SSHExit {
    run.cancel()
    return await run.value
  }

  /// How the child ended, if it ends within `limit` on its own; `nil` if it still runs.
  func exit(within limit: Duration) async -> SSHExit? {
    await withTaskGroup(of: SSHExit?.self) { group in
      group.addTask { await self.run.value }
      group.addTask {
        try? await Task.sleep(for: limit)
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      return first
    }
  }

  private static func tail(of stream: SubprocessOutputSequence) async -> String {
    var kept: [UInt8] = []
    do {
      for try await buffer in stream {
        buffer.withUnsafeBytes { kept.append(contentsOf: $0) }
        if kept.count > 2 * standardErrorTail { kept.removeFirst(kept.count - standardErrorTail) }
      }
    } catch {
      // The stream ends with an error when the child is torn down; what was read so far is what we have.
    }
    return String(decoding: kept.suffix(standardErrorTail), as: UTF8.self)
  }

  /// `name` on PATH (or `name` itself when it holds a slash), if it is an executable file.
  private static func locate(_ name: String) -> String? {
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    return ExecutableSearch.resolve(name, in: path.split(separator: ":").map(String.init))
  }

  private static func lastError() -> String { String(cString: strerror(errno)) }
}

struct SSHLaunchFailure: Error {
  let reason: String
}
