import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An open HTTP/1.1 channel to an engine, the answers it has read, and the ssh child carrying it when there is one.
struct EngineConnection {
  /// A channel with the HTTP handlers, and its last handler (used on the channel's event loop only).
  struct HTTPChannel: Sendable {
    let channel: any Channel
    let inbox: NIOLoopBound<ResponseInbox>
  }
  let channel: HTTPChannel
  let tunnel: SSHTunnel?
}

/// Opens a channel to an endpoint with the HTTP/1.1 client handlers installed: over a unix socket, TCP, TCP with
/// TLS (the TLS handler first in the pipeline), or the stdio of an ssh child.
struct EngineConnector {
  let endpoint: Endpoint
  let tls: TLSContext?
  let ssh: SSHOptions

  /// With `early` (and its socket not yet taken), the channel adopts that socket instead of connecting.
  func connect(timeout: Duration, early: EarlyRequest? = nil) async throws -> EngineConnection {
    let bootstrap = ClientBootstrap(group: EngineEventLoops.group)
      .connectTimeout(TimeAmount(max(timeout, .milliseconds(1))))
    if let early, let socket = early.take() {
      let channel = try await bootstrap.withConnectedSocket(socket) { channel in
        channel.eventLoop.makeCompletedFuture { try Self.addHTTPHandlers(to: channel, early: early.request) }
      }
      return EngineConnection(channel: channel, tunnel: nil)
    }
    switch endpoint.transport {
    case .unix(let path):
      let channel = try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: Self.httpHandlers)
      return EngineConnection(channel: channel, tunnel: nil)
    case .tcp(let host, let port):
      let initializer: @Sendable (any Channel) -> EventLoopFuture<EngineConnection.HTTPChannel>
      if let tls {
        initializer = { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(TLSClientHandler(context: tls, serverName: host))
            return try Self.addHTTPHandlers(to: channel)
          }
        }
      } else {
        initializer = Self.httpHandlers
      }
      let channel = try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
      return EngineConnection(channel: channel, tunnel: nil)
    case .ssh(let user, let host, let port, let socketPath):
      let arguments = SSHCommand.arguments(
        user: user, host: host, port: port, socketPath: socketPath, connectTimeout: timeout, options: ssh)
      let tunnel = try SSHTunnel.launch(arguments, options: ssh)
      do {
        let channel = try await NIOPipeBootstrap(group: EngineEventLoops.group)
          .takingOwnershipOfDescriptors(
            input: tunnel.input, output: tunnel.output, channelInitializer: Self.httpHandlers)
        return EngineConnection(channel: channel, tunnel: tunnel)
      } catch {
        // The descriptors are still ours when the bootstrap fails.
        close(tunnel.input)
        close(tunnel.output)
        await tunnel.end()
        throw error
      }
    case .namedPipe(let path):
      throw NamedPipeUnavailable(path: path)
    }
  }

  private static let httpHandlers: @Sendable (any Channel) -> EventLoopFuture<EngineConnection.HTTPChannel> = {
    channel in
    channel.eventLoop.makeCompletedFuture { try addHTTPHandlers(to: channel) }
  }

  /// Header fields a response may carry: dockerd sends about ten; NIO alone would allow 65,534 (within 80 KiB).
  static let maxHeaderFields = 256

  /// NIO's HTTP request encoder and response decoder with our seam between them and our inbox after them. Not NIO's
  /// outbound header validator (`addHTTPClientHandlers` adds one): every header sent is a constant, a length, or the
  /// `Host` of an endpoint whose parsing refused spaces and control characters, and each handler type costs a
  /// one-shot `check` two conformance scans.
  private static func addHTTPHandlers(
    to channel: any Channel, early: EngineRequest? = nil
  ) throws -> EngineConnection.HTTPChannel {
    let limit = ResponseHeadLimit.State()
    let inbox = ResponseInbox(limit: limit)
    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
    decoderLimits.maxHeaderFieldCount = maxHeaderFields
    try channel.pipeline.syncOperations.addHandlers([
      HTTPRequestEncoder(),
      CodecSeam(limit: limit, early: early),
      ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)),
      inbox,
    ])
    return EngineConnection.HTTPChannel(channel: channel, inbox: NIOLoopBound(inbox, eventLoop: channel.eventLoop))
  }
}

/// Named pipes are Windows objects; this build has no way to open one.
struct NamedPipeUnavailable: Error {
  let path: String
}

/// The event loops engine calls run on: NIO's singleton group, or the program's first thread alone
/// (``useThisThread()``).
public enum EngineEventLoops {
  /// One event loop thread instead of one per core: a process here asks one engine a few questions at a time, and a
  /// thread fewer to start is start-up time and memory a one-shot `check` and an idle `serve` do not spend. Call it
  /// before the first engine call; later it changes nothing. NIO is told at the first connection, not here: telling it
  /// costs a lookup of a conformance (a scan of the binary's records), which a one-shot `check` makes after its
  /// early requests are out rather than before.
  public static func useOneThread() {
    oneThread.withLock { $0 = true }
  }

  /// Makes the calling thread, the program's first, the only thread of a one-shot command: its event loop, and the
  /// executor its tasks prefer (``taskExecutor``), so that nothing starts a thread. Beside a `check` that asks a
  /// healthy engine three questions, starting NIO's thread and Swift's pool threads (six in all) was a third of its
  /// CPU time, most of it in the kernel. Call it before the first engine call or task; ``runThisThread(_:)`` then
  /// runs the loop, and the jobs of tasks started in between wait for it.
  public static func useThisThread() { LoopTaskExecutor.firstThread.choose() }

  /// Runs ``useThisThread()``'s loop on the calling thread, and `body` in a task that prefers it. Never returns:
  /// `body` ends the process (`exit`, `execve`).
  public static func runThisThread(_ body: @escaping @Sendable () async -> Never) -> Never {
    let executor = LoopTaskExecutor.firstThread
    MultiThreadedEventLoopGroup.withCurrentThreadAsEventLoop { loop in
      executor.attach(loop)
      Task.detached(executorPreference: executor) { await body() }
    }
    fatalError("the event loop of the program's first thread stopped")
  }

  /// What tasks started for engine calls should prefer: the first thread once ``useThisThread()`` is called; `nil`
  /// (Swift's global executor) otherwise. Unstructured tasks do not inherit a preference; child tasks do.
  public static var taskExecutor: (any TaskExecutor)? {
    LoopTaskExecutor.firstThread.isChosen ? LoopTaskExecutor.firstThread : nil
  }

  static var group: any EventLoopGroup {
    if let loop = LoopTaskExecutor.firstThread.loop { return loop }
    _ = sized
    return MultiThreadedEventLoopGroup.singleton
  }

  private static let oneThread = Mutex(false)
  private static let sized: Bool = {
    guard oneThread.withLock({ $0 }) else { return false }
    NIOSingletons.groupLoopCountSuggestion = 1
    NIOSingletons.blockingPoolThreadCountSuggestion = 1
    return true
  }()
}

/// Runs jobs on an event loop: the executor of ``EngineEventLoops/useThisThread()``. Jobs enqueued before its loop is
/// attached wait, in order, until it is.
final class LoopTaskExecutor: TaskExecutor, Sendable {
  static let firstThread = LoopTaskExecutor()

  private struct State {
    var chosen = false
    var loop: (any EventLoop)?
    var waiting: [UnownedJob] = []
  }
  private let state = Mutex(State())

  var isChosen: Bool { state.withLock { $0.chosen } }
  var loop: (any EventLoop)? { state.withLock { $0.loop } }

  func choose() { state.withLock { $0.chosen = true } }

  /// Runs the waiting jobs, and every later one, on `loop`.
  func attach(_ loop: any EventLoop) {
    state.withLock { state in
      state.chosen = true
      state.loop = loop
      for job in state.waiting { run(job, on: loop) }
      state.waiting = []
    }
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    state.withLock { state in
      if let loop = state.loop { run(job, on: loop) } else { state.waiting.append(job) }
    }
  }

  private func run(_ job: UnownedJob, on loop: any EventLoop) {
    loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}
