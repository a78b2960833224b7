import Foundation
import TestSupport
import Testing

/// What the command line says about itself: help with examples and exit codes, completion scripts, --quiet.
@Suite("The command line: help, completions, quiet")
struct CommandLineTests {
  @Test(
    "every subcommand's help has examples and its exit codes, and exits 0",
    arguments: [
      ["--help"], ["check", "--help"], ["endpoints", "--help"], ["heal", "--help"], ["wait", "--help"],
      ["exec", "--help"], ["exec", "-h"], ["serve", "--help"], ["help", "docker"],
    ])
  func help(arguments: [String]) async throws {
    let run = try await PreflightRun.run(arguments)
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput.contains("Examples:"))
    #expect(run.standardOutput.contains("Exit codes:"))
    #expect(run.standardOutput.contains("USAGE: docker-preflight"))
  }

  @Test(
    "completion scripts for bash, zsh and fish name every subcommand; each parses where its shell is installed",
    arguments: ["bash", "zsh", "fish"])
  func completionScripts(shell: String) async throws {
    let run = try await PreflightRun.run(["--generate-completion-script", shell])
    #expect(run.status == 0, "\(run.standardError)")
    for subcommand in ["check", "endpoints", "heal", "wait", "exec", "docker", "serve"] {
      #expect(run.standardOutput.contains(subcommand), "\(subcommand)")
    }
    guard let interpreter = Executable.find(shell) else { return }
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let script = try directory.write(run.standardOutput, to: "completion.\(shell)")
    let parsed = try await CommandRun.run(interpreter, ["-n", script])
    #expect(parsed.status == 0, "\(parsed.standardError)")
  }

  @Test("--quiet: check prints nothing and answers by its exit status; heal --quiet still shows a dry run's plan")
  func quiet() async throws {
    var scene = try HealTests.Scene()
    defer { scene.remove() }
    scene.startCommand = [try scene.stubs.add("start-engine")]
    let check = try await PreflightRun.run(["check", "--quiet", "--timeout", "300ms"], environment: scene.environment)
    #expect(check.status == 1)
    #expect(check.standardOutput.isEmpty)
    #expect(check.standardError.isEmpty)
    let plan = try await PreflightRun.run(["heal", "--quiet", "--dry-run"], environment: scene.environment)
    #expect(plan.status == 0)
    #expect(plan.standardOutput.contains("start-engine"))
    #expect(scene.stubs.invocations.isEmpty)
  }
}
