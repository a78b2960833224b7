#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The operating system whose conventions apply (socket locations, how to list processes, how to start things).
public enum HostOS: String, Sendable, Hashable, CaseIterable {
  case linux
  case macOS = "macos"
  case windows

  /// The system this program was built for.
  public static var current: HostOS {
    #if os(macOS)
      .macOS
    #elseif os(Windows)
      .windows
    #else
      .linux
    #endif
  }
}

/// Everything platform and provider detection reads from the machine, with every root replaceable so that a
/// fixture tree can stand in for macOS, Windows, WSL or Docker Desktop on a machine that has none of them.
public struct HostEnvironment: Sendable {
  public var os: HostOS
  /// The process environment: `HOME`, `PATH`, `XDG_RUNTIME_DIR`, `WSL_DISTRO_NAME`, `WSL_INTEROP`, …
  public var environment: [String: String]
  /// Prefixed to absolute system paths (`/var/run`, `/run`, `/opt`, `/Applications`); empty on a real host.
  public var systemRoot: String
  /// Where `/proc` is.
  public var procRoot: String
  /// Where WSL shares mounts between distributions (`/mnt/wsl`).
  public var wslMountRoot: String
  /// Where WSL mounts the Windows system drive (`/mnt/c`).
  public var windowsDriveRoot: String
  /// For `/run/user/<uid>` when `XDG_RUNTIME_DIR` is not set.
  public var userID: UInt32

  /// `PREFLIGHT_HOST_ROOT` in `environment`, when set, becomes the system root: the command line's fixture tests
  /// use it so that discovery never looks at this machine's own sockets.
  public init(
    os: HostOS = .current, environment: [String: String], systemRoot: String? = nil, procRoot: String? = nil,
    wslMountRoot: String? = nil, windowsDriveRoot: String? = nil, userID: UInt32? = nil
  ) {
    let root = systemRoot ?? environment["PREFLIGHT_HOST_ROOT"] ?? ""
    self.os = os
    self.environment = environment
    self.systemRoot = root == "/" ? "" : root.trimmingTrailingSlash
    self.procRoot = procRoot ?? "\(self.systemRoot)/proc"
    self.wslMountRoot = wslMountRoot ?? "\(self.systemRoot)/mnt/wsl"
    self.windowsDriveRoot = windowsDriveRoot ?? "\(self.systemRoot)/mnt/c"
    self.userID = userID ?? getuid()
  }

  /// This machine, as this process sees it.
  public static var current: HostEnvironment { HostEnvironment(environment: processEnvironment) }

  /// The environment of this process, read once (this program never changes its own environment; a one-shot `check`
  /// asks for it from the head start, the configuration, the endpoint and the diagnosis's host). Each entry is split
  /// at its first `=` byte as the C library's `getenv` reads it: a string's Character view would run grapheme breaking
  /// over every byte.
  public static let processEnvironment: [String: String] = {
    var count = 0
    while environ[count] != nil { count += 1 }
    var result: [String: String] = [:]
    result.reserveCapacity(count)
    for index in 0..<count {
      guard let entry = environ[index], let equals = strchr(entry, Int32(UInt8(ascii: "="))) else { continue }
      let nameLength = equals - entry
      let name = UnsafeRawBufferPointer(start: entry, count: nameLength)
      let value = UnsafeRawBufferPointer(start: equals + 1, count: strlen(equals + 1))
      result[String(decoding: name, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
    }
    return result
  }()

  /// An absolute system path under ``systemRoot``.
  public func system(_ path: String) -> String { systemRoot + path }

  /// The user's home directory (`HOME`, or `USERPROFILE` on Windows).
  public var home: String? {
    let value = environment["HOME"] ?? (os == .windows ? environment["USERPROFILE"] : nil)
    guard let value, !value.isEmpty else { return nil }
    return value.trimmingTrailingSlash
  }

  /// A path under the home directory.
  public func home(_ relative: String) -> String? { home.map { "\($0)/\(relative)" } }

  /// `XDG_RUNTIME_DIR`, else `/run/user/<uid>` (Linux only).
  public var runtimeDirectory: String? {
    if let directory = environment["XDG_RUNTIME_DIR"], !directory.isEmpty { return directory }
    return os == .linux ? system("/run/user/\(userID)") : nil
  }

  /// The directories of `PATH`, in order.
  public var searchPath: [String] {
    (environment["PATH"] ?? "").utf8.split(separator: UInt8(ascii: ":")).map { String(Substring($0)) }
  }

  /// A Windows program reached through WSL interop: on PATH (WSL appends the Windows PATH by default), else in
  /// System32 of the Windows drive.
  public func windowsProgram(_ name: String) -> String? {
    if let found = ExecutableSearch.find(name, in: searchPath) { return found }
    let system32 = "\(windowsDriveRoot)/Windows/System32/\(name)"
    return HostFiles.isExecutableFile(system32) ? system32 : nil
  }
}
