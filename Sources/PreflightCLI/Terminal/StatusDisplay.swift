import Dispatch
import Preflight
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a long-running command says what it is doing now, on stderr: a single updating line on a terminal
/// (``StatusLine``), plain timestamped lines otherwise (``StatusLog``), so that logs and CI output stay readable.
protocol StatusDisplay: Sendable {
  /// The current state, e.g. `connection refused`.
  func update(_ status: String)
  /// Leaves stderr at the start of an empty line; nothing is shown after.
  func finish()
}

/// The display for stderr as it is: a terminal or not.
func makeStatusDisplay(subject: String) -> any StatusDisplay {
  isatty(2) == 1 ? StatusLine(subject: subject) : StatusLog(subject: subject)
}

/// `⠹ engine starting · 1.4 s · unix:///var/run/docker.sock`, redrawn in place with a spinner, cut to the
/// terminal's width so that it never wraps onto a second line.
final class StatusLine: StatusDisplay, @unchecked Sendable {
  // @unchecked: `timer` is immutable and dispatch sources are thread-safe; the rest is in `state`.
  private struct State {
    var status = ""
    var frame = 0
    var finished = false
  }

  private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
  private let subject: String
  private let started = ContinuousClock.now
  private let state = Mutex(State())
  private let timer: any DispatchSourceTimer

  init(subject: String) {
    self.subject = subject
    timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "docker-preflight.status-line"))
    timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
    timer.setEventHandler { [weak self] in self?.redraw(advancing: true) }
    timer.resume()
  }

  deinit { timer.cancel() }

  func update(_ status: String) {
    state.withLock { $0.status = status }
    redraw(advancing: false)
  }

  func finish() {
    timer.cancel()
    state.withLock { state in
      guard !state.finished else { return }
      state.finished = true
      FileHandleStream.standardError.write("\r\u{1B}[2K")
    }
  }

  private func redraw(advancing: Bool) {
    let elapsed = ContinuousClock.now - started
    state.withLock { state in
      guard !state.finished else { return }
      if advancing { state.frame = (state.frame + 1) % Self.frames.count }
      let line = "\(Self.frames[state.frame]) \(state.status) · \(DurationText.format(elapsed)) · \(subject)"
      FileHandleStream.standardError.write("\r\u{1B}[2K" + String(line.prefix(max(10, terminalColumns() - 1))))
    }
  }

  private func terminalColumns() -> Int {
    var size = winsize()
    guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
  }
}

/// `2026-11-26T21:37:52.123Z unix:///var/run/docker.sock: engine starting (1.4 s)`, one line per change.
final class StatusLog: StatusDisplay {
  private let subject: String
  private let started = ContinuousClock.now
  private let lastStatus = Mutex<String?>(nil)

  init(subject: String) { self.subject = subject }

  func update(_ status: String) {
    let isNew = lastStatus.withLock { last in
      defer { last = status }
      return last != status
    }
    guard isNew else { return }
    let elapsed = ContinuousClock.now - started
    FileHandleStream.standardError.write(
      "\(currentTimestamp()) \(subject): \(status) (\(DurationText.format(elapsed)))\n")
  }

  func finish() {}
}
