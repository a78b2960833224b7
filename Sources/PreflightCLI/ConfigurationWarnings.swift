import EngineKit
import Synchronization

/// Configuration warnings on stderr, each once per process: `serve` resolves the endpoint for every request and a
/// `watch` at every interval, and an unreadable `config.json` is worth saying once, as the docker CLI says it once.
enum ConfigurationWarnings {
  private static let printed = Mutex<Set<String>>([])

  static func print(_ warning: String) {
    let isNew = printed.withLock { $0.insert(warning).inserted }
    guard isNew else { return }
    FileHandleStream.standardError.write("docker-preflight: warning: \(warning)\n")
  }

  /// What a resolver hands a docker `config.json` it skipped.
  @Sendable static func skipped(_ file: SkippedConfigurationFile) { print(file.description) }
}
