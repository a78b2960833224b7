import Foundation
import JSON
import TestSupport
import Testing

/// `docker-preflight exec -- CMD`: wait, then become CMD.
@Suite("exec: wait, then run the command in place of docker-preflight")
struct ExecCommandTests {
  @Test("engine ready: CMD runs with our stdio and pid, its exit status is exec's, and nothing of ours is printed")
  func runsCommand() async throws {
    try await withDockerDaemon { daemon in
      let run = try await PreflightRun.run(
        ["exec", "--", "sh", "-c", "echo out; echo err >&2; read line; echo \"in: $line\"; exit 7"],
        environment: ["DOCKER_HOST": daemon.host], input: "hello\n")
      #expect(run.status == 7)
      #expect(run.standardOutput == "out\nin: hello\n")
      #expect(run.standardError == "err\n")

      // Without `--`, and with global options before the subcommand.
      let plain = try await PreflightRun.run(["-H", daemon.host, "exec", "echo", "two", "words"])
      #expect(plain.status == 0)
      #expect(plain.standardOutput == "two words\n")
    }
  }

  @Test("CMD inherits no descriptor docker-preflight opened, and no blocked signal")
  func cleanInheritance() async throws {
    try await withDockerDaemon { daemon in
      // A shell lists the descriptors it has (whatever a busy test process leaked into it), then becomes
      // docker-preflight, which becomes a shell listing its own: the same ones, none added. The mask is read by the
      // shell become grep: a shell waiting for a child blocks SIGCHLD meanwhile, which is not ours.
      let directory = try TemporaryDirectory()
      defer { directory.remove() }
      let after = try directory.write(
        "#!/bin/sh\nls /proc/$$/fd > \"$1/after\"\nexec grep SigBlk /proc/self/status > \"$1/mask\"\n", to: "after.sh",
        mode: 0o755)
      let before = try directory.write(
        "#!/bin/sh\nls /proc/$$/fd > \"$1/before\"\n"
          + "exec \(StubCommands.shellQuoted(PreflightBinary.path)) exec -- "
          + "\(StubCommands.shellQuoted(after)) \"$1\"\n",
        to: "before.sh", mode: 0o755)
      let run = try await CommandRun.run(
        before, [directory.path], environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]))
      #expect(run.status == 0, "\(run.standardError)")
      func descriptors(_ name: String) throws -> Set<Int> {
        Set(
          try String(contentsOfFile: directory.file(name), encoding: .utf8).split(separator: "\n").compactMap {
            Int($0)
          })
      }
      #expect(try descriptors("before").isSuperset(of: [0, 1, 2]))
      #expect(try descriptors("after") == descriptors("before"))
      let mask = try String(contentsOfFile: directory.file("mask"), encoding: .utf8)
      #expect(mask.hasSuffix("0000000000000000\n"), "\(mask)")
    }
  }

  @Test("engine not ready in time: CMD does not run; stderr names the endpoint, the issue and the next step")
  func notReady() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let marker = directory.file("ran")
    let host = "unix://\(directory.file("none.sock"))"
    let run = try await PreflightRun.run(
      ["exec", "--timeout", "300ms", "--", "touch", marker], environment: ["DOCKER_HOST": host])
    #expect(run.status == 1)
    #expect(run.standardOutput.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: marker))
    #expect(run.standardError.contains("docker-preflight: the engine at \(host) is not ready"))
    #expect(run.standardError.contains("socket-missing"))
    #expect(run.standardError.contains("→ to let docker-preflight start it: exec --heal --yes"))
    #expect(run.standardError.hasSuffix("docker-preflight: not running touch \(marker)\n"))

    let json = try await PreflightRun.run(
      ["exec", "--json", "--quiet", "--timeout", "0", "--", "touch", marker], environment: ["DOCKER_HOST": host])
    #expect(json.status == 1)
    #expect(try JSONValue.parse(json.standardOutput)["ready"] == false)
    #expect(!json.standardError.contains("socket missing ("))
  }

  @Test("--heal without consent gives up at once with the plan; nothing runs")
  func healNotPermitted() async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    let stub = try scene.stubs.add("start-engine")
    scene.startCommand = [stub]
    let marker = scene.directory.file("ran")
    let run = try await PreflightRun.run(
      ["exec", "--heal", "--timeout", "60s", "--", "touch", marker], environment: scene.environment)
    #expect(run.status == 1)
    #expect(run.standardError.contains("heal not permitted"))
    #expect(run.standardError.contains(stub))
    #expect(scene.stubs.invocations.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  @Test("a command that cannot be run: 127 not found, 126 not executable; a missing command is a usage error")
  func commandFailures() async throws {
    try await withDockerDaemon { daemon in
      let missing = try await PreflightRun.run(
        ["exec", "--", "no-such-command-here"], environment: ["DOCKER_HOST": daemon.host])
      #expect(missing.status == 127)
      #expect(missing.standardError.contains("cannot run no-such-command-here"))
      let directory = try TemporaryDirectory()
      defer { directory.remove() }
      let plain = try directory.write("not a program\n", to: "plain")
      let notExecutable = try await PreflightRun.run(["exec", "--", plain], environment: ["DOCKER_HOST": daemon.host])
      #expect(notExecutable.status == 126)
      let none = try await PreflightRun.run(["exec", "--"], environment: ["DOCKER_HOST": daemon.host])
      #expect(none.status == 2)
      #expect(none.standardError.contains("Name the command to run"))
    }
  }

  @Test(
    "global options work before the subcommand, as docker's do",
    arguments: [
      ["-H", "HOST", "check", "--json"], ["--host=HOST", "check", "--json"], ["check", "-H", "HOST", "--json"],
    ])
  func globalOptionsFirst(arguments: [String]) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let host = "unix://\(directory.file("none.sock"))"
    let run = try await PreflightRun.run(arguments.map { $0.replacingOccurrences(of: "HOST", with: host) })
    #expect(run.status == 1)
    #expect(try JSONValue.parse(run.standardOutput)["endpoint"]?["host"] == .string(host))
  }
}
