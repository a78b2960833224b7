import Dispatch
import EngineKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Wakes a waiter when an entry along a path is created, removed, renamed or has its attributes changed: the file
/// itself, or the nearest of its ancestors that does not exist yet. This is how a socket's appearance is noticed the
/// moment it happens, not at the next poll.
///
/// Linux only (inotify); elsewhere ``init(path:)`` returns `nil` and callers fall back to their back-off. The
/// inotify descriptor is non-blocking and read by a dispatch source, never on Swift's cooperative threads.
final class PathWatcher: @unchecked Sendable {
  // @unchecked: `source` is immutable and thread-safe; everything mutable is in `state`.
  let path: String
  private let state: Mutex<State>
  private let descriptor: Int32
  private let source: any DispatchSourceRead

  private struct State {
    /// A change happened that no waiter has been told of yet.
    var pending = false
    var waiter: (id: UInt64, continuation: CheckedContinuation<Bool, any Error>)?
    var nextWaiterID: UInt64 = 0
    /// The directory watched now: the file's parent, or its nearest existing ancestor.
    var watch: (descriptor: Int32, directory: String)?
  }

  /// `nil` where inotify is not available (another OS, or the per-user watch limit reached).
  init?(path: String) {
    #if os(Linux)
      let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
      guard descriptor >= 0 else { return nil }
      self.path = Self.normalized(path)
      self.descriptor = descriptor
      state = Mutex(State())
      source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: Self.queue)
      source.setCancelHandler { close(descriptor) }
      source.setEventHandler { [weak self] in self?.readEvents() }
      source.resume()
      guard state.withLock({ rewatch(&$0) }) else { return nil }
    #else
      return nil
    #endif
  }

  deinit { source.cancel() }

  private static let queue = DispatchQueue(label: "docker-preflight.path-watcher")

  /// Returns `true` when something changed along the path since the last call returned (or since the watcher was
  /// made), `false` once `deadline` passes first. Throws `CancellationError` as soon as the task is cancelled.
  func waitForChange(until deadline: ContinuousClock.Instant?) async throws -> Bool {
    let id = state.withLock { state in
      defer { state.nextWaiterID += 1 }
      return state.nextWaiterID
    }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
        enum Immediate { case changed, timedOut, cancelled, wait }
        let immediate = state.withLock { state -> Immediate in
          if Task.isCancelled { return .cancelled }
          if state.pending {
            state.pending = false
            return .changed
          }
          if let deadline, deadline <= .now { return .timedOut }
          state.waiter = (id, continuation)
          return .wait
        }
        switch immediate {
        case .changed: continuation.resume(returning: true)
        case .timedOut: continuation.resume(returning: false)
        case .cancelled: continuation.resume(throwing: CancellationError())
        case .wait:
          guard let deadline else { return }
          let nanoseconds = (deadline - .now).nanoseconds
          Self.queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [weak self] in
            self?.resumeWaiter(id: id, with: .success(false))
          }
        }
      }
    } onCancel: {
      resumeWaiter(id: id, with: .failure(CancellationError()))
    }
  }

  private func resumeWaiter(id: UInt64, with result: Result<Bool, any Error>) {
    let waiter = state.withLock { state -> CheckedContinuation<Bool, any Error>? in
      guard let waiter = state.waiter, waiter.id == id else { return nil }
      state.waiter = nil
      return waiter.continuation
    }
    waiter?.resume(with: result)
  }

  #if os(Linux)
    /// Reads every queued inotify event; on one that concerns the path, moves the watch and wakes the waiter.
    private func readEvents() {
      var buffer = [UInt8](repeating: 0, count: 16 * 1024)
      var relevant = false
      let watched = state.withLock { $0.watch }
      while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        buffer.withUnsafeBytes { raw in
          var offset = 0
          // struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[]; }
          while offset + 16 <= count {
            let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameBytes = raw[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if let watched, watched.descriptor == watch, concernsPath(mask: mask, name: name, in: watched.directory) {
              relevant = true
            }
            offset += 16 + length
          }
        }
      }
      guard relevant else { return }
      let waiter = state.withLock { state -> CheckedContinuation<Bool, any Error>? in
        _ = rewatch(&state)
        guard let waiter = state.waiter else {
          state.pending = true
          return nil
        }
        state.waiter = nil
        return waiter.continuation
      }
      waiter?.resume(returning: true)
    }

    private func concernsPath(mask: UInt32, name: String, in directory: String) -> Bool {
      let selfEvents = UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_Q_OVERFLOW | IN_UNMOUNT)
      if mask & selfEvents != 0 { return true }
      guard !name.isEmpty else { return false }
      let child = directory == "/" ? "/" + name : directory + "/" + name
      return child == path || path.hasPrefix(child + "/")
    }

    /// Watches the nearest existing directory on the way to the path. An ancestor created while the watch moves is
    /// caught by looking again after each move. `false` when no directory can be watched at all.
    private func rewatch(_ state: inout State) -> Bool {
      let mask = UInt32(
        IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
      for _ in 0..<64 {
        let directory = nearestExistingDirectory()
        if state.watch?.directory == directory { return true }
        let moved = state.watch != nil
        if let old = state.watch { inotify_rm_watch(descriptor, old.descriptor) }
        state.watch = nil
        let watch = inotify_add_watch(descriptor, directory, mask)
        guard watch >= 0 else { return false }
        state.watch = (watch, directory)
        // Something may have happened while no watch was in place: let the waiter look.
        if moved { state.pending = true }
      }
      return state.watch != nil
    }
  #else
    private func readEvents() {}
    private func rewatch(_ state: inout State) -> Bool { false }
  #endif

  /// The path's parent if it exists, else the nearest ancestor that does (at worst `/`).
  private func nearestExistingDirectory() -> String {
    var components = path.split(separator: "/").dropLast()
    while !components.isEmpty {
      let candidate = "/" + components.joined(separator: "/")
      var info = stat()
      if stat(candidate, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { return candidate }
      components.removeLast()
    }
    return "/"
  }

  /// Absolute, without `.`, `..` or repeated slashes, so that names in events compare equal to it.
  static func normalized(_ path: String) -> String {
    guard !path.hasPrefix("/") else { return HostFiles.normalizedPath(path) }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let directory =
      getcwd(&buffer, buffer.count) != nil
      ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    return HostFiles.normalizedPath("/" + directory + "/" + path)
  }
}

/// Whether something exists at `path` (a socket, a file, a directory), following symbolic links.
func pathExists(_ path: String) -> Bool {
  var info = stat()
  return stat(path, &info) == 0
}

extension Duration {
  /// Whole nanoseconds, clamped at zero and at `Int.max`.
  var nanoseconds: Int {
    let (seconds, attoseconds) = components
    guard seconds >= 0 else { return 0 }
    guard seconds < Int64(Int.max / 1_000_000_000) - 1 else { return Int.max }
    return Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
  }
}
