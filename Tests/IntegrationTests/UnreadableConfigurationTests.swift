import Foundation
import JSON
import TestSupport
import Testing

/// Configuration files another user's directory hides (`HOME=/root` kept after dropping privileges): the docker
/// CLI warns about a `config.json` it cannot open and goes on without it, and so do we, for its file and ours found
/// at the default place. A file that is read and malformed, or one named by `PREFLIGHT_CONFIG`, stays exit 2.
@Suite("configuration files this user may not read")
struct UnreadableConfigurationTests {
  /// A world-traversable directory holding `root-home`, a root-only (0700) home with a docker `config.json` and
  /// our own `config.json` in it; removed when the test ends.
  final class LockedHome: Sendable {
    let directory: TemporaryDirectory
    let home: String
    let dockerConfig: String
    let preflightConfig: String

    init() throws {
      directory = try TemporaryDirectory(prefix: "locked")
      chmod(directory.path, 0o755)
      home = directory.file("root-home")
      dockerConfig = try directory.write(#"{"currentContext": "elsewhere"}"#, to: "root-home/.docker/config.json")
      preflightConfig = try directory.write(
        #"{"timeout": "5s"}"#, to: "root-home/.config/docker-preflight/config.json")
      chmod(home, 0o700)
    }

    deinit { directory.remove() }
  }

  /// `docker-preflight ARGUMENTS` as nobody, with only `environment` (plus PATH) and no XDG directories, so that
  /// every file is looked for under `HOME`.
  func runAsNobody(_ arguments: [String], _ environment: [String: String], input: String = "") async throws
    -> CommandRun
  {
    let setpriv = try #require(Executable.find("setpriv"), "needs setpriv (util-linux)")
    var environment = PreflightBinary.cleanEnvironment(environment)
    for key in environment.keys where key.hasPrefix("XDG_") { environment[key] = nil }
    return try await CommandRun.run(
      setpriv, ["--reuid=nobody", "--regid=nogroup", "--clear-groups", PreflightBinary.path] + arguments,
      environment: environment, input: input)
  }

  @Test(
    "check as another user whose HOME is root's: the docker config.json is a warning, the default endpoint checked",
    .enabled(if: getuid() == 0, "needs root to run the check as nobody"))
  func dockerConfigSkipped() async throws {
    let locked = try LockedHome()
    // No DOCKER_HOST or DOCKER_CONTEXT: only then does the order get to config.json.
    let run = try await runAsNobody(
      ["check", "--json", "--timeout", "1s"], ["HOME": locked.home])
    #expect([0, 1].contains(run.status), "\(run.standardError)")
    let report = try JSONValue.parse(run.standardOutput)
    #expect(report["endpoint"]?["source"] == "default", "\(run.standardOutput)")
    let warning = run.standardError.split(separator: "\n").filter { $0.contains(locked.dockerConfig) }
    #expect(warning.count == 1, "\(run.standardError)")
    #expect(warning.first?.hasPrefix("docker-preflight: warning: cannot read \(locked.dockerConfig)") == true)
    #expect(warning.first?.contains("(EACCES)") == true)
  }

  @Test(
    "check as another user: our own config.json at the default place is skipped with a warning, not exit 2",
    .enabled(if: getuid() == 0, "needs root to run the check as nobody"))
  func ownConfigSkipped() async throws {
    let locked = try LockedHome()
    let missing = locked.directory.file("missing.sock")
    let run = try await runAsNobody(["check", "--json"], ["HOME": locked.home, "DOCKER_HOST": "unix://\(missing)"])
    #expect(run.status == 1, "\(run.standardError)")
    let report = try JSONValue.parse(run.standardOutput)
    #expect(report["issues"]?[0]?["code"] == "socket-missing", "\(run.standardOutput)")
    let warning = run.standardError.split(separator: "\n").filter { $0.contains(locked.preflightConfig) }
    #expect(warning.count == 1, "\(run.standardError)")
    #expect(warning.first?.hasPrefix("docker-preflight: warning: cannot read \(locked.preflightConfig)") == true)
    #expect(warning.first?.contains("(EACCES)") == true)
  }

  @Test(
    "our config.json named by PREFLIGHT_CONFIG that this user may not read stays exit 2, naming the file",
    .enabled(if: getuid() == 0, "needs root to run the check as nobody"))
  func namedConfigStaysAnError() async throws {
    let locked = try LockedHome()
    let run = try await runAsNobody(
      ["check", "--json"],
      ["HOME": "/nonexistent", "PREFLIGHT_CONFIG": locked.preflightConfig, "DOCKER_HOST": "unix:///nonexistent.sock"])
    #expect(run.status == 2, "\(run.standardError)")
    #expect(run.standardOutput.isEmpty)
    #expect(run.standardError.contains("\(locked.preflightConfig): cannot be read: Permission denied"))
  }

  @Test(
    "serve as another user: the warning reaches stderr once, however many requests resolve, and stdout stays protocol",
    .enabled(if: getuid() == 0, "needs root to run serve as nobody"))
  func serveWarnsOnce() async throws {
    let locked = try LockedHome()
    let requests = (1...3).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"diagnose"}"# }.joined(separator: "\n")
    let run = try await runAsNobody(
      ["serve"], ["HOME": locked.home], input: requests + "\n")
    #expect(run.status == 0, "\(run.standardError)")
    let answers = try run.standardOutput.split(separator: "\n").map { try JSONValue.parse(String($0)) }
    #expect(answers.count == 3, "\(run.standardOutput)")
    #expect(answers.allSatisfy { $0["result"]?["endpoint"]?["source"] == "default" }, "\(run.standardOutput)")
    let warnings = run.standardError.split(separator: "\n").filter { $0.contains(locked.dockerConfig) }
    #expect(warnings.count == 1, "\(run.standardError)")
  }

  @Test(
    "a malformed config file that can be read is still exit 2, naming the file",
    arguments: ["docker", "preflight"])
  func malformedStaysAnError(file: String) async throws {
    let directory = try TemporaryDirectory(prefix: "malformed")
    defer { directory.remove() }
    let path = try directory.write(
      #"{"currentContext": "#, to: file == "docker" ? ".docker/config.json" : ".config/docker-preflight/config.json")
    // DOCKER_HOST would keep the docker config.json from being read at all.
    var environment = ["HOME": directory.path, "XDG_CONFIG_HOME": directory.file(".config")]
    if file == "preflight" { environment["DOCKER_HOST"] = "unix://\(directory.file("missing.sock"))" }
    let run = try await PreflightRun.run(["check", "--json"], environment: environment)
    #expect(run.status == 2, "\(run.standardError)")
    #expect(run.standardOutput.isEmpty)
    #expect(run.standardError.contains(path))
    #expect(!run.standardError.contains("warning"))
  }
}
