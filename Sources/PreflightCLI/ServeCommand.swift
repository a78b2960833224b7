import ArgumentParser
import JSONRPC
import Preflight
import PreflightServer
import Synchronization

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
    // SIGTERM and SIGINT stop the server in order: every request in flight is cancelled and answered (a heal
    // leaves a daemon it launched running and writes its `interrupted` line), the output is flushed, then we exit
    // with 128 + the signal.
    let stop = Mutex<StopState>(.serving)
    let listening = await InterruptSignal.listen { signal in
      stop.withLock { state in
        guard case .serving = state else { return }
        state = .stopping(
          Task {
            FileHandleStream.standardError.write(
              "docker-preflight: stopping (\(ProcessInterruption.name(of: signal)))\n")
            await connection.interrupt()
            await server.endSession()
            terminate(ExitStatus.interrupted(by: signal))
          })
      }
    }
    let ending = await connection.run(input: FileDescriptorInput(descriptor: 0))
    let stopping = stop.withLock { state -> Task<Void, Never>? in
      if case .stopping(let task) = state { return task }
      state = .ended
      return nil
    }
    // A signal's stop is under way: it answers what is in flight and exits the process.
    if let stopping { await stopping.value }
    InterruptSignal.stopListening(listening)
    await server.endSession()
    throw ExitCode(ending.exitStatus)
  }
}

/// Whether `serve` is stopping on a signal (the task doing it), or ended by its client.
private enum StopState {
  case serving
  case stopping(Task<Void, Never>)
  case ended
}
