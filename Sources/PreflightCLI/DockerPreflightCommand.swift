import ArgumentParser
import EngineKit
import JSON
import Preflight

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The root command: `docker-preflight <subcommand>`.
public struct DockerPreflightCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "docker-preflight",
    abstract: "Diagnose a container engine, heal it, and wait until it is ready.",
    discussion: """
      Finds the engine the docker CLI would use (--context, --host, DOCKER_HOST, DOCKER_CONTEXT, the current \
      context, the default socket) and reports what stands between you and a working `docker`.

      Global options, before or after the subcommand, as the docker CLI has them: -H/--host, --context, --config \
      DIR; and --log-level.

      Examples:
        docker-preflight check
        docker-preflight -H unix:///run/user/1000/docker.sock wait --timeout 30s
        docker-preflight exec --heal --yes -- devcontainer up --workspace-folder .
        docker-preflight explain - < devcontainer.log
        docker-preflight --generate-completion-script zsh > _docker-preflight

      Exit codes: 0 healthy/ready, 1 unhealthy or gave up, 2 usage or configuration error, 130 interrupted; exec \
      and docker end with their command's status (127 not found).
      """,
    version: "\(PreflightVersion.name) \(PreflightVersion.version)",
    subcommands: [
      CheckCommand.self, EndpointsCommand.self, HealCommand.self, WaitCommand.self, ExecCommand.self,
      DockerShimCommand.self, ServeCommand.self, ExplainCommand.self,
    ]
  )

  public init() {}

  /// Runs the command line; exit statuses follow the table in `--help`, not ArgumentParser's defaults
  /// (a usage error is 2, as for the docker CLI, not 64).
  public static func run(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
    do {
      EngineEventLoops.useOneThread()
      let arguments = GlobalOptions.movedAfterSubcommand(arguments)
      // A plain command line's command is known to be async: no dynamic cast (a conformance lookup) to find out.
      if var plain = PlainCommandLine.command(arguments) {
        try await plain.run()
        terminate(0)
      }
      var command = try parseDirectly(arguments)
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
      terminate(0)
    } catch {
      let status = exitCode(for: error)
      if status == .success {
        print(fullMessage(for: error))
        terminate(0)
      }
      let message = fullMessage(for: error)
      if !message.isEmpty { FileHandleStream.standardError.write(message + "\n") }
      if let code = error as? ExitCode { terminate(code.rawValue) }
      terminate(ExitStatus.usage)
    }
  }
}

extension DockerPreflightCommand {
  /// Prepares the program's first thread for the command line, before it starts any other: a `check` is to run on
  /// this thread alone (``runOnThisThread()``, `true`), and a plain one's questions (``EngineHeadStart``) go to the
  /// engine at once. Does nothing for other command lines, and for the docker-path shim.
  public static func prepareFirstThread(commandLine: [String] = CommandLine.arguments) -> Bool {
    guard DockerShim.dockerArguments(of: commandLine) == nil else { return false }
    let arguments = GlobalOptions.movedAfterSubcommand(Array(commandLine.dropFirst()))
    guard arguments.first == "check" else { return false }
    EngineEventLoops.useThisThread()
    EngineHeadStart.begin(arguments)
    return true
  }

  /// Runs the command line on this thread alone (``EngineEventLoops/runThisThread(_:)``).
  public static func runOnThisThread() -> Never {
    EngineEventLoops.runThisThread { await run() }
  }

  /// Parses a command line that names a subcommand first with that subcommand's options alone: reflecting on every
  /// subcommand costs ~2.5 ms of a one-shot `check`. Whatever that parse rejects (`--help` too) is parsed again from
  /// the root, whose messages name the whole command.
  static func parseDirectly(_ arguments: [String]) throws -> any ParsableCommand {
    if let name = arguments.first,
      let subcommand = configuration.subcommands.first(where: { $0.configuration.commandName == name }),
      let command = try? subcommand.parseAsRoot(Array(arguments.dropFirst())),
      type(of: command) == subcommand  // not the parser's help command
    {
      return command
    }
    return try parseAsRoot(arguments)
  }
}

/// Exit statuses that scripts can branch on.
enum ExitStatus {
  static let healthy: Int32 = 0
  static let unhealthy: Int32 = 1
  static let usage: Int32 = 2
}

/// Writes to a file descriptor without Foundation.
struct FileHandleStream: TextOutputStream {
  let descriptor: Int32
  static let standardError = FileHandleStream(descriptor: 2)
  static let standardOutput = FileHandleStream(descriptor: 1)

  func write(_ string: String) {
    var string = string
    string.withUTF8 { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if written <= 0 { return }
        offset += written
      }
    }
  }
}

extension FileHandleStream {
  /// `value` as one line of JSON: what `--json` prints.
  func writeJSON(_ value: some Encodable) throws {
    var output = try JSONValueEncoder().encode(value).serialized()
    output.append(UInt8(ascii: "\n"))
    write(String(decoding: output, as: UTF8.self))
  }
}

/// The C library's `exit`, which `ParsableCommand.exit(withError:)` hides inside command types.
func terminate(_ status: Int32) -> Never { exit(status) }

/// The C library's `write`, which `TextOutputStream.write(_:)` hides inside stream types.
func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, bytes, count)
}
