import Foundation
import TestSupport
import Testing

@testable import Preflight
@testable import PreflightCLI

@Suite("Finding the real docker CLI behind the shim")
struct DockerCLILocatorTests {
  /// `self/docker-preflight` stands for this program; `links/docker` reaches it by a symbolic link, `hard/docker` by
  /// a hard link, `real/docker` is another program.
  struct Layout {
    let directory: TemporaryDirectory
    var own: String { directory.file("self/docker-preflight") }
    var real: String { directory.file("real/docker") }
    var ownIdentity: FileIdentity? { FileIdentity(path: own) }

    init() throws {
      directory = try TemporaryDirectory(prefix: "locate")
      _ = try directory.write("#!/bin/sh\n", to: "self/docker-preflight", mode: 0o755)
      _ = try directory.write("#!/bin/sh\n", to: "real/docker", mode: 0o755)
      _ = try directory.write("not a program\n", to: "plain/docker", mode: 0o644)
      try FileManager.default.createDirectory(atPath: directory.file("links"), withIntermediateDirectories: true)
      try FileManager.default.createDirectory(atPath: directory.file("hard"), withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(atPath: directory.file("links/docker"), withDestinationPath: own)
      try FileManager.default.linkItem(atPath: own, toPath: directory.file("hard/docker"))
    }

    func locate(path: [String], configured: String? = nil) -> Result<String, DockerCLILocator.Failure> {
      DockerCLILocator(
        environment: ["PATH": path.map { directory.file($0) }.joined(separator: ":")], configuredPath: configured,
        ownIdentity: ownIdentity
      ).locate()
    }
  }

  @Test("the next docker on PATH that is not this program, through symbolic and hard links")
  func skipsItself() throws {
    let layout = try Layout()
    defer { layout.directory.remove() }
    #expect(layout.locate(path: ["links", "hard", "plain", "real"]) == .success(layout.real))
    #expect(
      layout.locate(path: ["links", "hard"])
        == .failure(
          .notFound(searched: [
            layout.directory.file("links"), layout.directory.file("hard"),
          ])))
  }

  @Test("dockerPath wins, unless it is this program or not a program")
  func configured() throws {
    let layout = try Layout()
    defer { layout.directory.remove() }
    let other = try layout.directory.write("#!/bin/sh\n", to: "elsewhere/docker", mode: 0o755)
    #expect(layout.locate(path: ["real"], configured: other) == .success(other))
    let link = layout.directory.file("links/docker")
    #expect(layout.locate(path: ["real"], configured: link) == .failure(.configuredPathIsShim(link)))
    let plain = layout.directory.file("plain/docker")
    #expect(layout.locate(path: ["real"], configured: plain) == .failure(.configuredPathNotExecutable(plain)))
  }
}
