import Foundation

extension ChildProcess {
  /// Reads the child's stdout line by line until `extract` finds what it looks for in a line, and returns that;
  /// what follows is drained in the background so that the child never blocks on a full pipe. Throws (and kills the
  /// child) when its stdout ends first or nothing is found within `timeout`.
  public func firstLine<T: Sendable>(
    within timeout: Duration, _ extract: @escaping @Sendable (String) -> T?
  ) async throws -> T {
    let outcome = await withTaskGroup(of: LineSearch<T>.self) { group in
      group.addTask {
        var pending = ""
        var seen = ""
        for await chunk in self.output {
          pending += String(decoding: chunk, as: UTF8.self)
          // sshd ends its lines with CRLF, which Swift counts as one Character.
          while let newline = pending.firstIndex(where: \.isNewline) {
            let line = String(pending[..<newline])
            pending.removeSubrange(...newline)
            if let value = extract(line) { return .found(value) }
            seen += line + "\n"
          }
        }
        return .ended(seen + pending)
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return .timedOut
      }
      let first = await group.next()!
      // A reader blocked in read(2) only returns once the child's stdout closes.
      if case .timedOut = first { self.signal(SIGKILL) }
      group.cancelAll()
      return first
    }
    switch outcome {
    case .found(let value):
      let output = self.output
      Task.detached { for await _ in output {} }
      return value
    case .ended(let text):
      throw FixtureError("the child's output ended before the line looked for: \(text)")
    case .timedOut:
      throw FixtureError("the line looked for did not come within \(timeout)")
    }
  }
}

private enum LineSearch<T: Sendable>: Sendable {
  case found(T)
  case ended(String)
  case timedOut
}
