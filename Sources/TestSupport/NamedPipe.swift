import Foundation
import JSONRPC

/// A FIFO to give a child as its stderr path (`ChildProcess(standardErrorPath:)`), so that a test can await what
/// the child says, as it says it, instead of reading a file after the fact.
///
/// Open for reading before the child starts (without blocking); the child's open for writing then succeeds at
/// once, and reads block until it writes or exits.
public final class NamedPipe: @unchecked Sendable {
  public let path: String
  private let descriptor: Int32
  private let lock = NSLock()
  private var text = ""

  public init(in directory: TemporaryDirectory, name: String = "stderr.fifo") throws {
    path = directory.file(name)
    guard mkfifo(path, 0o600) == 0 else { throw FixtureError("mkfifo \(path): \(String(cString: strerror(errno)))") }
    descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw FixtureError("open \(path): \(String(cString: strerror(errno)))") }
  }

  deinit { close(descriptor) }

  /// Reads until a line containing `needle` has arrived (returning everything read so far), the writer closes,
  /// or `timeout` passes. Call only once the writer has the pipe open (the child was started).
  public func waitForLine(containing needle: String, timeout: Duration = .seconds(30)) async throws -> String {
    if let found = lock.withLock({ Self.completeLines(text).contains(needle) ? text : nil }) { return found }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    let input = FileDescriptorInput(descriptor: descriptor, chunkSize: 4096)
    // A blocked read cannot be cancelled: the reader and the timer race, and the first to finish answers.
    let found: String? = await withCheckedContinuation { continuation in
      let answered = FirstAnswer(continuation)
      let answer = answered.give
      Task {
        for await chunk in input {
          let text = lock.withLock {
            self.text += String(decoding: chunk, as: UTF8.self)
            return self.text
          }
          if Self.completeLines(text).contains(needle) { return answer(text) }
        }
        answer(nil)
      }
      Task {
        try? await Task.sleep(for: timeout)
        answer(nil)
      }
    }
    guard let found else {
      throw FixtureError("no line with \"\(needle)\" on \(path) within \(timeout); got: \(received)")
    }
    return found
  }

  /// Everything read so far.
  public var received: String { lock.withLock { text } }

  private static func completeLines(_ text: String) -> Substring {
    guard let lastNewline = text.lastIndex(of: "\n") else { return "" }
    return text[...lastNewline]
  }
}

/// Resumes a continuation with the first value given; later ones are dropped.
private final class FirstAnswer<Value: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var continuation: CheckedContinuation<Value, Never>?

  init(_ continuation: CheckedContinuation<Value, Never>) { self.continuation = continuation }

  func give(_ value: Value) {
    let waiting = lock.withLock {
      defer { continuation = nil }
      return continuation
    }
    waiting?.resume(returning: value)
  }
}
