import EngineKit
import Foundation
import TestSupport
import Testing

@testable import Preflight

/// Telling an engine's processes and what a crashed one left, from /proc (a fixture tree where the states cannot be
/// made here on demand: a pid reused by another program, a zombie) and from command lines.
@Suite("Engine processes and a crash's leftovers")
struct EngineProcessesTests {
  @Test(
    "/proc/PID/stat is read after the name's last parenthesis",
    arguments: [
      ("4242 (dockerd) S 1 4242 4242 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 12 0 8812 1 2", "dockerd", "S", 1, 8812),
      ("7 (a (b) c) Z 6 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0", "a (b) c", "Z", 6, 99),
      ("9 (sleep) T 3 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", "sleep", "T", 3, 5),
    ] as [(String, String, Character, Int, UInt64)])
  func statParsed(line: String, name: String, state: Character, parent: Int, start: UInt64) throws {
    let status = try #require(ProcessStatus.parse(line, pid: 1))
    #expect(status.name == name)
    #expect(status.state == state)
    #expect(status.parentPid == parent)
    #expect(status.startTicks == start)
    #expect(status.hasExited == (state == "Z"))
    #expect(status.isStopped == (state == "T"))
  }

  @Test("a truncated stat line is no status")
  func truncatedStat() {
    #expect(ProcessStatus.parse("12 (dockerd) S 1 12", pid: 12) == nil)
    #expect(ProcessStatus.parse("garbage", pid: 12) == nil)
  }

  @Test(
    "flags are read as Go reads them: separate value, =value, -Hvalue; the last one wins",
    arguments: [
      (["dockerd", "-H", "unix:///a.sock", "--pidfile", "/p1"], "/p1", ["unix:///a.sock"]),
      (
        ["dockerd", "--host=unix:///a.sock", "-Hunix:///b.sock", "-p", "/p1", "--pidfile=/p2"], "/p2",
        ["unix:///a.sock", "unix:///b.sock"]
      ),
      (["dockerd", "--data-root", "-H"], nil, []),
    ] as [([String], String?, [String])])
  func flags(arguments: [String], pidFile: String?, hosts: [String]) {
    let flags = CommandLineFlags(arguments)
    #expect(flags.value(of: ["-p", "--pidfile"]) == pidFile)
    #expect(flags.values(of: ["-H", "--host"]) == hosts)
  }

  @Test("dockerd's files: its flags, else /var/run/docker.pid and /var/run/docker under the host root")
  func dockerdFiles() {
    let defaults = DockerdFiles(arguments: ["dockerd"], systemRoot: "/fixture")
    #expect(defaults.pidFile == "/fixture/var/run/docker.pid")
    #expect(defaults.containerdPidFile == "/fixture/var/run/docker/containerd/containerd.pid")
    let own = DockerdFiles(arguments: ["dockerd", "--exec-root", "/x/exec", "--pidfile", "/x/d.pid"])
    #expect(own.pidFile == "/x/d.pid")
    #expect(own.containerdPidFile == "/x/exec/containerd/containerd.pid")
  }

  @Test(
    "a command line serves the socket it names, and dockerd without -H (or with fd://) the system socket",
    arguments: [
      (["dockerd", "--host", "unix:///tmp/x/docker.sock"], "/tmp/x/docker.sock", true),
      (["dockerd", "-H", "unix:///tmp/y/docker.sock"], "/tmp/x/docker.sock", false),
      (["podman", "system", "service", "--time=0", "unix:///tmp/x/podman.sock"], "/tmp/x/podman.sock", true),
      (["dockerd"], "/var/run/docker.sock", true),
      (["dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"], "/run/docker.sock", true),
      (["dockerd", "-H", "tcp://0.0.0.0:2375"], "/var/run/docker.sock", false),
      (["/usr/bin/dockerd"], "/tmp/x/docker.sock", false),
    ] as [([String], String, Bool)])
  func serves(arguments: [String], socket: String, serves: Bool) throws {
    let locator = EngineProcessLocator(
      endpoint: try Endpoint(parsing: "unix://\(socket)", source: .flag), host: HostEnvironment(environment: [:]))
    #expect(locator.serves(socket, arguments: arguments) == serves)
  }

  /// A fixture /proc with one process per (pid, name, state).
  func procTree(_ processes: [(Int, String, Character)]) throws -> TemporaryDirectory {
    let proc = try TemporaryDirectory(prefix: "proc")
    for (pid, name, state) in processes {
      _ = try proc.write(
        "\(pid) (\(name)) \(state) 1 \(pid) \(pid) 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n", to: "\(pid)/stat")
    }
    return proc
  }

  @Test(
    "fixture /proc: a pidfile naming no process, a zombie or another program is stale; a live dockerd is not",
    arguments: [
      (nil, true, "no process 4242 is running"),
      ((4242, "dockerd", "Z") as (Int, String, Character)?, true, "pid 4242 is a zombie"),
      ((4242, "sleep", "S") as (Int, String, Character)?, true, "pid 4242 is now sleep, not dockerd"),
      ((4242, "dockerd", "S") as (Int, String, Character)?, false, "dockerd (pid 4242) is running"),
    ] as [((Int, String, Character)?, Bool, String)])
  func pidFileStaleness(process: (Int, String, Character)?, stale: Bool, reason: String) throws {
    let proc = try procTree(process.map { [$0] } ?? [])
    let files = try TemporaryDirectory(prefix: "left")
    defer {
      proc.remove()
      files.remove()
    }
    let pidFile = try files.write("4242\n", to: "docker.pid")
    let leftovers = CrashLeftovers(
      socket: nil, daemons: [DockerdFiles(arguments: ["dockerd", "--pidfile", pidFile, "--exec-root", files.path])],
      procRoot: proc.path)
    let found = leftovers.survey()
    #expect(found.count == 1)
    #expect(found.first?.kind == .pidFile)
    #expect(found.first?.stale == stale)
    #expect(found.first?.reason.hasPrefix(reason) == true, "\(found)")
    let refusal = leftovers.remove(try #require(found.first))
    #expect(FileManager.default.fileExists(atPath: pidFile) == !stale)
    #expect((refusal == nil) == stale)
  }

  @Test(
    "fixture /proc: containerd's pidfile in the exec root is judged against containerd; a file without a pid is left")
  func containerdPidFile() throws {
    let proc = try procTree([(77, "containerd", "S"), (78, "dockerd", "Z")])
    let files = try TemporaryDirectory(prefix: "left")
    defer {
      proc.remove()
      files.remove()
    }
    let containerd = try files.write("77", to: "exec/containerd/containerd.pid")
    let empty = try files.write("", to: "docker.pid")
    let leftovers = CrashLeftovers(
      socket: nil,
      daemons: [DockerdFiles(arguments: ["dockerd", "--pidfile", empty, "--exec-root", files.file("exec")])],
      procRoot: proc.path)
    let found = leftovers.survey()
    #expect(found.map(\.path) == [containerd])
    #expect(found.first?.stale == false)
  }

  @Test("a socket nothing listens on is stale and removed; one with a listener is not reported")
  func staleSocket() async throws {
    let directory = try TemporaryDirectory(prefix: "sock")
    defer { directory.remove() }
    let stale = directory.file("stale.sock")
    let listener = try await FaultListener.start(.neverAnswer, unixSocket: directory.file("live.sock"))
    let bound = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in stale.utf8.enumerated() { raw[index] = byte }
    }
    _ = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(bound, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    close(bound)
    let leftovers = CrashLeftovers(socket: stale, daemons: [])
    let found = leftovers.survey()
    #expect(found.map(\.kind) == [.socket])
    #expect(leftovers.remove(try #require(found.first)) == nil)
    #expect(!FileManager.default.fileExists(atPath: stale))
    #expect(CrashLeftovers(socket: directory.file("live.sock"), daemons: []).survey().isEmpty)
    // The listener's own process is what SO_PEERCRED names.
    #expect(SocketPeer.listenerPid(at: directory.file("live.sock")) == Int(getpid()))
    await listener.stop()
  }

  @Test(
    "fixture /proc: a start or restart of this engine in progress is seen, among the programs that start it",
    arguments: [
      (["/bin/sh", "/etc/init.d/docker", "restart"], ["sh", "service"], true),
      (["service", "docker", "start"], ["sh", "service"], true),
      (["systemctl", "restart", "docker.service"], ["systemctl"], true),
      (["systemctl", "status", "docker"], ["systemctl"], false),
      (["colima", "start", "--profile", "work"], ["colima"], true),
      (["service", "docker", "restart"], ["colima"], false),
      (["docker", "desktop", "restart"], ["docker"], true),
      (["docker", "run", "busybox", "restart"], ["docker"], false),
    ] as [([String], Set<String>, Bool)])
  func restartInProgress(arguments: [String], programs: Set<String>, seen: Bool) throws {
    let proc = try TemporaryDirectory(prefix: "proc")
    defer { proc.remove() }
    _ = try proc.write(arguments.joined(separator: "\u{0}") + "\u{0}", to: "31337/cmdline")
    let locator = EngineProcessLocator(
      endpoint: try Endpoint(parsing: "unix:///var/run/docker.sock", source: .default),
      host: HostEnvironment(environment: [:], procRoot: proc.path))
    #expect(locator.restartsInProgress(among: programs).map(\.pid) == (seen ? [31337] : []))
  }
}
