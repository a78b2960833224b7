import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A resource limit an init script raises before it starts dockerd (`ulimit -n 1048576` in Debian's
/// /etc/init.d/docker), and what this host allows.
struct ServiceLimit: Sendable, Equatable {
  /// The script's line, as written.
  var line: String
  var lineNumber: Int
  /// `-n` (open files) or `-u`/`-p` (processes).
  var option: Character
  /// What the script asks; `nil` for `unlimited`.
  var requested: UInt64?

  var resourceName: String { option == "n" ? "open files" : "processes" }

  /// The `ulimit -n|-u|-p VALUE` lines of a shell script, in order.
  static func requested(in script: String) -> [ServiceLimit] {
    script.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap {
      (index, raw) -> ServiceLimit? in
      let words = raw.split(whereSeparator: \.isWhitespace)
      guard words.count == 3, words[0] == "ulimit", words[1].count == 2, words[1].first == "-",
        let option = words[1].last, "nup".contains(option)
      else { return nil }
      let value = words[2] == "unlimited" ? nil : UInt64(words[2])
      guard value != nil || words[2] == "unlimited" else { return nil }
      return ServiceLimit(
        line: String(raw).trimmingWhitespace, lineNumber: index + 1, option: option, requested: value)
    }
  }

  /// The hard limit of this process for the resource; `UInt64.max` when unlimited (or unknown).
  var hardLimit: UInt64 {
    var limit = rlimit()
    #if canImport(Glibc)
      let resource = __rlimit_resource_t(option == "n" ? RLIMIT_NOFILE.rawValue : __RLIMIT_NPROC.rawValue)
    #else
      let resource = option == "n" ? RLIMIT_NOFILE : RLIMIT_NPROC
    #endif
    guard getrlimit(resource, &limit) == 0 else { return .max }
    return UInt64(limit.rlim_max)
  }

  /// Whether asking `requested` (`nil`: unlimited) exceeds `hard` (`UInt64.max`: unlimited).
  static func exceeds(_ requested: UInt64?, _ hard: UInt64) -> Bool {
    guard hard != .max else { return false }
    guard let requested else { return true }
    return requested > hard
  }
}

extension StartFailureDiagnosis {
  /// An init script that raises a limit above the hard limit this host gives it, without the capability to raise a
  /// hard limit (CAP_SYS_RESOURCE: a container started with lower limits): its `ulimit` fails with EPERM, and under
  /// `set -e` the script exits before it starts dockerd.
  func serviceLimitIssues(initScript: String) -> [HealthReport.Issue] {
    guard !canRaiseHardLimits, let script = HostFiles.text(of: initScript) else { return [] }
    for limit in ServiceLimit.requested(in: script) {
      let hard = hardLimits[limit.option] ?? limit.hardLimit
      guard ServiceLimit.exceeds(limit.requested, hard) else { continue }
      let asked = limit.requested.map(String.init) ?? "unlimited"
      return [
        HealthReport.Issue(
          code: "service-limits",
          message: "\(initScript):\(limit.lineNumber) (`\(limit.line)`) asks for \(asked) \(limit.resourceName), "
            + "above the hard limit of \(hard) this host allows it, and this process may not raise a hard limit "
            + "(no CAP_SYS_RESOURCE, as in a container): ulimit fails (\(errnoName(EPERM))) and the script "
            + "exits before dockerd starts",
          recommendation: "Start dockerd directly (docker-preflight heal --strategy dockerd), or give this "
            + "container a higher limit (docker run --ulimit \(limit.option == "n" ? "nofile" : "nproc")="
            + "\(asked):\(asked)), or lower the script's ulimit to \(hard)")
      ]
    }
    return []
  }

  /// CAP_SYS_RESOURCE (bit 24) in this process's effective capabilities, from /proc/self/status.
  static var hasSysResourceCapability: Bool {
    guard let status = HostFiles.text(of: "/proc/self/status"),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
      let mask = UInt64(String(line.dropFirst("CapEff:".count)).trimmingWhitespace, radix: 16)
    else { return false }
    return mask & (1 << 24) != 0
  }
}
