/// Why an engine could not be used, classified from the OS error or the HTTP exchange (never from message text),
/// with what a person should do next.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Stable identifiers: reports and scripts may branch on them.
  public enum Kind: String, Sendable, CaseIterable {
    case socketMissing = "socket-missing"
    case connectionRefused = "connection-refused"
    case permissionDenied = "permission-denied"
    case timeout
    case notAnEngine = "not-an-engine"
    case engineStarting = "engine-starting"
    case tlsFailure = "tls-failure"
    case apiTooOld = "api-too-old"
    case pipeMissing = "pipe-missing"
    case sshFailure = "ssh-failure"
    /// The ssh server refused our credentials.
    case sshAuthFailed = "ssh-auth-failed"
    /// ssh logged in, but the remote host has no `docker` command to run `system dial-stdio`.
    case remoteDockerMissing = "remote-docker-missing"
    case hostUnreachable = "host-unreachable"
    case unsupportedTransport = "unsupported-transport"
    case protocolError = "protocol-error"
    /// The engine answered a call with an error (the container could not be created, …).
    case requestFailed = "request-failed"
    /// The caller gave up (the task was cancelled) before the engine answered.
    case cancelled
  }

  public var kind: Kind
  /// The endpoint as the person wrote it.
  public var endpoint: String
  /// What went wrong, naming the endpoint.
  public var message: String
  /// What to do about it.
  public var recommendation: String
  /// The OS error number behind it, when there was one.
  public var errno: Int32?

  public init(kind: Kind, endpoint: String, message: String, recommendation: String, errno: Int32? = nil) {
    self.kind = kind
    self.endpoint = endpoint
    self.message = message
    self.recommendation = recommendation
    self.errno = errno
  }

  public var code: String { kind.rawValue }
  public var description: String { message }
}
