import Foundation

/// A command run to completion with its output captured: for one-shot CLI invocations in tests.
public struct CommandRun: Sendable {
  public var status: Int32
  public var standardOutput: String
  public var standardError: String
  /// The most memory the command had resident at once, in KiB, when it was run with `measuringPeakMemory`.
  public var peakMemoryKilobytes: Int?

  /// Runs `executable` with `arguments`; `input` is written to its stdin, which is then closed. With
  /// `measuringPeakMemory`, GNU time runs it (a real fork from a small process: the peak of a child spawned from the
  /// test process itself would start from the test process's own) and reports its peak resident memory.
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String = "",
    timeout: Duration = .seconds(60), measuringPeakMemory: Bool = false
  ) async throws -> CommandRun {
    var executable = executable
    var arguments = arguments
    let memoryReport = TemporaryDirectory.makePath(prefix: "maxrss")
    defer { unlink(memoryReport) }
    if measuringPeakMemory {
      guard let time = ["/usr/bin/time", "/bin/time"].first(where: FileManager.default.isExecutableFile) else {
        throw FixtureError("measuring memory needs GNU time (apt install time)")
      }
      arguments = ["-f", "%M", "-o", memoryReport, executable] + arguments
      executable = time
    }
    let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment)
    try child.write(input)
    try child.closeInput()
    var output: [UInt8] = []
    for await chunk in child.output { output += chunk }
    guard let status = await child.exitStatus(within: timeout) else {
      await child.terminate()
      throw FixtureError("\(executable) \(arguments) did not exit within \(timeout)")
    }
    let peak = measuringPeakMemory ? (try? String(contentsOfFile: memoryReport, encoding: .utf8)) : nil
    return CommandRun(
      status: status, standardOutput: String(decoding: output, as: UTF8.self), standardError: child.standardError,
      peakMemoryKilobytes: peak.flatMap { Int($0.split(whereSeparator: \.isNewline).last ?? "") })
  }
}

/// `docker-preflight` run once, with a clean environment plus `environment`.
public enum PreflightRun {
  public static func run(
    _ arguments: [String], environment: [String: String] = [:], input: String = "", timeout: Duration = .seconds(60),
    measuringPeakMemory: Bool = false
  ) async throws -> CommandRun {
    try await CommandRun.run(
      PreflightBinary.path, arguments, environment: PreflightBinary.cleanEnvironment(environment), input: input,
      timeout: timeout, measuringPeakMemory: measuringPeakMemory)
  }
}
