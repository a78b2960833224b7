import ArgumentParser
import JSONRPC
import PreflightServer

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `docker-preflight serve`: the JSON-RPC service on stdin/stdout.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the JSON-RPC protocol on stdin/stdout (LSP framing or one JSON message per line).",
    discussion: """
      The framing is detected from the first bytes: `Content-Length:` headers (as a language server) or one JSON \
      text per line (for scripts). Answers use the client's framing. See protocol/README.md.

      Examples:
        printf '%s\\n' '{"jsonrpc":"2.0","id":1,"method":"diagnose"}' | docker-preflight serve

      Exit codes: 0 after shutdown and exit, or at the end of input; 1 on exit without shutdown.
      """
  )

  @OptionGroup var global: GlobalOptions

  func run() async throws {
    global.bootstrapLogging()
    let configuration = try global.loadConfiguration()
    // Only protocol messages may reach the client's stdout: keep a private copy of it for the protocol and point
    // fd 1 at stderr, so that a stray print cannot corrupt the stream.
    signal(SIGPIPE, SIG_IGN)
    // Close-on-exec: a daemon a heal starts must not inherit the client's pipe and hold it open.
    let protocolOutput = fcntl(1, F_DUPFD_CLOEXEC, 3)
    guard protocolOutput >= 0, dup2(2, 1) >= 0 else {
      FileHandleStream.standardError.write("docker-preflight: cannot set up stdout for the protocol\n")
      throw ExitCode(1)
    }
    let server = PreflightServer(resolver: global.resolver, configuration: configuration)
    let connection = JSONRPCConnection(
      methods: server.methods,
      output: FileDescriptorOutput(descriptor: protocolOutput),
      options: .init(
        serverName: "docker-preflight", cancelsInFlightAtEndOfInput: PreflightServer.cancelsInFlightAtEndOfInput),
      logger: global.makeLogger())
    let ending = await connection.run(input: FileDescriptorInput(descriptor: 0))
    await server.endSession()
    throw ExitCode(ending.exitStatus)
  }
}
