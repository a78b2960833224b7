import Foundation
import Preflight
import TestSupport
import Testing

@testable import PreflightCLI

@Suite("exec: recognising devcontainer up and what it will read")
struct DevContainerUpTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var argv: [String]
    var configuration: String?
    var dockerPath: String?
    var isUp = true
    var testDescription: String { argv.joined(separator: " ") }
  }

  @Test(
    "argv → the devcontainer.json (or folder) up reads, and its docker CLI",
    arguments: [
      Case(argv: ["devcontainer", "up", "--workspace-folder", "/w"], configuration: "/w"),
      Case(argv: ["/usr/local/bin/devcontainer", "up", "--workspace-folder=/w"], configuration: "/w"),
      Case(argv: ["devcontainer", "up"]),
      Case(
        argv: ["devcontainer", "up", "--workspace-folder", "/w", "--config", "/w/other.json"],
        configuration: "/w/other.json"),
      Case(
        argv: ["devcontainer", "up", "--config", "/a.json", "--override-config", "/b.json"], configuration: "/b.json"),
      Case(
        argv: ["devcontainer", "up", "--docker-path", "/opt/docker", "--workspace-folder", "."], configuration: ".",
        dockerPath: "/opt/docker"),
      Case(argv: ["npx", "-y", "@devcontainers/cli", "up", "--workspace-folder", "/w"], configuration: "/w"),
      Case(argv: ["devcontainer.cmd", "up", "--workspace-folder", "C:/w"], configuration: "C:/w"),
      Case(argv: ["devcontainer", "build", "--workspace-folder", "/w"], isUp: false),
      Case(argv: ["devcontainer", "exec", "--workspace-folder", "/w", "up"], isUp: false),
      Case(argv: ["docker", "compose", "up"], isUp: false),
      Case(argv: ["npx", "up"], isUp: false),
    ])
  func recognised(_ testCase: Case) {
    let up = DevContainerUp(testCase.argv)
    #expect((up != nil) == testCase.isUp)
    #expect(up?.configuration == testCase.configuration)
    #expect(up?.dockerPath == testCase.dockerPath)
  }

  @Test("--docker-path naming this program (the shim): the checks use the docker CLI on PATH, as the shim does")
  func dockerPathThatIsTheShim() throws {
    let directory = try TemporaryDirectory(prefix: "up")
    defer { directory.remove() }
    let shim = directory.file("docker")
    try FileManager.default.createSymbolicLink(
      atPath: shim, withDestinationPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    let real = try directory.write("#!/bin/sh\n", to: "bin/docker", mode: 0o755)
    let environment = ["PATH": "\(directory.path):\(directory.file("bin"))"]
    let preflight = try #require(DevContainerUp(["devcontainer", "up", "--docker-path", shim]))
      .preflight(environment: environment, configuration: PreflightConfiguration())
    #expect(preflight.dockerCLI == real)
    let other = try #require(DevContainerUp(["devcontainer", "up", "--docker-path", real]))
      .preflight(environment: ["PATH": "/nowhere"], configuration: PreflightConfiguration())
    #expect(other.dockerCLI == real)
  }
}
