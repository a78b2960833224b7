import Foundation
import Testing

/// Podman's Docker-compatible API (`podman system service`) for one test, with its own storage, run root, tmp dir and
/// socket in a temporary directory, so that it shares nothing with this machine's Podman; stopped by its pid.
public final class PodmanService: @unchecked Sendable {
  public let directory: TemporaryDirectory
  public let process: ChildProcess
  public var socketPath: String { directory.file("podman.sock") }
  public var host: String { "unix://\(socketPath)" }
  public var logPath: String { directory.file("podman.log") }

  /// Root (Podman's rootful storage) and `podman` on PATH.
  public static var canRun: Bool { getuid() == 0 && Executable.find("podman") != nil }

  private init(directory: TemporaryDirectory, process: ChildProcess) {
    self.directory = directory
    self.process = process
  }

  /// Starts the service and waits until it answers; skips the test (or fails it under PREFLIGHT_REQUIRE_ENGINE=1)
  /// where Podman cannot run.
  public static func start(timeout: Duration = .seconds(60)) async throws -> PodmanService {
    guard canRun else {
      if DockerDaemon.isRequired {
        throw FixtureError("PREFLIGHT_REQUIRE_ENGINE=1 but podman cannot run here (needs root and podman)")
      }
      try Test.cancel("podman cannot run here (needs root and podman on PATH)")
    }
    let directory = try TemporaryDirectory(prefix: "pm")
    let arguments = [
      "--root", directory.file("root"), "--runroot", directory.file("run"), "--tmpdir", directory.file("tmp"),
      "--storage-driver", "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs",
      "system", "service", "--time=0", "unix://\(directory.file("podman.sock"))",
    ]
    let process = try ChildProcess(
      executable: Executable.find("podman")!, arguments: arguments, standardErrorPath: directory.file("podman.log"))
    let service = PodmanService(directory: directory, process: process)
    do {
      try await waitForEngine(
        at: service.host, process: process, name: "podman system service", logPath: service.logPath, timeout: timeout)
    } catch {
      await service.stop()
      if DockerDaemon.isRequired { throw error }
      try Test.cancel("podman system service did not start: \(error)")
    }
    return service
  }

  /// SIGTERM by pid, then SIGKILL if it lingers; removes the directory.
  public func stop() async {
    await process.terminate(grace: .seconds(10))
    directory.remove()
  }
}

/// Runs `body` with a fresh Podman service and stops it afterwards, whatever happens.
public func withPodmanService<T>(_ body: (PodmanService) async throws -> T) async throws -> T {
  let service = try await PodmanService.start()
  do {
    let result = try await body(service)
    await service.stop()
    return result
  } catch {
    await service.stop()
    throw error
  }
}
