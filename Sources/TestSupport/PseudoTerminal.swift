import EngineKit
import Foundation
import JSONRPC

/// A pseudo-terminal for a child's stderr (`ChildProcess(standardErrorPath: terminal.path)`), so that a test sees
/// what a person at a terminal sees — the redrawn status line, how it is cleared — as it is written.
///
/// The test holds the master side; the child opens the slave by its path. The fixture keeps the slave open too
/// until ``childStarted()``, so that reading cannot end before the child holds it; after that, reading ends when the
/// child (the last holder) exits.
public final class PseudoTerminal: @unchecked Sendable {
  /// `/dev/pts/N`.
  public let path: String
  private let master: OwnedDescriptor
  private var slave: Int32
  private let lock = NSLock()
  private var text = ""
  private var ended = false
  private var waiters: [CheckedContinuation<Void, Never>] = []

  public init() throws {
    // posix_openpt is open(2) of /dev/ptmx; grantpt is a no-op on devpts.
    let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
    var name = [CChar](repeating: 0, count: 128)
    guard master >= 0, let unlock = Self.unlockpt, let nameOf = Self.ptsnameR, unlock(master) == 0,
      nameOf(master, &name, name.count) == 0
    else {
      throw FixtureError("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
    }
    self.master = OwnedDescriptor(master)
    path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard slave >= 0 else { throw FixtureError("cannot open \(path): \(String(cString: strerror(errno)))") }
    let input = FileDescriptorInput(descriptor: master, chunkSize: 4096, owner: self.master)
    Task { [weak self] in
      for await chunk in input {
        guard let self else { return }
        self.receive(String(decoding: chunk, as: UTF8.self))
      }
      self?.end()
    }
  }

  /// glibc's `unlockpt` and `ptsname_r`, looked up at run time: Swift's Glibc module hides them (XSI extensions).
  /// `ptsname_r`, not `ptsname`, whose static buffer two terminals opened at once (parallel tests) would share: each
  /// child then wrote to the other's terminal.
  private static let unlockpt: (@convention(c) (Int32) -> Int32)? = CLibrary.symbol("unlockpt")
  private static let ptsnameR: (@convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32)? =
    CLibrary.symbol("ptsname_r")

  /// The master side closes when its reader lets go of it (``OwnedDescriptor``), after the child's side closed.
  deinit { childStarted() }

  /// Lets go of the fixture's own hold on the terminal, once the child has opened it (its spawn has returned).
  public func childStarted() {
    lock.withLock {
      if slave >= 0 { close(slave) }
      slave = -1
    }
  }

  /// Everything the child wrote so far, escape sequences included.
  public var received: String { lock.withLock { text } }

  /// Waits until the output contains `needle`; throws if the child's side closes first or `timeout` passes.
  public func waitFor(_ needle: String, timeout: Duration = .seconds(30)) async throws {
    try await waitUntil(timeout: timeout, what: "\"\(needle)\"") { $0.contains(needle) }
  }

  /// Waits until the child's side is closed (it exited) and returns everything it wrote.
  public func waitForEnd(timeout: Duration = .seconds(30)) async throws -> String {
    try await waitUntil(timeout: timeout, what: "the end of output", endIsFine: true) { _ in false }
    return received
  }

  private func waitUntil(
    timeout: Duration, what: String, endIsFine: Bool = false, _ done: (String) -> Bool
  ) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
      let (current, finished) = lock.withLock { (text, ended) }
      if done(current) || (finished && endIsFine) { return }
      if finished { throw FixtureError("the terminal closed before \(what); got: \(current.debugDescription)") }
      guard ContinuousClock.now < deadline else {
        throw FixtureError("no \(what) on the terminal within \(timeout); got: \(current.debugDescription)")
      }
      let timer = Task { [weak self] in
        try? await Task.sleep(until: deadline)
        self?.wake()
      }
      await withCheckedContinuation { continuation in
        let wakeNow = lock.withLock {
          if text != current || ended { return true }
          waiters.append(continuation)
          return false
        }
        if wakeNow { continuation.resume() }
      }
      timer.cancel()
    }
  }

  private func receive(_ chunk: String) {
    lock.withLock { text += chunk }
    wake()
  }

  private func end() {
    lock.withLock { ended = true }
    wake()
  }

  private func wake() {
    let ready = lock.withLock {
      defer { waiters.removeAll() }
      return waiters
    }
    for waiter in ready { waiter.resume() }
  }
}
