import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Free space under the engine's data root (`/info` DockerRootDir): pulls and builds fail late and obscurely when it
/// runs out. Only measured when the engine shares this machine's file system: a unix socket, and the same kernel
/// (an engine in a VM, like Docker Desktop's or Colima's, reports a path inside the VM).
struct DiskSpaceCheck: DiagnosticCheck {
  let id = "disk-space"
  let questions: EngineProbe.Questions = [.systemInfo]

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    guard state.isReachable else { return .skip("the engine did not answer") }
    guard case .unix = state.endpoint.transport else { return .skip("the engine is not on this machine") }
    guard let info = await state.systemInfo(), let root = info.dockerRootDir, !root.isEmpty else {
      return .skip("the engine does not say where it keeps its data")
    }
    if let engineKernel = info.kernelVersion, engineKernel != Self.kernelRelease {
      return .skip("the engine runs on another kernel (\(engineKernel)), in a VM whose disk is not visible here")
    }
    // The engine's own path on this machine's file system: not under the host root, which only relocates discovery.
    var stats = statvfs()
    guard statvfs(root, &stats) == 0 else {
      return .skip("cannot measure \(root): \(String(cString: strerror(errno)))")
    }
    let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
    let minimum = state.options.minFreeDiskBytes
    let summary = "\(Self.format(free)) free under \(root) (minimum \(Self.format(minimum)))"
    guard free < minimum else { return CheckResult(.pass, summary) }
    return CheckResult(
      .warn, summary,
      issues: [
        HealthReport.Issue(
          code: "low-disk-space",
          message: "Only \(Self.format(free)) is free under the engine's data root \(root); pulls and builds may fail",
          recommendation: "Free space (docker system prune removes stopped containers, unused networks, dangling "
            + "images and build cache), or give the disk more room")
      ])
  }

  /// `uname -r` of this machine.
  static var kernelRelease: String {
    var names = utsname()
    uname(&names)
    return withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  }

  /// `12.3 GiB`, `512.0 MiB`, `1 B`.
  static func format(_ bytes: Int64) -> String {
    let units: [(Int64, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (size, name) in units where bytes >= size {
      let tenths = Int64((Double(bytes) / Double(size) * 10).rounded(.down))
      return "\(tenths / 10).\(tenths % 10) \(name)"
    }
    return "\(bytes) B"
  }
}
