import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import EngineKit

/// The executor of a one-shot command's only thread: tasks started before its loop runs (the head start's) wait for
/// it, then run on it, in the order they were started.
@Suite("Loop task executor")
struct LoopTaskExecutorTests {
  @Test("tasks started before the loop is attached wait, then run on the loop in the order they were started")
  func waitThenRunInOrder() async throws {
    let executor = LoopTaskExecutor()
    let ran = Recorder()
    let tasks = (0..<3).map { index in
      Task(executorPreference: executor) { () -> Bool in
        ran.indices.withLock { $0.append(index) }
        return MultiThreadedEventLoopGroup.currentEventLoop != nil
      }
    }
    // Their jobs are with the executor already, and nothing can run them yet.
    #expect(ran.indices.withLock { $0 }.isEmpty)

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    executor.attach(loop)
    for task in tasks { #expect(await task.value, "a task ran off the event loop") }
    #expect(ran.indices.withLock { $0 } == [0, 1, 2])
    #expect(executor.loop === loop)
    try await group.shutdownGracefully()
  }

  /// What a task that prefers the loop may wait for: a future the loop completes, or `Task.sleep`, whose timer is
  /// Swift's global executor's.
  enum Wait: String, CaseIterable, Sendable {
    case futureOfTheLoop = "a future the loop completes"
    case sleep = "Task.sleep"

    func perform(on loop: any EventLoop) async throws {
      switch self {
      case .futureOfTheLoop: try await loop.scheduleTask(in: .milliseconds(1)) {}.futureResult.get()
      case .sleep: try await Task.sleep(for: .milliseconds(1))
      }
    }
  }

  @Test("a task that prefers the loop is back on it after it waited", arguments: Wait.allCases)
  func resumesOnTheLoop(_ wait: Wait) async throws {
    let executor = LoopTaskExecutor()
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    executor.attach(loop)
    let onLoop = try await Task(executorPreference: executor) { () async throws -> Bool in
      try await wait.perform(on: loop)
      return loop.inEventLoop
    }.value
    #expect(onLoop, "after \(wait.rawValue)")
    try await group.shutdownGracefully()
  }

  @Test("engine calls prefer Swift's global executor until the first thread is chosen")
  func globalUntilChosen() {
    // Nothing in a test process calls useThisThread(): its tasks stay on Swift's pool.
    #expect(EngineEventLoops.taskExecutor == nil)
  }

  final class Recorder: Sendable {
    let indices = Mutex<[Int]>([])
  }
}
