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
}
