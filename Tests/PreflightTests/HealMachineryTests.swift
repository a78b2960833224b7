import Foundation
import JSON
import TestSupport
import Testing

@testable import Preflight

/// The parts a heal step is made of, with real processes: the command runner, the action log, the heal lock.
@Suite("Heal machinery")
struct HealMachineryTests {
  let runner = CommandRunner(searchPath: ["/usr/local/bin", "/usr/bin", "/bin"])

  @Test("arguments reach the program exactly as given: no shell sees ; $(…) or backquotes")
  func literalArguments() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let marker = directory.file("marker")
    let arguments = ["a;b", "$(touch \(marker))", "`touch \(marker)`", "&& echo hi", "two words", ""]
    let outcome = await runner.run(["printf", "[%s]"] + arguments, timeout: .seconds(10))
    #expect(outcome.ending == .exited(0))
    #expect(outcome.output == arguments.map { "[\($0)]" }.joined())
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  @Test("a command past its deadline is torn down — SIGTERM to its session, then SIGKILL — within the grace")
  func deadline() async throws {
    var runner = runner
    runner.gracePeriod = .milliseconds(300)
    let started = ContinuousClock.now
    // It ignores SIGTERM, and leaves a child that does too: only SIGKILL to the whole group ends them.
    let outcome = await runner.run(
      ["sh", "-c", "trap '' TERM; echo started; sh -c \"trap '' TERM; sleep 600\"; echo never"],
      timeout: .milliseconds(300))
    let elapsed = ContinuousClock.now - started
    #expect(outcome.ending == .timedOut)
    #expect(outcome.exitCode == nil)
    #expect(outcome.output == "started")
    // Far less than the 600 s the child would sleep: the bound proves the teardown, not a speed (a loaded two-core
    // machine has stalled this for 23 s).
    #expect(elapsed < .seconds(120))
  }

  @Test("a daemon left holding the command's output does not keep us waiting")
  func backgroundChild() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let pidFile = directory.file("sleep.pid")
    let started = ContinuousClock.now
    let outcome = await runner.run(
      ["sh", "-c", "sleep 120 & echo $! > \(pidFile); echo started; exit 4"], timeout: .seconds(100))
    let elapsed = ContinuousClock.now - started
    if let pid = pid_t(
      (try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
    {
      await ForeignProcess(pid: pid).stop()
    }
    #expect(outcome.ending == .exited(4))
    #expect(outcome.exitCode == 4)
    #expect(outcome.output == "started")
    // Far less than the 120 s the background child holds the output for.
    #expect(elapsed < .seconds(60))
  }

  @Test("only the end of a long output is kept, marked as cut")
  func boundedOutput() async throws {
    let outcome = await runner.run(
      ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done; echo the end >&2"],
      timeout: .seconds(20))
    #expect(outcome.ending == .exited(0))
    #expect(outcome.output.hasPrefix("…"))
    #expect(outcome.output.hasSuffix("line 2999\nthe end"))
    #expect(outcome.output.utf8.count <= runner.outputLimit + "…".utf8.count)
  }

  @Test(
    "a program that cannot run is reported, not thrown",
    arguments: [["no-such-program-here"], ["/nonexistent/dockerd", "--version"], [""]])
  func notLaunched(argv: [String]) async {
    let outcome = await runner.run(argv, timeout: .seconds(5))
    guard case .notLaunched(let reason) = outcome.ending else {
      Issue.record("expected notLaunched, got \(outcome.ending)")
      return
    }
    #expect(reason.contains(argv[0].isEmpty ? "empty" : argv[0]))
  }

  @Test("concurrent writers never interleave action-log lines: each is one write on an O_APPEND descriptor")
  func actionLogLines() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let log = ActionLog(path: directory.file("state/docker-preflight/actions.log"))
    let output = String(repeating: "x", count: 6000)
    try await withThrowingTaskGroup(of: Void.self) { group in
      for writer in 0..<8 {
        group.addTask {
          for index in 0..<40 {
            let result = HealStepResult(
              strategy: "configured", command: ["start", "\(writer)", "\(index)"], exitCode: writer, durationMs: index,
              output: output, outcome: .failed, pid: nil, logFile: nil)
            try log.record(result, endpoint: "unix:///tmp/x.sock")
          }
        }
      }
      try await group.waitForAll()
    }
    let lines = try String(contentsOfFile: log.path, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 8 * 40)
    let entries = try lines.map { try JSONValue.parse(String($0)) }
    #expect(entries.allSatisfy { $0["output"]?.stringValue == output && $0["outcome"] == "failed" })
    #expect(
      entries.allSatisfy { $0["time"]?.stringValue?.hasSuffix("Z") == true && $0["endpoint"] == "unix:///tmp/x.sock" })
    #expect(Set(entries.compactMap { $0["command"]?.description }).count == 8 * 40)
  }

  @Test("the heal lock: a second holder waits for the first, and a cancelled waiter leaves the lock free")
  func lock() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let runtime = directory.file("run/docker-preflight")
    let first = try await HealLock.acquire(in: runtime)
    #expect(!first.waited)

    let (waiting, signal) = AsyncStream.makeStream(of: String.self)
    let second = Task { try await HealLock.acquire(in: runtime) { path in signal.yield(path) } }
    var iterator = waiting.makeAsyncIterator()
    #expect(await iterator.next() == first.path)
    first.release()
    let secondLock = try await second.value
    #expect(secondLock.waited)

    let third = Task { try await HealLock.acquire(in: runtime) { path in signal.yield(path) } }
    _ = await iterator.next()
    third.cancel()
    await #expect(throws: PreflightError.self) { try await third.value }
    secondLock.release()
    // The cancelled waiter's thread takes the lock when it is released, and lets go of it at once.
    let fourth = try await HealLock.acquire(in: runtime)
    fourth.release()
  }
}
