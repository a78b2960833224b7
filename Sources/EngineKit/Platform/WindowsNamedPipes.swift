/// The named pipes container engines listen on under Windows, and which provider each belongs to.
public enum WindowsNamedPipes {
  /// The docker CLI's default: Docker Desktop's engine in its current mode, or Docker Engine on Windows Server.
  public static let dockerEngine = "//./pipe/docker_engine"
  /// Docker Desktop's Linux engine (context `desktop-linux`). `open //./pipe/dockerDesktopLinuxEngine: The system
  /// cannot find the file specified` means Desktop, or its Linux engine, is not running.
  public static let desktopLinuxEngine = "//./pipe/dockerDesktopLinuxEngine"
  /// Docker Desktop's Windows-containers engine.
  public static let desktopWindowsEngine = "//./pipe/dockerDesktopWindowsEngine"
  /// Podman machine's default pipe.
  public static let podmanMachine = "//./pipe/podman-machine-default"

  /// Every provider's own pipe, in the order they are worth trying. `docker_engine` is not here: it is the platform
  /// default, and who serves it (Desktop, or Docker Engine on Windows Server) only the engine's answers tell.
  public static let known: [(path: String, provider: Provider)] = [
    (desktopLinuxEngine, .dockerDesktop),
    (desktopWindowsEngine, .dockerDesktop),
    (podmanMachine, .podman),
  ]

  /// The provider a pipe belongs to, from its name (`//./pipe/NAME` or `\\.\pipe\NAME`).
  public static func provider(of path: String) -> Provider? {
    let name = pipeName(path).lowercased()
    if name.hasPrefix("dockerdesktop") { return .dockerDesktop }
    if name.hasPrefix("podman") { return .podman }
    return nil
  }

  /// `dockerDesktopLinuxEngine` from `//./pipe/dockerDesktopLinuxEngine` or `\\.\pipe\dockerDesktopLinuxEngine`.
  public static func pipeName(_ path: String) -> String {
    let normalized = path.replacingBackslashes
    guard let range = normalized.firstRange(of: "/pipe/") else { return normalized }
    return String(normalized[range.upperBound...])
  }

  /// The endpoint for a pipe path, as the docker CLI writes it: `npipe:////./pipe/docker_engine`.
  public static func endpoint(_ path: String, source: EndpointSource) -> Endpoint {
    Endpoint(host: "npipe://\(path)", transport: .namedPipe(path: path), source: source)
  }
}

extension String {
  fileprivate var replacingBackslashes: String { String(map { $0 == "\\" ? "/" : $0 }) }
}
