import EngineKit
import Subprocess
import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What became of one command a heal step ran.
public struct CommandOutcome: Sendable, Equatable {
  public enum Ending: Sendable, Equatable {
    case exited(Int32)
    case signalled(Int32)
    /// Still running at the deadline: torn down (SIGTERM to its process group, then SIGKILL).
    case timedOut
    /// The caller gave up (a cancelled request): torn down the same way.
    case cancelled
    /// It never ran: not found, not executable.
    case notLaunched(String)
  }

  public var ending: Ending
  /// The end of what it wrote to stdout and stderr, interleaved as it wrote them.
  public var output: String
  public var duration: Duration

  /// The exit status as a shell reports it: the code, or 128 + the signal; `nil` when it did not end by itself.
  public var exitCode: Int? {
    switch ending {
    case .exited(let code): Int(code)
    case .signalled(let signal): 128 + Int(signal)
    case .timedOut, .cancelled, .notLaunched: nil
    }
  }

  public var succeeded: Bool { ending == .exited(0) }
}

/// Runs argv (never through a shell) with a deadline and a bounded excerpt of its output.
///
/// swift-subprocess has no timeout of its own: the run is raced against the deadline, and losing the race cancels
/// it, which runs its teardown sequence (SIGTERM to the command's own session, SIGKILL after a grace period).
/// Output goes to an unlinked temporary file rather than a pipe, so a command that leaves a daemon holding its
/// stdout (`dockerd &` in a script) cannot keep us waiting for an end of file that never comes.
struct CommandRunner: Sendable {
  var searchPath: [String]
  /// Bytes of output kept: the end, where the error usually is.
  var outputLimit = 4096
  var gracePeriod: Duration = .seconds(2)

  func run(_ argv: [String], timeout: Duration) async -> CommandOutcome {
    let clock = ContinuousClock()
    let started = clock.now
    func outcome(_ ending: CommandOutcome.Ending, output: String = "") -> CommandOutcome {
      CommandOutcome(ending: ending, output: output, duration: clock.now - started)
    }
    guard let program = argv.first, !program.isEmpty else { return outcome(.notLaunched("the command is empty")) }
    guard let path = ExecutableSearch.resolve(program, in: searchPath) else {
      let reason =
        program.contains("/")
        ? "\(program): no such executable file"
        : "\(program): not found on the search path (\(searchPath.joined(separator: ":")))"
      return outcome(.notLaunched(reason))
    }
    let capture: OutputCapture
    do {
      capture = try OutputCapture()
    } catch {
      return outcome(.notLaunched("cannot create a file for the command's output: \(error)"))
    }
    defer { capture.close() }

    // A session of its own, so that the teardown reaches whatever the command started too.
    let options = {
      var options = PlatformOptions()
      options.createSession = true
      options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: gracePeriod)]
      return options
    }()
    let arguments = Arguments(executablePathOverride: program, remainingValues: Array(argv.dropFirst()))
    let descriptor = capture.descriptor

    enum Race: Sendable {
      case finished(Result<TerminationStatus, any Error>)
      case deadline
    }
    let ending: CommandOutcome.Ending = await withTaskGroup(of: Race.self) { group in
      group.addTask {
        do {
          let result = try await Subprocess.run(
            .path(FilePath(path)), arguments: arguments, platformOptions: options, input: .none,
            output: .fileDescriptor(descriptor, closeAfterSpawningProcess: false), error: .combinedWithOutput)
          return .finished(.success(result.terminationStatus))
        } catch {
          return .finished(.failure(error))
        }
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return .deadline
      }
      var deadlinePassed = false
      var ending: CommandOutcome.Ending = .cancelled
      while let next = await group.next() {
        switch next {
        case .deadline:
          // The sleep also ends early when the caller is cancelled; that is not a timeout.
          if Task.isCancelled { continue }
          deadlinePassed = true
          group.cancelAll()
        case .finished(.success(let status)):
          group.cancelAll()
          ending =
            switch status {
            case .exited(let code): .exited(code)
            case .signaled(let signal): .signalled(signal)
            }
          // Torn down by us (deadline, or the caller cancelled): its status is our SIGTERM, not its verdict.
          if deadlinePassed {
            ending = .timedOut
          } else if Task.isCancelled {
            ending = .cancelled
          }
        case .finished(.failure(let error)):
          group.cancelAll()
          if deadlinePassed {
            ending = .timedOut
          } else if Task.isCancelled || error is CancellationError {
            ending = .cancelled
          } else {
            ending = .notLaunched("\(program): \(error)")
          }
        }
      }
      return ending
    }
    return outcome(ending, output: capture.excerpt(limit: outputLimit))
  }
}

/// An unlinked temporary file that collects a command's output; only its end is ever read back.
final class OutputCapture: Sendable {
  let descriptor: FileDescriptor

  init() throws(Errno) {
    let tmp = getenv("TMPDIR").map { String(cString: $0) }
    let base = tmp.map { $0.hasPrefix("/") } == true ? tmp! : "/tmp"
    var template = Array("\(base)/docker-preflight-output.XXXXXX".utf8CString)
    let raw = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard raw >= 0 else { throw Errno(rawValue: errno) }
    // Close-on-exec at once (mkostemp is a GNU extension Swift does not import); every program we spawn also
    // gets only the descriptors it is given.
    _ = fcntl(raw, F_SETFD, FD_CLOEXEC)
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    descriptor = FileDescriptor(rawValue: raw)
  }

  /// The last `limit` bytes, as text; `…` marks a cut.
  func excerpt(limit: Int) -> String { textTail(of: descriptor, limit: limit) }

  func close() { try? descriptor.close() }
}
