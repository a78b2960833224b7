import Dispatch
import EngineKit
import Preflight
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a long-running command says what it is doing now, on stderr: a single updating line on a terminal
/// (``StatusLine``), plain timestamped lines otherwise (``StatusLog``), so that logs and CI output stay readable;
/// nothing with `--quiet` (``SilentStatus``). How it may draw is the ``TerminalStyle``'s to say.
protocol StatusDisplay: Sendable {
  /// The current state, e.g. `connection refused`.
  func update(_ status: String)
  /// Ends the display, leaving stderr at the start of an empty line; `summary`, when given, is its last word:
  /// `✔ ready after 1.2 s · unix:///var/run/docker.sock`. Nothing is shown after.
  func finish(_ summary: StatusSummary?)
}

/// The line a display ends with.
struct StatusSummary: Sendable, Equatable {
  var succeeded: Bool
  var text: String
}

/// The display for stderr as it is: a terminal or not, quiet or not.
func makeStatusDisplay(
  subject: String, quiet: Bool = false, environment: [String: String] = HostEnvironment.processEnvironment
) -> any StatusDisplay {
  if quiet { return SilentStatus() }
  let style = TerminalStyle.forStandardError(environment: environment)
  return style.liveLine ? StatusLine(subject: subject, style: style) : StatusLog(subject: subject, style: style)
}

/// `⠹ engine starting · 1.4 s · unix:///var/run/docker.sock`, redrawn in place with a spinner, cut to the
/// terminal's width so that it never wraps onto a second line. Without escapes (`NO_COLOR`), the line is redrawn
/// with a carriage return and overwritten with spaces.
final class StatusLine: StatusDisplay, @unchecked Sendable {
  // @unchecked: `timer` is immutable and dispatch sources are thread-safe; the rest is in `state`.
  private struct State {
    var status = ""
    var frame = 0
    var finished = false
    /// The timer runs from the first update on: a display that is never updated never draws.
    var ticking = false
    /// Characters on the line now, to blank them without an escape.
    var drawn = 0
  }

  private let subject: String
  private let style: TerminalStyle
  private let frames: [String]
  private let started = ContinuousClock.now
  private let state = Mutex(State())
  private let timer: any DispatchSourceTimer

  init(subject: String, style: TerminalStyle) {
    self.subject = subject
    self.style = style
    frames = style.spinnerFrames
    timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "docker-preflight.status-line"))
    timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
    timer.setEventHandler { [weak self] in self?.redraw(advancing: true) }
  }

  deinit { stopTimer() }

  func update(_ status: String) {
    let start = state.withLock { state in
      state.status = style.text(status)
      defer { state.ticking = true }
      return !state.ticking && !state.finished
    }
    if start { timer.resume() }
    redraw(advancing: false)
  }

  func finish(_ summary: StatusSummary?) {
    stopTimer()
    state.withLock { state in
      guard !state.finished else { return }
      state.finished = true
      var output = state.drawn > 0 ? clearing(&state) : ""
      if let summary {
        output +=
          "\(style.mark(succeeded: summary.succeeded)) \(style.text(summary.text)) \(style.separator) \(subject)\n"
      }
      FileHandleStream.standardError.write(output)
    }
  }

  private func redraw(advancing: Bool) {
    let elapsed = ContinuousClock.now - started
    state.withLock { state in
      guard !state.finished else { return }
      if advancing { state.frame = (state.frame + 1) % frames.count }
      let separator = style.separator
      let line =
        "\(frames[state.frame]) \(state.status) \(separator) \(DurationText.format(elapsed)) \(separator) \(subject)"
      let shown = String(line.prefix(max(10, terminalColumns() - 1)))
      let output = clearing(&state) + shown
      state.drawn = shown.count
      FileHandleStream.standardError.write(output)
    }
  }

  /// A dispatch source must not be released suspended: one that never ticked is resumed to be cancelled.
  private func stopTimer() {
    let neverStarted = state.withLock { state in
      defer { state.ticking = true }
      return !state.ticking
    }
    if neverStarted { timer.resume() }
    timer.cancel()
  }

  /// Back to the start of an empty line.
  private func clearing(_ state: inout State) -> String {
    defer { state.drawn = 0 }
    if style.escapes { return "\r\u{1B}[2K" }
    return state.drawn == 0 ? "\r" : "\r" + String(repeating: " ", count: state.drawn) + "\r"
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
  private let style: TerminalStyle
  private let started = ContinuousClock.now
  private let lastStatus = Mutex<String?>(nil)

  init(subject: String, style: TerminalStyle) {
    self.subject = subject
    self.style = style
  }

  func update(_ status: String) {
    let isNew = lastStatus.withLock { last in
      defer { last = status }
      return last != status
    }
    guard isNew else { return }
    let elapsed = ContinuousClock.now - started
    FileHandleStream.standardError.write(
      "\(currentTimestamp()) \(subject): \(style.text(status)) (\(DurationText.format(elapsed)))\n")
  }

  func finish(_ summary: StatusSummary?) {
    guard let summary else { return }
    FileHandleStream.standardError.write(
      "\(currentTimestamp()) \(subject): \(style.mark(succeeded: summary.succeeded)) \(style.text(summary.text))\n")
  }
}

/// `--quiet`: progress is not shown at all.
struct SilentStatus: StatusDisplay {
  func update(_ status: String) {}
  func finish(_ summary: StatusSummary?) {}
}

/// Passes progress on to a display, holding back what a wait that ends at its first look says ("waiting", then
/// "ready"), so that nothing is shown when there was nothing to wait for.
final class WaitObserver: StatusDisplay {
  private let display: any StatusDisplay
  private let waited = Mutex(false)

  init(_ display: any StatusDisplay) { self.display = display }

  /// Whether the engine was anything but ready at the first look.
  var hadToWait: Bool { waited.withLock { $0 } }

  func update(_ status: String) {
    let show = waited.withLock { waited in
      if status != "waiting" && status != ReadinessPhase.ready.summary { waited = true }
      return waited
    }
    if show { display.update(status) }
  }

  func finish(_ summary: StatusSummary?) { display.finish(summary) }
}
