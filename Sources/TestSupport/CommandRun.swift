import Foundation

/// A command run to completion with its output captured: for one-shot CLI invocations in tests.
public struct CommandRun: Sendable {
  public var status: Int32
  public var standardOutput: String
  public var standardError: String
  /// The most memory the command had resident at once, in KiB.
  public var peakMemoryKilobytes: Int?

  /// Runs `executable` with `arguments`; `input` is written to its stdin, which is then closed.
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String = "",
    timeout: Duration = .seconds(60)
  ) async throws -> CommandRun {
    let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment)
    try child.write(input)
    try child.closeInput()
    var output: [UInt8] = []
    for await chunk in child.output { output += chunk }
    guard let status = await child.exitStatus(within: timeout) else {
      await child.terminate()
      throw FixtureError("\(executable) \(arguments) did not exit within \(timeout)")
    }
    return CommandRun(
      status: status, standardOutput: String(decoding: output, as: UTF8.self), standardError: child.standardError,
      peakMemoryKilobytes: nil)
  }
}

/// `docker-preflight` run once, with a clean environment plus `environment`.
public enum PreflightRun {
  public static func run(
    _ arguments: [String], environment: [String: String] = [:], input: String = "", timeout: Duration = .seconds(60)
  ) async throws -> CommandRun {
    try await CommandRun.run(
      PreflightBinary.path, arguments, environment: PreflightBinary.cleanEnvironment(environment), input: input,
      timeout: timeout)
  }
}
