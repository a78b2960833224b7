import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Finds the real docker CLI (for the shim, and for the Dev Container checks that run it): the configured
/// `dockerPath`, else the first `docker` on PATH that is not this program — compared by device and inode, so that a
/// symbolic link, a hard link or a copy on another path to this same file is recognised and skipped.
public struct DockerCLILocator: Sendable {
  var environment: [String: String]
  var configuredPath: String?
  /// The device and inode of this program.
  var ownIdentity: FileIdentity?

  public init(
    environment: [String: String], configuredPath: String?, ownIdentity: FileIdentity? = .currentExecutable
  ) {
    self.environment = environment
    self.configuredPath = configuredPath
    self.ownIdentity = ownIdentity
  }

  public enum Failure: Error, Equatable, CustomStringConvertible {
    /// `dockerPath` names this program: running it would come straight back here.
    case configuredPathIsShim(String)
    case configuredPathNotExecutable(String)
    /// No `docker` on PATH but this program.
    case notFound(searched: [String])

    public var description: String {
      switch self {
      case .configuredPathIsShim(let path):
        "dockerPath \(path) is docker-preflight itself; set it to the real docker CLI (e.g. /usr/bin/docker)"
      case .configuredPathNotExecutable(let path):
        "dockerPath \(path) is not an executable file; set it to the real docker CLI (e.g. /usr/bin/docker)"
      case .notFound(let searched):
        "no docker CLI found on PATH other than docker-preflight itself (searched \(searched.joined(separator: ":"))); "
          + "install docker, or set \"dockerPath\" in the configuration file"
      }
    }
  }

  public func locate() -> Result<String, Failure> {
    if let configuredPath, !configuredPath.isEmpty {
      guard HostFiles.isExecutableFile(configuredPath) else {
        return .failure(.configuredPathNotExecutable(configuredPath))
      }
      if isShim(configuredPath) { return .failure(.configuredPathIsShim(configuredPath)) }
      return .success(configuredPath)
    }
    let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
    for directory in directories {
      // An empty entry is the current directory, as for a shell.
      let candidate = "\(directory.isEmpty ? "." : directory)/docker"
      if HostFiles.isExecutableFile(candidate) && !isShim(candidate) { return .success(candidate) }
    }
    return .failure(.notFound(searched: directories))
  }

  private func isShim(_ path: String) -> Bool {
    guard let ownIdentity else { return false }
    return FileIdentity(path: path) == ownIdentity
  }
}

/// A file as the kernel knows it: the same device and inode is the same file, whatever the path.
public struct FileIdentity: Equatable, Sendable {
  var device: UInt64
  var inode: UInt64

  /// The file at `path`, symbolic links followed.
  public init?(path: String) {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    device = UInt64(status.st_dev)
    inode = UInt64(status.st_ino)
  }

  /// This program's file.
  public static var currentExecutable: FileIdentity? {
    #if os(Linux)
      return FileIdentity(path: "/proc/self/exe")
    #elseif canImport(Darwin)
      var size: UInt32 = 4096
      var buffer = [CChar](repeating: 0, count: Int(size))
      guard _NSGetExecutablePath(&buffer, &size) == 0 else { return nil }
      return FileIdentity(path: String(cString: buffer))
    #else
      return nil
    #endif
  }
}
