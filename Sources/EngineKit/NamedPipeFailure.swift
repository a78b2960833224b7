/// Windows named-pipe failures (`npipe://` endpoints), classified from the Windows error code.
///
/// The Dev Containers failure `open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified.`
/// is `ERROR_FILE_NOT_FOUND` on Docker Desktop's Linux-engine pipe: Docker Desktop is not running, or its Linux
/// engine has not started. The pipe exists exactly while the engine serves it.
public enum NamedPipeFailure {
  /// Windows error codes a pipe open fails with.
  public enum WindowsError: UInt32, Sendable {
    case fileNotFound = 2
    case accessDenied = 5
    case semaphoreTimeout = 121
    case pipeBusy = 231
  }

  /// The pipes Docker Desktop serves; `docker_engine` is also the Docker Engine service's on Windows Server.
  public static let desktopPipeNames = [
    "dockerDesktopLinuxEngine", "dockerDesktopWindowsEngine", "docker_engine_linux", "docker_engine_windows",
  ]

  /// The classified error for a failed open of `pipe` (`//./pipe/NAME`) with Windows error `code`.
  public static func classify(windowsError code: UInt32, pipe: String, endpoint: String) -> EngineError {
    let name = pipeName(pipe)
    let isDesktop = desktopPipeNames.contains(name)
    switch WindowsError(rawValue: code) {
    case .fileNotFound where isDesktop:
      return EngineError(
        kind: .pipeMissing, endpoint: endpoint,
        message: "Docker Desktop is not running, or its \(engineKind(name)) engine has not started: the pipe "
          + "\(pipe) does not exist (the system cannot find the file specified)",
        recommendation: "Start Docker Desktop (`docker desktop start`, or from the Start menu) and wait until it "
          + "says the engine is running; if it runs, restart it from its menu (Troubleshoot › Restart)",
        errno: Int32(code))
    case .fileNotFound:
      return EngineError(
        kind: .pipeMissing, endpoint: endpoint,
        message: "no Docker engine is listening on \(pipe): the pipe does not exist (Docker Desktop is not "
          + "running, or the Docker Engine service is stopped)",
        recommendation: "Start Docker Desktop (`docker desktop start`), or on Windows Server the engine service "
          + "(Start-Service docker)",
        errno: Int32(code))
    case .accessDenied:
      return EngineError(
        kind: .permissionDenied, endpoint: endpoint,
        message: "access to the pipe \(pipe) was denied",
        recommendation: "Add your account to the docker-users group (then sign out and in again), or run as an "
          + "administrator",
        errno: Int32(code))
    case .pipeBusy, .semaphoreTimeout:
      return EngineError(
        kind: .timeout, endpoint: endpoint,
        message: "every instance of the pipe \(pipe) is busy: the engine does not accept connections in time",
        recommendation: "The engine may be overloaded or hung; restart Docker Desktop if it persists",
        errno: Int32(code))
    case nil:
      return EngineError(
        kind: .protocolError, endpoint: endpoint,
        message: "cannot open the pipe \(pipe): Windows error \(code)",
        recommendation: "Check that Docker Desktop (or the Docker Engine service) runs",
        errno: Int32(code))
    }
  }

  /// Recognises the docker CLI's message `open //./pipe/NAME: <Windows text>` (seen in Dev Containers and docker
  /// logs, where the error code itself is gone) and classifies it by the Windows text it carries. `nil` for any
  /// other message.
  public static func classify(dockerCLIMessage message: String, endpoint: String? = nil) -> EngineError? {
    guard let open = message.firstRange(of: "open //./pipe/") else { return nil }
    let rest = message[open.upperBound...]
    guard let colon = rest.firstIndex(of: ":") else { return nil }
    let name = String(rest[..<colon])
    guard !name.isEmpty, !name.contains(" ") else { return nil }
    let pipe = "//./pipe/\(name)"
    let text = rest[rest.index(after: colon)...]
    let codes: [(String, WindowsError)] = [
      ("The system cannot find the file specified", .fileNotFound), ("Access is denied", .accessDenied),
      ("All pipe instances are busy", .pipeBusy), ("The semaphore timeout period has expired", .semaphoreTimeout),
    ]
    guard let code = codes.first(where: { text.contains($0.0) })?.1 else { return nil }
    return classify(windowsError: code.rawValue, pipe: pipe, endpoint: endpoint ?? "npipe://\(pipe)")
  }

  /// What an `npipe://` endpoint means on a host without named pipes.
  static func unavailableHere(pipe: String, endpoint: String) -> EngineError {
    EngineError(
      kind: .unsupportedTransport, endpoint: endpoint,
      message: "\(endpoint) is a Windows named pipe; named pipes exist only on Windows, and this host is not",
      recommendation: "Under WSL, use Docker Desktop's WSL integration (unix:///var/run/docker.sock) or unset "
        + "DOCKER_HOST; elsewhere point DOCKER_HOST at a unix:// socket or a tcp:// address")
  }

  private static func pipeName(_ pipe: String) -> String {
    String(pipe.split(separator: "/").last ?? Substring(pipe))
  }

  private static func engineKind(_ name: String) -> String {
    name.lowercased().contains("windows") ? "Windows" : "Linux"
  }
}
