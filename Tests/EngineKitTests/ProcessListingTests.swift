import EngineKit
import TestSupport
import Testing

@Suite("Process lists of each platform")
struct ProcessListingTests {
  @Test("tasklist.exe CSV: quoted fields, commas inside quotes, no header with /NH")
  func taskList() {
    let output = """
      "System Idle Process","0","Services","0","8 K"\r
      "Docker Desktop.exe","10212","Console","1","182,340 K"\r
      "com.docker.backend.exe","9876","Console","1","95,112 K"\r
      "say ""hi"".exe","42","Console","1","1 K"\r

      """
    let processes = ProcessListing.parseTaskList(output)
    #expect(
      processes.map(\.name) == [
        "System Idle Process", "Docker Desktop.exe", "com.docker.backend.exe", #"say "hi".exe"#,
      ])
    #expect(processes.map(\.pid) == [0, 10212, 9876, 42])
  }

  @Test("ps -axo pid=,comm= on macOS: full paths, names with spaces")
  func ps() {
    let output = """
        1 /sbin/launchd
      612 /Applications/Docker.app/Contents/MacOS/com.docker.backend
      640 /Applications/Docker.app/Contents/MacOS/Docker Desktop.app/Contents/MacOS/Docker Desktop

      """
    let processes = ProcessListing.parsePS(output)
    #expect(processes.map(\.name) == ["launchd", "com.docker.backend", "Docker Desktop"])
    #expect(processes.map(\.pid) == [1, 612, 640])
  }

  @Test("/proc: names from cmdline (comm is cut to 15 bytes), kernel threads left out (fixture tree)")
  func proc() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let proc = try ProcFixture(in: directory)
    try proc.add(pid: 1, ["/sbin/init"])
    try proc.add(pid: 2, [])
    try proc.add(pid: 812, ["/opt/docker-desktop/bin/com.docker.backend", "--with-frontend"], comm: "com.docker.back")
    try _ = directory.write("not a process", to: "proc/self-status")
    let processes = ProcessListing.scanProc(proc.root)
    #expect(processes.map(\.name) == ["init", "com.docker.backend"])
    #expect(processes.last?.arguments == ["/opt/docker-desktop/bin/com.docker.backend", "--with-frontend"])
  }

  @Test("/proc: a command line of megabytes is read up to its bound, and the process still named (fixture tree)")
  func longCommandLine() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let proc = try ProcFixture(in: directory)
    try proc.add(pid: 4242, ["/opt/docker-desktop/bin/com.docker.backend", String(repeating: "x", count: 4 << 20)])
    let processes = ProcessListing.scanProc(proc.root)
    #expect(processes.map(\.name) == ["com.docker.backend"])
    let read = processes.first?.arguments.joined(separator: "\0").utf8.count ?? .max
    #expect(read <= ProcessListing.maxCommandLineBytes)
  }
}

/// A fixture /proc tree: `<pid>/cmdline` (NUL-separated, NUL-terminated) and `<pid>/comm`.
struct ProcFixture {
  let root: String
  let directory: TemporaryDirectory

  init(in directory: TemporaryDirectory, root: String = "proc") throws {
    self.directory = directory
    self.root = directory.file(root)
    _ = try directory.write("", to: "\(root)/.keep")
  }

  func add(pid: Int, _ arguments: [String], comm: String? = nil) throws {
    let relative = String(root.dropFirst(directory.path.count + 1))
    let cmdline = arguments.map { $0 + "\0" }.joined()
    _ = try directory.write(cmdline, to: "\(relative)/\(pid)/cmdline")
    _ = try directory.write(
      (comm ?? arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "kthread") + "\n",
      to: "\(relative)/\(pid)/comm")
  }
}
