import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a connection writes framed messages.
public protocol MessageOutput: Sendable {
  /// Queues `bytes` after everything written before; returns once the queue is below its high-water mark.
  func write(_ bytes: [UInt8]) async
  /// Returns once everything queued has been written (or the reader went away).
  func flush() async
}

/// Reads a file descriptor in chunks, one read in flight at a time, on a dispatch queue, so that blocking reads
/// (pipes, terminals, regular files alike) never block Swift's cooperative threads.
///
/// Asking for the next chunk is what starts the next read: a consumer that stops asking stops the reading.
public struct FileDescriptorInput: AsyncSequence, Sendable {
  public typealias Element = [UInt8]
  let descriptor: Int32
  let chunkSize: Int
  let queue: DispatchQueue
  /// Whatever closes the descriptor when it is released, kept alive by this input and its iterators: a descriptor
  /// closed under a reader has its number given to the next file or socket opened, which the reader would then read.
  let owner: (any AnyObject & Sendable)?

  public init(descriptor: Int32, chunkSize: Int = 64 * 1024, owner: (any AnyObject & Sendable)? = nil) {
    self.descriptor = descriptor
    self.chunkSize = chunkSize
    self.queue = DispatchQueue(label: "docker-preflight.input.\(descriptor)")
    self.owner = owner
  }

  public struct AsyncIterator: AsyncIteratorProtocol {
    let input: FileDescriptorInput
    var finished = false

    public mutating func next() async -> [UInt8]? {
      guard !finished else { return nil }
      let input = self.input
      let chunk: [UInt8]? = await withCheckedContinuation { continuation in
        input.queue.async { continuation.resume(returning: input.readChunk()) }
      }
      if chunk == nil { finished = true }
      return chunk
    }
  }

  public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(input: self) }

  /// One blocking read; `nil` at end of input or on an error other than EINTR.
  private func readChunk() -> [UInt8]? {
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunkSize) }
      if count > 0 {
        chunk.removeSubrange(count...)
        return chunk
      }
      if count < 0 && errno == EINTR { continue }
      return nil
    }
  }
}

/// Writes to a file descriptor in order on a serial dispatch queue with blocking writes, so that a slow reader
/// never blocks Swift's cooperative threads. Writers wait while more than `highWaterMark` bytes are queued: a
/// client that stops reading stops the server from producing, instead of making it grow without bound.
public final class FileDescriptorOutput: MessageOutput {
  struct State {
    var queuedBytes = 0
    var broken = false
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  let descriptor: Int32
  let highWaterMark: Int
  private let queue: DispatchQueue
  private let state = Mutex(State())

  public init(descriptor: Int32, highWaterMark: Int = 1 << 20) {
    self.descriptor = descriptor
    self.highWaterMark = highWaterMark
    self.queue = DispatchQueue(label: "docker-preflight.output.\(descriptor)")
  }

  public func write(_ bytes: [UInt8]) async {
    guard !bytes.isEmpty else { return }
    state.withLock { $0.queuedBytes += bytes.count }
    queue.async { self.drain(bytes) }
    await withCheckedContinuation { continuation in
      let mustWait = state.withLock { state in
        guard state.queuedBytes > highWaterMark && !state.broken else { return false }
        state.waiters.append(continuation)
        return true
      }
      if !mustWait { continuation.resume() }
    }
  }

  public func flush() async {
    await withCheckedContinuation { continuation in queue.async { continuation.resume() } }
  }

  /// Whether a write failed (the reader closed its end); later writes are dropped.
  public var isBroken: Bool { state.withLock { $0.broken } }

  private func drain(_ bytes: [UInt8]) {
    let failed = state.withLock { $0.broken } || !writeAll(descriptor, bytes)
    let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
      state.queuedBytes -= bytes.count
      if failed { state.broken = true }
      guard state.queuedBytes <= highWaterMark || state.broken else { return [] }
      defer { state.waiters.removeAll() }
      return state.waiters
    }
    for waiter in ready { waiter.resume() }
  }
}

/// Blocking write of all of `bytes`; `false` when the descriptor refuses (EPIPE and the like).
private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
  bytes.withUnsafeBytes { raw in
    var offset = 0
    while offset < raw.count {
      let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
      if written > 0 {
        offset += written
      } else if written < 0 && errno == EINTR {
        continue
      } else {
        return false
      }
    }
    return true
  }
}
