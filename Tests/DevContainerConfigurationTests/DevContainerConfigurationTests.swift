import DevContainer
import Foundation
import JSON
import TestSupport
import Testing

/// devcontainer.json read as the Dev Containers tools read it.
@Suite("devcontainer.json")
struct DevContainerConfigurationTests {
  func load(_ text: String, environment: [String: String] = [:], name: String = ".devcontainer/devcontainer.json")
    throws -> (DevContainerConfiguration, TemporaryDirectory)
  {
    let workspace = try TemporaryDirectory(prefix: "ws")
    let file = try workspace.write(text, to: name)
    return (try DevContainerConfiguration.load(file, environment: environment), workspace)
  }

  @Test("comments and trailing commas are allowed; strings keep // and /* as text")
  func jsonWithComments() throws {
    let (configuration, workspace) = try load(
      """
      // line comment
      {
        /* block
           comment */
        "image": "mcr.microsoft.com/devcontainers/base:ubuntu", // trailing
        "runArgs": ["--label", "a//b", "c/*d*/",],
        "features": {"ghcr.io/devcontainers/features/node:1": {},},
      }
      """)
    defer { workspace.remove() }
    #expect(configuration.image == "mcr.microsoft.com/devcontainers/base:ubuntu")
    #expect(configuration.runArgs == ["--label", "a//b", "c/*d*/"])
    #expect(configuration.features == ["ghcr.io/devcontainers/features/node:1"])
  }

  @Test(
    "a parse error names the file, and the line and column where the bad token starts",
    arguments: [
      ("{\n  \"image\": \"x\"\n  \"name\": \"y\"\n}\n", 3, 3),
      ("{\n  \"image\": \n}\n", 3, 1),
      ("[1, 2]", 1, 1),
    ])
  func parseError(text: String, line: Int, column: Int) throws {
    let workspace = try TemporaryDirectory(prefix: "ws")
    defer { workspace.remove() }
    let file = try workspace.write(text, to: ".devcontainer.json")
    #expect {
      try DevContainerConfiguration.load(file, environment: [:])
    } throws: { error in
      guard case .malformed(let path, let foundLine, let foundColumn, _) = error as? DevContainerError else {
        return false
      }
      return path == file && foundLine == line && foundColumn == column
    }
  }

  @Test("${localEnv:…} (with a default) and ${localWorkspaceFolder…} are substituted; container variables are kept")
  func substitution() throws {
    let (configuration, workspace) = try load(
      """
      {
        "image": "${localEnv:IMAGE}",
        "runArgs": ["${localEnv:MISSING:fallback}", "${localEnv:MISSING}", "${containerEnv:PATH}",
                    "${localWorkspaceFolderBasename}", "${env:IMAGE}"],
        "workspaceMount": "source=${localWorkspaceFolder},target=/workspaces/x,type=bind"
      }
      """, environment: ["IMAGE": "busybox:1"])
    defer { workspace.remove() }
    #expect(configuration.image == "busybox:1")
    let basename = (workspace.path as NSString).lastPathComponent
    #expect(configuration.runArgs == ["fallback", "", "${containerEnv:PATH}", basename, "busybox:1"])
    #expect(configuration.workspaceFolder == workspace.path)
    #expect(configuration.bindMounts.map(\.source) == [workspace.path])
  }

  @Test("build paths are relative to the devcontainer.json's folder; dockerComposeFile a string or an array")
  func paths() throws {
    let (configuration, workspace) = try load(
      #"{"build": {"dockerfile": "Dockerfile", "context": ".."}, "dockerComposeFile": ["a.yml", "/abs/b.yml"], "service": "app"}"#
    )
    defer { workspace.remove() }
    #expect(configuration.dockerfile == workspace.file(".devcontainer/Dockerfile"))
    #expect(configuration.buildContext == workspace.file(".devcontainer/.."))
    #expect(configuration.composeFiles == [workspace.file(".devcontainer/a.yml"), "/abs/b.yml"])
    #expect(configuration.service == "app")
    #expect(configuration.runServices == nil)
  }

  @Test(
    "runServices: absent is every service, [] only the service itself",
    arguments: [
      (#"{"runServices": ["db", "cache"]}"#, ["db", "cache"] as [String]?), (#"{"runServices": []}"#, []), ("{}", nil),
    ])
  func runServices(text: String, runServices: [String]?) throws {
    let (configuration, workspace) = try load(text)
    defer { workspace.remove() }
    #expect(configuration.runServices == runServices)
  }

  @Test("host ports from appPort and runArgs; bind mounts from mounts, workspaceMount and runArgs")
  func portsAndMounts() throws {
    let (configuration, workspace) = try load(
      """
      {"appPort": [3000, "127.0.0.1:8080:80", "9000:90"],
       "runArgs": ["-p", "5432:5432", "--publish=6000:6000/udp", "-p", "80", "-p7000-7001:70-71",
                   "-v", "/srv/data:/data:ro", "-v", "vol:/v",
                   "--mount", "type=bind,src=/srv/cache,dst=/cache", "--mount", "type=volume,source=x,target=/x"],
       "mounts": ["source=/srv/a,target=/a,type=bind", {"type": "bind", "source": "/srv/b", "target": "/b"},
                  {"type": "volume", "source": "v", "target": "/v"}, "source=v2,target=/v2,type=volume"]}
      """)
    defer { workspace.remove() }
    #expect(configuration.ports.map(\.port) == [3000, 8080, 9000, 5432, 6000, 7000, 7001])
    #expect(configuration.ports[1].address == "127.0.0.1")
    #expect(configuration.ports.map(\.transport.rawValue) == ["tcp", "tcp", "tcp", "tcp", "udp", "tcp", "tcp"])
    #expect(configuration.bindMounts.map(\.source) == ["/srv/a", "/srv/b", "/srv/data", "/srv/cache"])
  }

  @Test("hostRequirements: cpus, memory and storage sizes, gpu true or optional; a wrong type names the key")
  func hostRequirements() throws {
    let (configuration, workspace) = try load(
      #"{"hostRequirements": {"cpus": 4, "memory": "8gb", "storage": "32GB", "gpu": "optional"}}"#)
    defer { workspace.remove() }
    #expect(configuration.hostRequirements.cpus == 4)
    #expect(configuration.hostRequirements.memory == 8 << 30)
    #expect(configuration.hostRequirements.storage == 32 << 30)
    #expect(configuration.hostRequirements.gpu == .optional)
    #expect {
      _ = try load(#"{"hostRequirements": {"memory": 8}}"#)
    } throws: { error in
      guard case .invalidValue(_, let key, let expected) = error as? DevContainerError else { return false }
      return key == "hostRequirements.memory" && expected.contains("4gb")
    }
  }

  @Test("located as the tools do: .devcontainer/devcontainer.json, else .devcontainer.json; neither is an error")
  func locate() throws {
    let workspace = try TemporaryDirectory(prefix: "ws")
    defer { workspace.remove() }
    #expect(throws: DevContainerError.self) { try DevContainerConfiguration.locate(in: workspace.path) }
    let root = try workspace.write("{}", to: ".devcontainer.json")
    #expect(try DevContainerConfiguration.locate(in: workspace.path) == root)
    let nested = try workspace.write("{}", to: ".devcontainer/devcontainer.json")
    #expect(try DevContainerConfiguration.locate(in: workspace.path) == nested)
  }
}
