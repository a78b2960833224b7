import EngineKit
import Foundation
import TestSupport
import Testing

@Suite("Docker Desktop process detection")
struct DockerDesktopProcessTests {
  /// `ps -axo pid=,comm=` recorded on a Mac with Docker Desktop 4.37 running.
  static let macRunning = """
        1 /sbin/launchd
      388 /Library/PrivilegedHelperTools/com.docker.vmnetd
      612 /Applications/Docker.app/Contents/MacOS/com.docker.backend
      640 /Applications/Docker.app/Contents/MacOS/Docker Desktop.app/Contents/MacOS/Docker Desktop
      701 /Applications/Docker.app/Contents/MacOS/com.docker.virtualization
    """
  /// The same Mac after quitting Desktop: only the privileged helper stays, which does not mean Desktop runs.
  static let macStopped = """
        1 /sbin/launchd
      388 /Library/PrivilegedHelperTools/com.docker.vmnetd
      903 /usr/sbin/cfprefsd
    """
  /// `tasklist.exe /FO CSV /NH` recorded on Windows 11 with Docker Desktop running.
  static let windowsRunning = """
    "System Idle Process","0","Services","0","8 K"\r
    "explorer.exe","5144","Console","1","160,220 K"\r
    "Docker Desktop.exe","10212","Console","1","182,340 K"\r
    "com.docker.backend.exe","9876","Console","1","95,112 K"\r
    "com.docker.build.exe","11020","Console","1","40,004 K"\r

    """
  static let windowsStopped = """
    "System Idle Process","0","Services","0","8 K"\r
    "explorer.exe","5144","Console","1","160,220 K"\r

    """

  /// Generous: the bound is there to end a hung command, and a loaded machine can hold up even a stub.
  static let runner = HostCommandRunner(timeout: .seconds(60))

  @Test(
    "macOS fixture: ps run through PATH lists the backend and the app",
    arguments: [(macRunning, true), (macStopped, false)])
  func macOS(_ output: String, _ running: Bool) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let commands = try FakeCommands(in: directory)
    try commands.add("ps", printing: output)
    let host = HostEnvironment(os: .macOS, environment: ["PATH": commands.directory], systemRoot: directory.path)
    let finding = await DockerDesktopProcessDetector(host: host, runner: Self.runner).detect()
    #expect(finding.running == running)
    #expect(finding.processes.map(\.name) == (running ? ["com.docker.backend", "Docker Desktop"] : []))
    #expect(commands.arguments(of: "ps") == ["-axo", "pid=,comm="])
  }

  @Test(
    "Windows fixture: tasklist.exe /FO CSV /NH names Docker Desktop.exe",
    arguments: [(windowsRunning, true), (windowsStopped, false)])
  func windows(_ output: String, _ running: Bool) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let commands = try FakeCommands(in: directory)
    try commands.add("tasklist.exe", printing: output)
    let host = HostEnvironment(os: .windows, environment: ["PATH": commands.directory], systemRoot: directory.path)
    let finding = await DockerDesktopProcessDetector(host: host, runner: Self.runner).detect()
    #expect(finding.running == running)
    #expect(finding.processes.map(\.pid) == (running ? [10212, 9876] : []))
    #expect(commands.arguments(of: "tasklist.exe") == ["/FO", "CSV", "/NH"])
  }

  @Test("WSL fixture: tasklist.exe is found in System32 of /mnt/c when the Windows PATH is not appended")
  func wslInterop() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let commands = try FakeCommands(in: directory, name: "mnt/c/Windows/System32")
    try commands.add("tasklist.exe", printing: Self.windowsRunning)
    let host = HostEnvironment(os: .linux, environment: ["PATH": "/nonexistent"], systemRoot: directory.path)
    let finding = await DockerDesktopProcessDetector(host: host, runner: Self.runner).detect(inWSL: true)
    #expect(finding.running == true)
    #expect(finding.method == "tasklist.exe")
  }

  @Test("without a way to list processes the answer is unknown, not false")
  func unknown() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let host = HostEnvironment(os: .windows, environment: ["PATH": directory.path], systemRoot: directory.path)
    #expect(await DockerDesktopProcessDetector(host: host, runner: Self.runner).detect().running == nil)
  }

  @Test("a command that hangs is ended at the timeout: its process is gone when detection returns (fixture stub)")
  func hangingCommand() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let commands = try FakeCommands(in: directory)
    let pidFile = directory.file("pid")
    let sleep = Executable.find("sleep") ?? "/bin/sleep"
    // The shell writes its pid, then becomes `sleep` under the same pid.
    try FakeCommands.writeExecutable(
      "#!/bin/sh\necho $$ > '\(pidFile)'\nexec \(sleep) 600\n", to: "\(commands.directory)/tasklist.exe")
    let host = HostEnvironment(os: .windows, environment: ["PATH": commands.directory], systemRoot: directory.path)
    let clock = ContinuousClock.now
    let finding = await DockerDesktopProcessDetector(host: host, runner: HostCommandRunner(timeout: .milliseconds(300)))
      .detect()
    let pid = try #require(
      (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap {
        Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
      },
      "the stub never ran")
    #expect(finding.running == nil)
    #expect(kill(pid, 0) == -1 && errno == ESRCH, "the stub (pid \(pid)) still runs")
    // Far below the stub's 600 s: it was ended, not waited for, even on a machine too busy for tight bounds.
    #expect(ContinuousClock.now - clock < .seconds(300))
  }

  @Test("Linux fixture /proc: Desktop's backend, window and VM are found; other QEMUs are not Desktop's")
  func linuxProc() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let proc = try ProcFixture(in: directory)
    try proc.add(pid: 1, ["/sbin/init"])
    try proc.add(pid: 2100, ["/opt/docker-desktop/bin/com.docker.backend"])
    try proc.add(pid: 2150, ["/opt/docker-desktop/Docker Desktop"])
    // Electron helpers rewrite their command line as one string.
    try proc.add(pid: 2151, ["/opt/docker-desktop/Docker Desktop --type=zygote --no-zygote-sandbox"])
    try proc.add(
      pid: 2200,
      [
        "/opt/docker-desktop/linuxkit/qemu-system-x86_64", "-drive",
        "file=/home/dev/.docker/desktop/vms/0/data/Docker.raw,format=raw",
      ])
    try proc.add(pid: 2300, ["/usr/lib/qemu/virtiofsd", "--socket-path=/home/dev/.docker/desktop/virtiofs.sock0"])
    try proc.add(pid: 3000, ["/usr/bin/qemu-system-x86_64", "-drive", "file=/var/lib/libvirt/images/other.qcow2"])
    let host = HostEnvironment(os: .linux, environment: [:], systemRoot: directory.path)
    let finding = await DockerDesktopProcessDetector(host: host, runner: Self.runner).detect()
    #expect(finding.running == true)
    #expect(finding.processes.map(\.pid) == [2100, 2150, 2151])
    #expect(finding.virtualMachine.map(\.pid) == [2200, 2300])
    #expect(finding.method == "/proc")
  }

  @Test("Linux fixture /proc without Desktop: not running")
  func linuxProcWithout() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let proc = try ProcFixture(in: directory, root: "fakeproc")
    try proc.add(pid: 1, ["/sbin/init"])
    try proc.add(pid: 700, ["/usr/sbin/dockerd", "-H", "fd://"])
    let host = HostEnvironment(os: .linux, environment: [:], procRoot: proc.root)
    let finding = await DockerDesktopProcessDetector(host: host, runner: Self.runner).detect()
    #expect(finding.running == false)
    #expect(finding.processes.isEmpty)
  }
}
