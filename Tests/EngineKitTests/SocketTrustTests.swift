import EngineKit
import Foundation
import TestSupport
import Testing

/// Who could stand in for the engine at a socket path: owners and modes of the socket, its links and directories.
@Suite("Socket trust: replaceable paths are told apart from safe ones")
struct SocketTrustTests {
  /// What a case builds under its directory (`dir`, mode 0700, owned by us), and what the assessment must say.
  struct Case: Sendable, CustomStringConvertible {
    var name: String
    /// Needs root (to give files to `nobody`).
    var asRoot = false
    var build: @Sendable (_ dir: String) throws -> String
    /// Problem kinds expected, by the name of their case.
    var problems: [String]
    var trusted: Bool
    var symlinks = 0
    var description: String { name }
  }

  static let nobody: uid_t = 65534

  static let cases: [Case] = [
    Case(name: "a socket in a private directory", build: { try socket(in: $0) }, problems: [], trusted: true),
    Case(
      name: "a directory anyone may write to", build: { try socket(in: $0, directoryMode: 0o777) },
      problems: ["directoryWritableByOthers"], trusted: false),
    Case(
      name: "a sticky directory anyone may write to, our socket in it", build: { try socket(in: $0, directoryMode: 0o1777) },
      problems: [], trusted: true),
    Case(
      name: "a socket that belongs to another user", asRoot: true,
      build: { dir in
        let path = try socket(in: dir)
        chown(path, nobody, 0)
        return path
      }, problems: ["ownedByOtherUser"], trusted: false),
    Case(
      name: "a directory that belongs to another user", asRoot: true,
      build: { dir in
        let path = try socket(in: dir, directoryMode: 0o755)
        chown(dir + "/d", nobody, 0)
        return path
      }, problems: ["directoryOwnedByOtherUser"], trusted: false),
    Case(
      name: "a socket every user may connect to", build: { dir in
        let path = try socket(in: dir)
        chmod(path, 0o777)
        return path
      }, problems: ["socketWritableByOthers"], trusted: true),
    Case(
      name: "a link to our socket", build: { dir in
        let path = try socket(in: dir)
        symlink(path, dir + "/link.sock")
        return dir + "/link.sock"
      }, problems: [], trusted: true, symlinks: 1),
    Case(
      name: "a link that belongs to another user", asRoot: true,
      build: { dir in
        let path = try socket(in: dir)
        symlink(path, dir + "/link.sock")
        lchown(dir + "/link.sock", nobody, 0)
        return dir + "/link.sock"
      }, problems: ["ownedByOtherUser"], trusted: false, symlinks: 1),
    Case(
      name: "a link into a directory anyone may write to", build: { dir in
        let path = try socket(in: dir, directoryMode: 0o777)
        symlink(path, dir + "/link.sock")
        return dir + "/link.sock"
      }, problems: ["directoryWritableByOthers"], trusted: false, symlinks: 1),
    Case(
      name: "a socket under a linked directory (as /var/run → /run)", build: { dir in
        let path = try socket(in: dir)
        symlink(dir + "/d", dir + "/linked")
        return dir + "/linked/docker.sock"
      }, problems: [], trusted: true),
    Case(
      name: "a linked directory leading into one anyone may write to", build: { dir in
        _ = try socket(in: dir, directoryMode: 0o777)
        symlink(dir + "/d", dir + "/linked")
        return dir + "/linked/docker.sock"
      }, problems: ["directoryWritableByOthers"], trusted: false),
    Case(
      name: "links in a loop", build: { dir in
        symlink(dir + "/b.sock", dir + "/a.sock")
        symlink(dir + "/a.sock", dir + "/b.sock")
        return dir + "/a.sock"
      }, problems: ["tooManySymlinks"], trusted: false, symlinks: SocketTrust.maxSymlinks),
    Case(
      name: "no socket yet, in a directory anyone may write to", build: { dir in
        try FileManager.default.createDirectory(atPath: dir + "/d", withIntermediateDirectories: true)
        chmod(dir + "/d", 0o777)
        return dir + "/d/docker.sock"
      }, problems: ["directoryWritableByOthers"], trusted: false),
  ]

  @Test("assessment", arguments: cases)
  func assessment(_ fixture: Case) async throws {
    if fixture.asRoot && getuid() != 0 { try Test.cancel("needs root to give a file to another user") }
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = try fixture.build(directory.path)
    let trust = SocketTrust.assess(path)
    #expect(trust.problems.map(Self.kindName) == fixture.problems, "\(trust.problems)")
    #expect(trust.isTrusted == fixture.trusted)
    #expect(trust.symlinks.count == fixture.symlinks)
    // Every problem names a path and says why, in words a person can act on.
    #expect(trust.problems.allSatisfy { $0.description.contains(directory.path) })
  }

  @Test(
    "paths are made plain as the kernel reads them before any link; relative ones stay relative",
    arguments: [
      ("/a//b/./c/", "/a/b/c"), ("/a/b/../c", "/a/c"), ("/..", "/"), ("/", "/"), ("a/./b/../c", "a/c"), ("./", "."),
    ])
  func normalizedPath(path: String, expected: String) {
    #expect(HostFiles.normalizedPath(path) == expected)
  }

  @Test("another user is named by login name, with the uid")
  func namesTheUser() async throws {
    try #require(getuid() == 0, "needs root to give a file to another user")
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = try Self.socket(in: directory.path)
    chown(path, Self.nobody, 0)
    #expect(SocketTrust.assess(path).problems.first?.description.contains("nobody (uid 65534)") == true)
  }

  /// Binds a socket at `dir/d/docker.sock`, `d` made with `directoryMode`.
  static func socket(in dir: String, directoryMode: mode_t = 0o700) throws -> String {
    let folder = dir + "/d"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    chmod(folder, directoryMode)
    let path = folder + "/docker.sock"
    try StaleSocket.create(at: path)
    chmod(path, 0o660)
    return path
  }

  static func kindName(_ problem: SocketTrust.Problem) -> String {
    switch problem {
    case .ownedByOtherUser: "ownedByOtherUser"
    case .directoryOwnedByOtherUser: "directoryOwnedByOtherUser"
    case .directoryWritableByOthers: "directoryWritableByOthers"
    case .socketWritableByOthers: "socketWritableByOthers"
    case .tooManySymlinks: "tooManySymlinks"
    }
  }
}
