import DevContainer
import EngineKit

/// A Dev Container to preflight beside the engine: its devcontainer.json as read (or why it could not be), and the
/// environment `devcontainer up` will run docker in (PATH for credential helpers and plugins, SSH_AUTH_SOCK).
public struct DevContainerPreflight: Sendable {
  public var path: String
  public var configuration: Result<DevContainerConfiguration, DevContainerError>
  public var environment: [String: String]
  /// The docker CLI `devcontainer up` will run (`dockerPath`, else `docker` on PATH).
  public var dockerCLI: String?

  public init(
    path: String, configuration: Result<DevContainerConfiguration, DevContainerError>, environment: [String: String],
    dockerCLI: String?
  ) {
    self.path = path
    self.configuration = configuration
    self.environment = environment
    self.dockerCLI = dockerCLI
  }

  /// Finds and reads the devcontainer.json for `path`: a file, or a workspace folder to look in (`.` by default).
  /// The preflight of the devcontainer.json at `path` (or found under it), with the docker CLI the configuration's
  /// `dockerPath` or PATH gives.
  public static func load(
    _ path: String?, environment: [String: String], configuration: PreflightConfiguration
  ) -> DevContainerPreflight {
    let dockerCLI = try? DockerCLILocator(environment: environment, configuredPath: configuration.dockerPath).locate()
      .get()
    return load(path, environment: environment, dockerCLI: dockerCLI)
  }

  public static func load(
    _ path: String?, environment: [String: String], dockerCLI: String?
  ) -> DevContainerPreflight {
    let given = path ?? "."
    let resolved: Result<String, DevContainerError> =
      HostFiles.isDirectory(given)
      ? Result { () throws(DevContainerError) in try DevContainerConfiguration.locate(in: absolute(given, environment))
      }
      : .success(absolute(given, environment))
    switch resolved {
    case .failure(let error):
      return DevContainerPreflight(
        path: given, configuration: .failure(error), environment: environment, dockerCLI: dockerCLI)
    case .success(let file):
      let configuration = Result { () throws(DevContainerError) in
        try DevContainerConfiguration.load(file, environment: environment)
      }
      return DevContainerPreflight(
        path: file, configuration: configuration, environment: environment, dockerCLI: dockerCLI)
    }
  }

  private static func absolute(_ path: String, _ environment: [String: String]) -> String {
    if path.hasPrefix("/") { return HostFiles.normalizedPath(path) }
    return HostFiles.normalizedPath(
      (environment["PWD"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? currentDirectory) + "/" + path)
  }

  private static var currentDirectory: String {
    var buffer = [CChar](repeating: 0, count: 4096)
    return getcwd(&buffer, buffer.count) != nil ? String(cString: buffer) : "/"
  }

  /// The checks of a Dev Container, after the engine's own.
  public static var checks: [any DiagnosticCheck] {
    [
      DevContainerConfigCheck(), DevContainerImageCheck(), DevContainerBuildCheck(), DevContainerComposeCheck(),
      DevContainerPortsCheck(), DevContainerMountsCheck(), DevContainerResourcesCheck(), DevContainerCredentialsCheck(),
    ]
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension DiagnosisState {
  /// The Dev Container's configuration, when one was asked for and could be read.
  var devContainer: DevContainerConfiguration? {
    guard let preflight = options.devContainer, case .success(let configuration) = preflight.configuration else {
      return nil
    }
    return configuration
  }
}

/// A registry host of an image or Feature reference, as the engine will contact it.
enum RegistryReference {
  /// `ghcr.io/a/b:1` → `ghcr.io`; `busybox`, `library/busybox`, `docker.io/x` → `registry-1.docker.io`;
  /// `localhost:5000/x` → `localhost:5000`. `nil` for what is not a registry reference (a local Feature folder).
  static func registry(of reference: String) -> String? {
    if reference.hasPrefix("./") || reference.hasPrefix("../") || reference.hasPrefix("/") { return nil }
    if reference.hasPrefix("https://") {
      return reference.dropFirst("https://".count).split(separator: "/").first.map(String.init)
    }
    let first = reference.split(separator: "/", maxSplits: 1).first.map(String.init) ?? reference
    let isDomain = reference.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
    guard isDomain else { return "registry-1.docker.io" }
    return first == "docker.io" || first == "index.docker.io" ? "registry-1.docker.io" : first
  }

  /// Whether the reference names its registry (Podman resolves short names only with a TTY to prompt on).
  static func isFullyQualified(_ reference: String) -> Bool {
    let first = reference.split(separator: "/", maxSplits: 1).first.map(String.init) ?? reference
    return reference.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
  }

  static func hostAndPort(_ registry: String) -> (String, Int) {
    if let colon = registry.lastIndex(of: ":"), let port = Int(registry[registry.index(after: colon)...]) {
      return (String(registry[..<colon]), port)
    }
    return (registry, 443)
  }
}
