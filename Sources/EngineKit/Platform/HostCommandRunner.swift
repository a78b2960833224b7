import Subprocess
import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs a short host command (`ps`, `tasklist.exe`, `wsl.exe`) to completion and collects its standard output.
///
/// Bounded by `timeout`: the run races a deadline, and the loser is cancelled, which ends the command (SIGTERM, then
/// SIGKILL). Interop calls into Windows from WSL can hang when Windows is busy; a detector must never wait on them
/// for long.
public struct HostCommandRunner: Sendable {
  public var timeout: Duration
  /// More output than this is treated as a failure, not truncated.
  public var outputLimit: Int

  public init(timeout: Duration = .seconds(5), outputLimit: Int = 4 << 20) {
    self.timeout = timeout
    self.outputLimit = outputLimit
  }

  /// What a command printed and how it ended.
  public struct Output: Sendable, Hashable {
    /// The exit code, or `nil` when a signal ended it.
    public var exitCode: Int32?
    public var standardOutput: [UInt8]

    public init(exitCode: Int32?, standardOutput: [UInt8]) {
      self.exitCode = exitCode
      self.standardOutput = standardOutput
    }
  }

  /// Runs `executable` (a path) with `arguments` in `environment`; `nil` when it could not start, printed too much,
  /// or did not finish within the timeout.
  public func run(_ executable: String, _ arguments: [String], environment: [String: String]) async -> Output? {
    let limit = outputLimit
    var options = PlatformOptions()
    options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .milliseconds(200))]
    let variables = Dictionary(
      environment.compactMap { key, value in Environment.Key(rawValue: key).map { ($0, value) } },
      uniquingKeysWith: { first, _ in first })
    let platformOptions = options
    return await withTaskGroup(of: Output?.self) { group in
      group.addTask {
        guard
          let result = try? await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments), environment: .custom(variables),
            platformOptions: platformOptions, output: .bytes(limit: limit), error: .discarded)
        else { return nil }
        let exitCode: Int32? =
          if case .exited(let code) = result.terminationStatus { Int32(truncatingIfNeeded: code) } else { nil }
        return Output(exitCode: exitCode, standardOutput: result.standardOutput)
      }
      group.addTask { [timeout] in
        try? await Task.sleep(for: timeout)
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      return first
    }
  }
}

/// Finding programs the way a shell does.
public enum ExecutableSearch {
  /// The first executable file named `name` in the directories of `path`.
  public static func find(_ name: String, in path: [String]) -> String? {
    for directory in path {
      let candidate = directory.hasSuffix("/") ? directory + name : "\(directory)/\(name)"
      if HostFiles.isExecutableFile(candidate) { return candidate }
    }
    return nil
  }

  /// The program `execvp` would run for `name`: a name with a slash as it is, others looked up in `path`.
  public static func resolve(_ name: String, in path: [String]) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    return find(name, in: path)
  }
}
