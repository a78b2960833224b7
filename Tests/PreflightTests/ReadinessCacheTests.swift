import Foundation
import Preflight
import TestSupport
import Testing

@Suite("The shim's memory of a ready engine")
struct ReadinessCacheTests {
  let host = "unix:///tmp/some/docker.sock"

  func withCache(lifetime: Duration = .seconds(3), _ body: (ReadinessCache, TemporaryDirectory) throws -> Void) throws {
    let directory = try TemporaryDirectory(prefix: "cache")
    defer { directory.remove() }
    try body(ReadinessCache(directory: directory.file("run/docker-preflight"), lifetime: lifetime), directory)
  }

  func mode(_ path: String) throws -> Int {
    try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
  }

  @Test("a record is fresh for its lifetime, for its endpoint only; 0600 in a 0700 directory")
  func recordAndRead() throws {
    try withCache { cache, _ throws in
      #expect(!cache.isFresh(host))
      cache.recordReady(host)
      #expect(cache.isFresh(host))
      #expect(!cache.isFresh("unix:///tmp/other.sock"))
      #expect(try mode(cache.path(for: host)) == 0o600)
      #expect(try mode(cache.directory) == 0o700)
      #expect(try String(contentsOfFile: cache.path(for: host), encoding: .utf8) == host)
      cache.forget(host)
      #expect(!cache.isFresh(host))
    }
  }

  @Test("a record older than the lifetime, or from the future, is not trusted")
  func age() throws {
    try withCache { cache, _ throws in
      cache.recordReady(host)
      for offset in [-10.0, 10.0] {
        try FileManager.default.setAttributes(
          [.modificationDate: Date().addingTimeInterval(offset)], ofItemAtPath: cache.path(for: host))
        #expect(!cache.isFresh(host))
      }
    }
    try withCache(lifetime: .zero) { cache, _ throws in
      cache.recordReady(host)
      #expect(!cache.isFresh(host))
    }
  }

  enum Tampering: String, CaseIterable {
    case fileReadableByOthers, directoryOpenToGroup, fileOwnedBySomeoneElse, symbolicLink, otherEndpoint, hardLink
  }

  @Test("a record that others could have made or changed is ignored", arguments: Tampering.allCases)
  func tampered(_ tampering: Tampering) throws {
    try withCache { cache, directory throws in
      cache.recordReady(host)
      let file = cache.path(for: host)
      switch tampering {
      case .fileReadableByOthers: chmod(file, 0o644)
      case .directoryOpenToGroup: chmod(cache.directory, 0o770)
      case .fileOwnedBySomeoneElse:
        guard getuid() == 0 else { return }
        chown(file, 65534, 65534)
      case .symbolicLink:
        let elsewhere = try directory.write(host, to: "planted", mode: 0o600)
        unlink(file)
        symlink(elsewhere, file)
      case .otherEndpoint:
        try "unix:///tmp/other.sock".write(toFile: file, atomically: false, encoding: .utf8)
      case .hardLink:
        link(file, directory.file("second-name"))
      }
      #expect(!cache.isFresh(host))
    }
  }

  @Test("a directory that is not ours is never written into")
  func foreignDirectory() throws {
    guard getuid() == 0 else { return }
    try withCache { cache, directory throws in
      try FileManager.default.createDirectory(atPath: cache.directory, withIntermediateDirectories: true)
      chown(cache.directory, 65534, 65534)
      cache.recordReady(host)
      #expect(!FileManager.default.fileExists(atPath: cache.path(for: host)))
      #expect(!cache.isFresh(host))
    }
  }
}
