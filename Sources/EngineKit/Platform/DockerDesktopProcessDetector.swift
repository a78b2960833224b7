/// Whether Docker Desktop runs on this machine, from its processes.
///
/// - Linux: /proc is scanned for the backend (`com.docker.backend`), the window (`Docker Desktop`) and the VM
///   Desktop starts (`qemu-system-*` or `virtiofsd` with Desktop's files in their arguments).
/// - macOS: `ps -axo pid=,comm=`; `pgrep -x` cannot be used there, because macOS cuts process names to 16 bytes and
///   `com.docker.backend` never matches exactly.
/// - Windows, and WSL through interop: `tasklist.exe /FO CSV /NH`.
public struct DockerDesktopProcessDetector: Sendable {
  public var host: HostEnvironment
  public var runner: HostCommandRunner

  public init(host: HostEnvironment, runner: HostCommandRunner = HostCommandRunner()) {
    self.host = host
    self.runner = runner
  }

  /// What was found, and how.
  public struct Finding: Sendable, Hashable {
    /// `nil` when the processes could not be listed (no `ps`, no interop).
    public var running: Bool?
    /// Desktop's own processes: the backend and the window.
    public var processes: [HostProcess]
    /// Desktop's virtual machine, when it was seen (Linux only).
    public var virtualMachine: [HostProcess]
    /// `/proc`, `ps`, `tasklist.exe`: how the processes were listed, for reports.
    public var method: String
  }

  /// Executable names (without `.exe`) that mean Desktop itself runs.
  public static let desktopProcessNames = ["com.docker.backend", "Docker Desktop"]

  public func detect(inWSL: Bool = false) async -> Finding {
    switch host.os {
    case .linux where inWSL:
      return await fromTaskList()
    case .linux:
      return fromProc()
    case .macOS:
      return await fromPS()
    case .windows:
      return await fromTaskList()
    }
  }

  func fromProc() -> Finding {
    let processes = ProcessListing.scanProc(host.procRoot)
    let desktop = processes.filter { Self.isDesktopProcess($0.name) }
    let machine = processes.filter(Self.isDesktopVirtualMachine)
    return Finding(running: !desktop.isEmpty, processes: desktop, virtualMachine: machine, method: "/proc")
  }

  func fromPS() async -> Finding {
    guard let ps = ExecutableSearch.find("ps", in: host.searchPath + [host.system("/bin")]),
      let output = await runner.run(ps, ["-axo", "pid=,comm="], environment: host.environment),
      output.exitCode == 0
    else { return Finding(running: nil, processes: [], virtualMachine: [], method: "ps") }
    let desktop = ProcessListing.parsePS(String(decoding: output.standardOutput, as: UTF8.self))
      .filter { Self.isDesktopProcess($0.name) }
    return Finding(running: !desktop.isEmpty, processes: desktop, virtualMachine: [], method: "ps")
  }

  func fromTaskList() async -> Finding {
    guard let tasklist = host.windowsProgram("tasklist.exe"),
      let output = await runner.run(tasklist, ["/FO", "CSV", "/NH"], environment: host.environment),
      output.exitCode == 0
    else { return Finding(running: nil, processes: [], virtualMachine: [], method: "tasklist.exe") }
    let desktop = ProcessListing.parseTaskList(String(decoding: output.standardOutput, as: UTF8.self))
      .filter { Self.isDesktopProcess($0.name) }
    return Finding(running: !desktop.isEmpty, processes: desktop, virtualMachine: [], method: "tasklist.exe")
  }

  /// `Docker Desktop`, `Docker Desktop.exe`, and Electron's helpers, which rewrite their command line as one string
  /// (`Docker Desktop --type=renderer …`).
  static func isDesktopProcess(_ name: String) -> Bool {
    let base = name.hasSuffix(".exe") ? String(name.dropLast(4)) : name
    return desktopProcessNames.contains { base == $0 || base.hasPrefix($0 + " ") }
  }

  /// Desktop's VM on Linux: QEMU or virtiofsd serving Desktop's files (`~/.docker/desktop/…`, `/opt/docker-desktop`).
  static func isDesktopVirtualMachine(_ process: HostProcess) -> Bool {
    guard process.name.hasPrefix("qemu-system") || process.name == "virtiofsd" else { return false }
    return process.arguments.contains { $0.contains("/.docker/desktop") || $0.contains("docker-desktop") }
  }
}
