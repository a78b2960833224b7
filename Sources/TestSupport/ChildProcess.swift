import Dispatch
import EngineKit
import Foundation
import JSONRPC

/// A child process a test started: stdin and stdout are pipes, stderr goes to a file.
///
/// Spawned with `posix_spawn`, with the signal mask cleared and every signal at its default, so that SIGTERM
/// reaches it (Foundation's `Process` passes on the blocked mask of the thread that spawns). Its exit is awaited
/// through a pidfd read source (no thread blocks while it runs; a blocking `waitpid` on a queue of its own where
/// pidfds are missing), never by polling. A test ends only the processes it started, by pid.
public final class ChildProcess: @unchecked Sendable {
  public let pid: pid_t
  public let standardErrorPath: String
  private let inputDescriptor: Int32
  private let outputDescriptor: OwnedDescriptor
  private let exit = ExitBox()
  private let inputLock = NSLock()
  private var inputClosed = false

  /// Starts `executable` with `arguments`. `environment` replaces the inherited one when given.
  public init(
    executable: String, arguments: [String], environment: [String: String]? = nil,
    standardErrorPath: String? = nil
  ) throws {
    let errorPath = standardErrorPath ?? TemporaryDirectory.makePath(prefix: "stderr")
    self.standardErrorPath = errorPath
    // Pipes are made and marked close-on-exec under one lock with the spawn, so that a child spawned by a test
    // running in parallel cannot inherit this child's pipe ends (its stdout would then never reach end of file).
    Self.spawnLock.lock()
    defer { Self.spawnLock.unlock() }
    var input: [Int32] = [0, 0]
    var output: [Int32] = [0, 0]
    guard pipe(&input) == 0, pipe(&output) == 0 else {
      throw FixtureError("pipe failed: \(String(cString: strerror(errno)))")
    }
    for descriptor in input + output { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
    // Nothing else of the test process: a child holding a copy of another test's socket would keep that connection
    // open after the test closed it (seen as a client waiting out its timeout for an end that never came).
    SpawnActions.closeDescriptors(from: 3, in: &actions)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
    let envp = environmentList + [nil]
    defer {
      argv.forEach { free($0) }
      environmentList.forEach { free($0) }
    }
    var spawned: pid_t = 0
    let result = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
    close(input[0])
    close(output[1])
    guard result == 0 else {
      close(input[1])
      close(output[0])
      throw FixtureError("cannot start \(executable): \(String(cString: strerror(result)))")
    }
    let pid = spawned
    self.pid = pid
    inputDescriptor = input[1]
    outputDescriptor = OwnedDescriptor(output[0])
    Self.reapWhenExited(pid, into: exit)
  }

  /// Reaps `pid` once it exits and delivers its status. A pidfd becomes readable at exit, so dozens of children
  /// running at once cost no blocked threads.
  private static func reapWhenExited(_ pid: pid_t, into exit: ExitBox) {
    @Sendable func reap(blocking: Bool) -> Bool {
      var status: Int32 = 0
      var reaped: pid_t
      repeat { reaped = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while reaped < 0 && errno == EINTR
      guard reaped == pid else { return false }
      // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
      let signal = status & 0x7f
      exit.set(signal == 0 ? (status >> 8) & 0xff : 128 + signal)
      return true
    }
    let queue = DispatchQueue(label: "reap.\(pid)")
    guard let open = pidfdOpen, case let descriptor = open(pid, 0), descriptor >= 0 else {
      queue.async { _ = reap(blocking: true) }
      return
    }
    let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
    source.setEventHandler { if reap(blocking: false) { source.cancel() } }
    source.setCancelHandler { close(descriptor) }
    source.resume()
  }

  /// glibc's `pidfd_open` (2.36), which Swift's Glibc module does not import.
  static let pidfdOpen: (@convention(c) (pid_t, UInt32) -> Int32)? = CLibrary.symbol("pidfd_open")

  private static let spawnLock = NSLock()

  /// Writes a program file so that no child spawned meanwhile can inherit it open for writing: such a child would
  /// make every later exec of the file fail with "Text file busy" (ETXTBSY) for as long as it lives.
  public static func writeExecutable(_ contents: String, to path: String, mode: mode_t = 0o755) throws {
    try spawnLock.withLock {
      let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
      guard descriptor >= 0 else { throw FixtureError("cannot write \(path): \(String(cString: strerror(errno)))") }
      defer { close(descriptor) }
      var bytes = Array(contents.utf8)
      guard bytes.withUnsafeMutableBytes({ Foundation.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
        throw FixtureError("cannot write \(path): \(String(cString: strerror(errno)))")
      }
      _ = fchmod(descriptor, mode)
    }
  }

  /// The output descriptor closes when its last reader lets go of it (``OwnedDescriptor``).
  deinit { closeInputQuietly() }

  /// The child's stdout, read in chunks as they arrive; read it from one place only.
  public var output: FileDescriptorInput {
    FileDescriptorInput(descriptor: outputDescriptor.number, owner: outputDescriptor)
  }

  public func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let written = Foundation.write(inputDescriptor, raw.baseAddress! + offset, raw.count - offset)
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { throw FixtureError("write to child failed: \(String(cString: strerror(errno)))") }
        offset += written
      }
    }
  }

  public func write(_ text: String) throws { try write(Array(text.utf8)) }

  /// Writes as much of `bytes` as the child takes, until it has taken nothing for `quiet` (it stopped reading) or
  /// took everything; returns how many bytes it took. Blocks the calling thread: call it off Swift's thread pool.
  public func writeUntilStalled(_ bytes: [UInt8], quiet: Duration) throws -> Int {
    let flags = fcntl(inputDescriptor, F_GETFL)
    _ = fcntl(inputDescriptor, F_SETFL, flags | O_NONBLOCK)
    defer { _ = fcntl(inputDescriptor, F_SETFL, flags) }
    let quietMilliseconds = Int32(quiet.components.seconds * 1000 + quiet.components.attoseconds / 1_000_000_000_000_000)
    return try bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        var descriptor = pollfd(fd: inputDescriptor, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&descriptor, 1, quietMilliseconds)
        if ready < 0 && errno == EINTR { continue }
        guard ready > 0 else { return offset }
        let written = Foundation.write(inputDescriptor, raw.baseAddress! + offset, raw.count - offset)
        if written < 0 && (errno == EINTR || errno == EAGAIN) { continue }
        guard written > 0 else { throw FixtureError("write to child failed: \(String(cString: strerror(errno)))") }
        offset += written
      }
      return offset
    }
  }

  /// Closes this end of the child's stdout: its next writes fail with EPIPE. Do not read ``output`` afterwards.
  public func closeOutput() { outputDescriptor.close() }

  /// Closes the child's stdin: end of input.
  public func closeInput() throws { closeInputQuietly() }

  private func closeInputQuietly() {
    inputLock.withLock {
      guard !inputClosed else { return }
      inputClosed = true
      close(inputDescriptor)
    }
  }

  public var isRunning: Bool { exit.current == nil }

  public func signal(_ signal: Int32) { if isRunning { kill(pid, signal) } }

  /// The exit status (or 128 + signal number when killed by a signal), once the child has exited.
  public var exitStatus: Int32 {
    get async { await exit.value }
  }

  /// The exit status, or `nil` if the child is still running after `timeout`.
  public func exitStatus(within timeout: Duration) async -> Int32? {
    if let status = exit.current { return status }
    return await withTaskGroup(of: Int32?.self) { group in
      group.addTask { await self.exitStatus }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return nil
      }
      let first = await group.next()!
      group.cancelAll()
      if first == nil { exit.abandonWaiters() }
      return first
    }
  }

  /// The child's resident memory now and at its peak, in bytes (`VmRSS` and `VmHWM` of `/proc/<pid>/status`);
  /// `nil` where there is no /proc or once the child has gone.
  public var residentMemory: (current: Int, peak: Int)? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    func kilobytes(_ field: String) -> Int? {
      guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
      return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
    }
    guard let current = kilobytes("VmRSS"), let peak = kilobytes("VmHWM") else { return nil }
    return (current * 1024, peak * 1024)
  }

  /// What the child wrote to stderr so far.
  public var standardError: String {
    (try? String(contentsOfFile: standardErrorPath, encoding: .utf8)) ?? ""
  }

  /// Ends the child if it still runs: SIGTERM, then SIGKILL after `grace`.
  public func terminate(grace: Duration = .seconds(10)) async {
    guard isRunning else { return }
    signal(SIGTERM)
    if await exitStatus(within: grace) == nil {
      signal(SIGKILL)
      _ = await exitStatus
    }
  }
}

/// The exit status, delivered once to any number of waiters.
final class ExitBox: @unchecked Sendable {
  private let lock = NSLock()
  private var status: Int32?
  private var waiters: [UUID: CheckedContinuation<Int32?, Never>] = [:]

  func set(_ value: Int32) {
    let waiting = lock.withLock {
      status = value
      defer { waiters.removeAll() }
      return Array(waiters.values)
    }
    for waiter in waiting { waiter.resume(returning: value) }
  }

  var current: Int32? { lock.withLock { status } }

  var value: Int32 {
    get async {
      while true {
        if let value = await next() { return value }
        if Task.isCancelled, let status = current { return status }
        if Task.isCancelled { return -1 }
      }
    }
  }

  /// Waits for the status; `nil` when the wait was abandoned (a timed-out waiter) or its task was cancelled.
  ///
  /// Cancellation is checked under the lock as the waiter registers: a waiter cancelled just before it registered
  /// would otherwise miss both the cancellation and ``abandonWaiters()``, and wait for the process to exit.
  private func next() async -> Int32? {
    let id = UUID()
    return await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let ready: Int32?? = lock.withLock {
          if let status { return .some(status) }
          if Task.isCancelled { return .some(nil) }
          waiters[id] = continuation
          return .none
        }
        if case .some(let status) = ready { continuation.resume(returning: status) }
      }
    } onCancel: {
      lock.withLock { waiters.removeValue(forKey: id) }?.resume(returning: nil)
    }
  }

  /// Wakes waiters whose task gave up (their continuation must still be resumed once).
  func abandonWaiters() {
    let waiting = lock.withLock {
      defer { waiters.removeAll() }
      return Array(waiters.values)
    }
    for waiter in waiting { waiter.resume(returning: nil) }
  }
}

/// A file descriptor closed when the last of its holders releases it (or when asked): readers hold it for as long
/// as they may read, so that it is never closed under a read and its number given to another test's file or socket.
final class OwnedDescriptor: @unchecked Sendable {
  let number: Int32
  private let lock = NSLock()
  private var isOpen = true

  init(_ number: Int32) { self.number = number }

  func close() {
    lock.withLock {
      guard isOpen else { return }
      isOpen = false
      _ = Foundation.close(number)
    }
  }

  deinit { close() }
}
