import Foundation
import TestSupport
import Testing

@testable import Preflight

@Suite("PathWatcher: inotify on the way to a socket")
struct PathWatcherTests {
  @Test("a socket created in the watched directory wakes the waiter")
  func socketInDirectory() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("docker.sock")
    let watcher = try #require(PathWatcher(path: path))
    let woken = Task { try await watcher.waitForChange(until: .now + .seconds(30)) }
    try StaleSocket.create(at: path)
    #expect(try await woken.value)
    #expect(pathExists(path))
  }

  @Test("missing ancestors are followed down as they are created, even quickly one after another")
  func nestedDirectories() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("a/b/c/docker.sock")
    let watcher = try #require(PathWatcher(path: path))
    let waiting = Task {
      var wakes = 0
      while !pathExists(path) {
        guard try await watcher.waitForChange(until: .now + .seconds(30)) else { return -1 }
        wakes += 1
      }
      return wakes
    }
    // Levels appear one by one, the last two back to back, as `mkdir -p` and a daemon starting would make them.
    try await Task.sleep(for: .milliseconds(50))
    try FileManager.default.createDirectory(atPath: directory.file("a"), withIntermediateDirectories: true)
    try await Task.sleep(for: .milliseconds(50))
    try FileManager.default.createDirectory(atPath: directory.file("a/b/c"), withIntermediateDirectories: true)
    try StaleSocket.create(at: path)
    let wakes = try await waiting.value
    #expect(wakes >= 1, "the path appeared without the deadline passing")
  }

  @Test("unrelated entries in the directory do not wake the waiter; the deadline does")
  func unrelated() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let watcher = try #require(PathWatcher(path: directory.file("docker.sock")))
    _ = try directory.write("x", to: "other.log")
    try StaleSocket.create(at: directory.file("other.sock"))
    #expect(try await watcher.waitForChange(until: .now + .milliseconds(200)) == false)
  }

  @Test("a change before the wait is not lost")
  func pendingChange() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("docker.sock")
    let watcher = try #require(PathWatcher(path: path))
    try StaleSocket.create(at: path)
    try await Task.sleep(for: .milliseconds(50))  // let the event be read with no one waiting
    #expect(try await watcher.waitForChange(until: .now + .seconds(30)))
  }

  @Test("cancelling the waiting task ends the wait at once")
  func cancellation() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let watcher = try #require(PathWatcher(path: directory.file("docker.sock")))
    let clock = ContinuousClock()
    let waiting = Task { try await watcher.waitForChange(until: nil) }
    try await Task.sleep(for: .milliseconds(20))
    let cancelled = clock.now
    waiting.cancel()
    await #expect(throws: CancellationError.self) { try await waiting.value }
    #expect(clock.now - cancelled < .seconds(30))
  }

  @Test("paths are made absolute and plain", arguments: [("/a//b/./c", "/a/b/c"), ("/a/b/../c", "/a/c"), ("/", "/")])
  func normalized(path: String, expected: String) {
    #expect(PathWatcher.normalized(path) == expected)
  }

  @Test("a relative path is taken from the working directory")
  func relativeFromWorkingDirectory() {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let directory = String(cString: getcwd(&buffer, buffer.count)!)
    #expect(PathWatcher.normalized("x/../docker.sock") == (directory == "/" ? "" : directory) + "/docker.sock")
  }
}
