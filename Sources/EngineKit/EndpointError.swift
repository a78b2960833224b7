/// Why no endpoint could be worked out from the configuration: these are the person's settings to fix, before
/// any engine is contacted.
public enum EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
  case invalidHost(String, reason: String)
  case unreadableFile(path: String, reason: String)
  case malformedFile(path: String, key: String?, reason: String)
  case contextNotFound(name: String, metadataPath: String)
  /// Settings that contradict each other, e.g. `--host` with `--context`.
  case conflictingOptions(String)

  public var description: String {
    switch self {
    case .invalidHost(let host, let reason):
      "invalid docker host \(host.debugDescription): \(reason)"
    case .unreadableFile(let path, let reason):
      "cannot read \(path): \(reason)"
    case .malformedFile(let path, let key?, let reason):
      "\(path): \(key): \(reason)"
    case .malformedFile(let path, nil, let reason):
      "\(path): \(reason)"
    case .contextNotFound(let name, let path):
      "context \"\(name)\" does not exist (no \(path)); see `docker context ls`"
    case .conflictingOptions(let reason):
      "conflicting options: \(reason)"
    }
  }
}
