#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A docker configuration file that exists but that this user may not read (`EACCES`, `EPERM`: typically a
/// `HOME` under another user's home kept after dropping privileges). The docker CLI warns and goes on as if there
/// were no file (`config.LoadDefaultConfigFile`), so we do the same, with a warning naming the file and the errno.
public struct SkippedConfigurationFile: Sendable, Hashable, CustomStringConvertible {
  public var path: String
  /// `EACCES` or `EPERM`.
  public var errorNumber: Int32

  /// The errno values the docker CLI would also get past: a file we are not allowed to read. Any other failure
  /// (a directory, an I/O error, a file too large) stays an error.
  static func skipping(_ failure: BoundedFile.Failure, path: String) -> SkippedConfigurationFile? {
    guard case .system(let code) = failure, code == EACCES || code == EPERM else { return nil }
    return SkippedConfigurationFile(path: path, errorNumber: code)
  }

  /// `EACCES`, `EPERM`.
  public var errorName: String { errorNumber == EPERM ? "EPERM" : "EACCES" }

  public var description: String {
    "cannot read \(path): \(String(cString: strerror(errorNumber))) (\(errorName)); "
      + "going on without it, as the docker CLI does"
  }
}
