import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A live process that is, or is about to be, the engine at an endpoint, and the files its command line names.
public struct EngineProcess: Sendable, Hashable {
  public var status: ProcessStatus
  /// Its command line, when /proc shows it (empty for a process of another user that hides it).
  public var arguments: [String]

  public var pid: Int { status.pid }
  public var name: String { status.name }
  public var description: String { "\(name) (pid \(pid))" }

  /// dockerd's files, as its flags say or by its defaults (`/var/run/docker.pid`, `/var/run/docker`); `nil` for
  /// other engines.
  public var dockerdFiles: DockerdFiles? {
    guard name == "dockerd" || arguments.first.map(ProcessListing.lastComponent) == "dockerd" else { return nil }
    return DockerdFiles(arguments: arguments)
  }
}

/// Where a dockerd keeps its pidfile and its exec root (with containerd's pidfile in it), read from its flags.
public struct DockerdFiles: Sendable, Hashable {
  public var pidFile: String
  public var execRoot: String
  public var containerdPidFile: String { "\(execRoot)/containerd/containerd.pid" }

  public init(arguments: [String], systemRoot: String = "") {
    let flags = CommandLineFlags(arguments)
    pidFile = flags.value(of: ["-p", "--pidfile"]) ?? systemRoot + "/var/run/docker.pid"
    execRoot = flags.value(of: ["--exec-root"]) ?? systemRoot + "/var/run/docker"
  }
}

/// Finds the engine's processes for one endpoint, from what proves it best first: the listener of its socket
/// (`SO_PEERCRED`), then the pids its pidfiles name, then a process whose command line names its socket. Zombies
/// and foreign programs behind a pidfile are not the engine.
public struct EngineProcessLocator: Sendable {
  public var endpoint: Endpoint
  /// Pidfiles the engine is known to use.
  public var pidFiles: [String]
  public var host: HostEnvironment

  /// The programs that serve a container engine's API on a socket.
  static let engineNames: Set<String> = ["dockerd", "podman"]

  public init(endpoint: Endpoint, pidFiles: [String] = [], host: HostEnvironment = .current) {
    self.endpoint = endpoint
    self.pidFiles = pidFiles
    self.host = host
  }



  /// The live engine processes, each once.
  public func find() -> [EngineProcess] {
    guard host.os == .linux, let socketPath = endpoint.unixSocketPath else { return [] }
    var found: [Int: EngineProcess] = [:]
    func add(_ pid: Int) {
      guard found[pid] == nil, pid > 1, pid != Int(getpid()),
        let status = ProcessStatus.read(pid: pid, procRoot: host.procRoot), !status.hasExited
      else { return }
      found[pid] = EngineProcess(status: status, arguments: Self.arguments(of: pid, procRoot: host.procRoot))
    }
    if let listener = SocketPeer.listenerPid(at: socketPath) { add(listener) }
    for file in pidFiles {
      if let pid = PidFile.pid(in: file), let status = ProcessStatus.read(pid: pid, procRoot: host.procRoot),
        Self.engineNames.contains(status.name)
      {
        add(pid)
      }
    }
    for process in ProcessListing.scanProc(host.procRoot)
    where Self.engineNames.contains(process.name) && serves(socketPath, arguments: process.arguments) {
      add(process.pid)
    }
    return found.values.sorted { $0.pid < $1.pid }
  }

  /// Whether a dockerd or Podman command line listens on `socket`: `-H`/`--host unix://PATH` (dockerd), a
  /// `unix://PATH` argument (`podman system service`), or dockerd's default (no `-H`, or systemd's `fd://`) for the
  /// system socket.
  func serves(_ socket: String, arguments: [String]) -> Bool {
    let wanted = Self.comparable(socket)
    let flags = CommandLineFlags(arguments)
    let hosts = flags.values(of: ["-H", "--host"])
    let named = arguments.dropFirst().filter { $0.hasPrefix("unix:") } + hosts
    if named.contains(where: { Self.comparable(Self.socketPath(ofAddress: $0)) == wanted }) { return true }
    guard ProcessListing.lastComponent(arguments.first ?? "") == "dockerd",
      hosts.isEmpty || hosts.contains(where: { $0.hasPrefix("fd://") })
    else { return false }
    return ["/var/run/docker.sock", "/run/docker.sock"].map { Self.comparable(host.system($0)) }.contains(wanted)
  }

  /// `unix:///a/b`, `unix:/a/b` and `/a/b` name the same socket.
  static func socketPath(ofAddress address: String) -> String {
    if address.hasPrefix("unix://") { return String(address.dropFirst("unix://".count)) }
    if address.hasPrefix("unix:") { return String(address.dropFirst("unix:".count)) }
    return address
  }

  /// A socket path with its directory's links resolved (`/var/run` is `/run` on most systems).
  static func comparable(_ path: String) -> String {
    let normalized = HostFiles.normalizedPath(path)
    guard let slash = normalized.lastIndex(of: "/"), slash != normalized.startIndex else { return normalized }
    let directory = String(normalized[..<slash])
    return (HostFiles.resolved(directory) ?? directory) + normalized[slash...]
  }

  static func arguments(of pid: Int, procRoot: String) -> [String] {
    guard let raw = HostFiles.prefix(of: "\(procRoot)/\(pid)/cmdline", limit: ProcessListing.maxCommandLineBytes)
    else { return [] }
    return raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
  }
}

extension EngineProcessLocator {
  /// Commands that are starting or restarting the engine right now (`service docker restart`, `systemctl restart
  /// docker`, `docker desktop restart`, `colima start`, …): a heal waits for them rather than start beside them.
  /// `programs`: the ones that start this endpoint's engine.
  public func restartsInProgress(among programs: Set<String>) -> [HostProcess] {
    guard host.os == .linux, !programs.isEmpty else { return [] }
    let verbs: Set<String> = ["start", "restart", "reload"]
    return ProcessListing.scanProc(host.procRoot).filter { process in
      guard programs.contains(process.name), process.pid != Int(getpid()) else { return false }
      let words = process.arguments.dropFirst()
      let acts = words.contains { verbs.contains($0) }
      switch process.name {
      case "service": return acts && words.contains("docker")
      case "systemctl": return acts && words.contains { $0 == "docker" || $0.hasPrefix("docker.") }
      case "sh", "bash", "dash": return acts && words.contains { $0.hasSuffix("/init.d/docker") }
      case "docker": return acts && words.first == "desktop"
      case "colima", "orb", "rdctl": return acts
      default: return false
      }
    }
  }
}

/// A pidfile's contents: one decimal pid, perhaps with white space around it.
enum PidFile {
  static func pid(in path: String) -> Int? {
    guard let bytes = HostFiles.prefix(of: path, limit: 64) else { return nil }
    return Int(String(decoding: bytes, as: UTF8.self).trimmingWhitespace).flatMap { $0 > 0 ? $0 : nil }
  }
}

/// The values of a program's flags, as Go's flag packages accept them: `--flag value`, `--flag=value`, and for
/// one-letter flags `-Hvalue` too.
struct CommandLineFlags {
  let arguments: [String]
  init(_ arguments: [String]) { self.arguments = arguments }

  func values(of names: [String]) -> [String] {
    var values: [String] = []
    var index = 1
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      for name in names {
        if argument == name, index < arguments.count {
          values.append(arguments[index])
          index += 1
          break
        }
        if argument.hasPrefix(name + "=") {
          values.append(String(argument.dropFirst(name.count + 1)))
          break
        }
        if name.count == 2, !name.hasPrefix("--"), argument.hasPrefix(name), argument.count > 2 {
          values.append(String(argument.dropFirst(2)))
          break
        }
      }
    }
    return values
  }

  /// The last value given, as Go's flag packages keep it.
  func value(of names: [String]) -> String? { values(of: names).last }
}

extension Endpoint {
  /// The socket's path, for a `unix://` endpoint.
  public var unixSocketPath: String? { if case .unix(let path) = transport { path } else { nil } }
}
