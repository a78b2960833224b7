import Foundation

/// The `docker-preflight` executable under test: `$PREFLIGHT_BINARY`, or the one built next to the test bundle.
public enum PreflightBinary {
  public static var path: String {
    if let path = ProcessInfo.processInfo.environment["PREFLIGHT_BINARY"], !path.isEmpty { return path }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    // `swift test` runs `<build>/debug/DockerPreflightPackageTests.xctest`; the executable sits beside it.
    while directory.path != "/" {
      let candidate = directory.appendingPathComponent("docker-preflight").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return "docker-preflight"
  }

  /// This process's environment with the docker variables removed, so that a test sees only what it sets.
  public static func cleanEnvironment(_ overrides: [String: String] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment.filter {
      !$0.key.hasPrefix("DOCKER_") && !$0.key.hasPrefix("PREFLIGHT_")
    }
    for (key, value) in overrides { environment[key] = value }
    return environment
  }
}
