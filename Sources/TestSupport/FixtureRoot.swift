import Foundation

/// A host's system files under a temporary directory, removed with it, for what this machine cannot show (systemd,
/// rootless, kernel modules, cgroups, the iptables alternative). Paths are written as on a real host
/// ("/etc/docker/…"); code under test takes `root` as its system root.
public struct FixtureRoot: ~Copyable {
  public let directory: TemporaryDirectory
  public var root: String { directory.path }

  public init(prefix: String = "root") throws { directory = try TemporaryDirectory(prefix: prefix) }

  deinit { directory.remove() }

  @discardableResult
  public func write(_ text: String, to path: String) throws -> String {
    try directory.write(text, to: String(path.drop { $0 == "/" }))
  }

  @discardableResult
  public func makeDirectory(_ path: String) throws -> String {
    try FileManager.default.createDirectory(atPath: root + path, withIntermediateDirectories: true)
    return root + path
  }

  public func link(_ path: String, to target: String) throws {
    try makeDirectory((path as NSString).deletingLastPathComponent)
    try FileManager.default.createSymbolicLink(atPath: root + path, withDestinationPath: target)
  }
}
