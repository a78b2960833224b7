import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Turns what NIO, OpenSSL, ssh and the OS reported into an ``EngineError`` a person can act on: from error numbers,
/// TLS evidence and exit statuses, not from message text.
struct EngineErrorClassifier {
  let endpoint: Endpoint
  /// The bound on connecting, to say how long we waited.
  let connectTimeout: Duration

  func classify(_ error: any Error, expiredCall: Duration?, cancelled: Bool, ssh: SSHExit?) -> EngineError {
    if let error = error as? EngineError { return error }
    // ssh's exit explains the end of its stdout better than the end itself.
    if let ssh, let failure = SSHFailureClassifier(endpoint: endpoint).classify(ssh) { return failure }
    if let bound = expiredCall {
      return make(
        .timeout, "the engine at \(endpoint.host) did not answer within \(bound.readable)",
        "The daemon may be hung or still starting; check its logs, or wait longer (--timeout)")
    }
    if cancelled {
      return make(.cancelled, "the call to \(endpoint.host) was cancelled", "Nothing to do: it was asked to stop")
    }
    if isConnectTimeout(error) {
      return make(
        .timeout, "connecting to \(endpoint.host) did not complete within \(connectTimeout.readable)",
        "Check that the host is up and that a firewall lets the port through")
    }
    if let error = error as? TLSError { return classify(tls: error) }
    if let errno = osErrno(error) { return classify(errno: errno) }
    switch error {
    case let failure as NamedPipeUnavailable:
      return NamedPipeFailure.unavailableHere(pipe: failure.path, endpoint: endpoint.host)
    case let failure as SSHLaunchFailure:
      return make(
        .sshFailure, "cannot reach \(endpoint.host): \(failure.reason)",
        "Install an OpenSSH client (apt install openssh-client), or use a unix:// or tcp:// endpoint")
    case EngineConnectionFailure.closedMidResponse, ChannelError.ioOnClosedChannel, ChannelError.outputClosed,
      ChannelError.eof:
      return stoppedWhileAnswering()
        ?? make(
          .protocolError, "the engine at \(endpoint.host) closed the connection before it finished answering",
          "The daemon may be restarting; try again, and check its logs if it persists")
    case EngineConnectionFailure.closedAfterAnswer:
      return make(
        .protocolError, "\(endpoint.host) closes the connection after each answer, unlike a container engine",
        "Check that \(endpoint.host) is the engine itself, not a proxy in front of it")
    case EngineConnectionFailure.bodyTooLarge(let limit):
      return make(
        .notAnEngine, "\(endpoint.host) sent a response larger than \(limit) bytes",
        "Check that \(endpoint.host) is a container engine's API")
    case EngineConnectionFailure.headTooLarge(let limit):
      return make(
        .notAnEngine, "\(endpoint.host) sent more than \(limit) bytes without completing an HTTP answer's head",
        "Check that \(endpoint.host) is a container engine's API")
    case HTTPParserError.headerOverflow:
      return make(
        .notAnEngine,
        "\(endpoint.host) answered with more header fields than a container engine sends (more than "
          + "\(EngineConnector.maxHeaderFields), or over 80 KiB)",
        "Check that \(endpoint.host) is a container engine's API")
    case is HTTPParserError:
      return make(
        .notAnEngine, "\(endpoint.host) answers, but not with HTTP: it is not a container engine's API",
        "Point DOCKER_HOST (or the context) at the engine's socket")
    default:
      return make(.protocolError, "cannot talk to \(endpoint.host): \(error)", "Check that the engine is running")
    }
  }

  func classify(errno: Int32) -> EngineError {
    let path: String
    switch endpoint.transport {
    case .unix(let socket): path = socket
    default: path = endpoint.host
    }
    switch errno {
    case ENOENT:
      return make(
        .socketMissing,
        "Cannot connect to the Docker daemon at \(endpoint.host): the socket \(path) does not exist",
        "Start the engine (docker-preflight heal), or point DOCKER_HOST at one that runs", errno: errno)
    case ECONNREFUSED:
      let what =
        if case .unix = endpoint.transport {
          "the socket \(path) exists but nothing is listening (a stale socket)"
        } else {
          "the connection was refused"
        }
      return make(
        .connectionRefused, "Cannot connect to the Docker daemon at \(endpoint.host): \(what)",
        "The daemon is not running; start it (docker-preflight heal)", errno: errno)
    case EACCES, EPERM:
      return make(
        .permissionDenied,
        "Permission denied while connecting to the Docker daemon at \(endpoint.host)",
        "Add your user to the \"docker\" group (sudo usermod -aG docker $USER, then log in again), or use rootless "
          + "Docker",
        errno: errno)
    case EHOSTUNREACH, ENETUNREACH, EHOSTDOWN:
      return make(
        .hostUnreachable, "The host of \(endpoint.host) cannot be reached",
        "Check the network and the address in DOCKER_HOST or the context", errno: errno)
    case ETIMEDOUT:
      return make(
        .timeout, "Connecting to \(endpoint.host) timed out",
        "Check that the host is up and that a firewall lets the port through", errno: errno)
    case ENOTSOCK:
      return make(
        .notAnEngine, "\(path) is not a socket",
        "Point DOCKER_HOST at the engine's socket", errno: errno)
    case ECONNRESET, EPIPE:
      return stoppedWhileAnswering()
        ?? make(
          .protocolError, "the engine at \(endpoint.host) dropped the connection before answering",
          "The daemon may be restarting or overloaded; try again, and check its logs if it persists", errno: errno)
    default:
      return make(
        .protocolError, "Cannot connect to \(endpoint.host): \(String(cString: strerror(errno)))",
        "Check that the engine is running", errno: errno)
    }
  }

  /// A connection dropped mid-answer on a unix socket that nobody listens on any more: the daemon stopped (was
  /// killed, crashed) while it answered. Asked of the socket at once (a non-blocking connect), so that the report says
  /// what a person would find, not only what the lost connection showed.
  func stoppedWhileAnswering() -> EngineError? {
    guard case .unix(let path) = endpoint.transport else { return nil }
    switch SocketProbe.state(of: path) {
    case .stale:
      return make(
        .connectionRefused,
        "the engine at \(endpoint.host) stopped while answering: the socket \(path) exists but nothing is listening "
          + "any more", "The daemon exited or was killed; check its logs, and start it again (docker-preflight heal)",
        errno: ECONNREFUSED)
    case .missing:
      return make(
        .socketMissing,
        "the engine at \(endpoint.host) stopped while answering: the socket \(path) is gone",
        "The daemon exited; check its logs, and start it again (docker-preflight heal)", errno: ENOENT)
    default:
      return nil
    }
  }

  /// Which side of the TLS exchange failed, and what to do about it.
  func classify(tls error: TLSError) -> EngineError {
    let material =
      switch endpoint.source {
      case .context(let name): "the TLS files of context \(name) (docker context inspect \(name))"
      default: "DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)"
      }
    switch error {
    case .unreadableFile, .invalidMaterial:
      return make(
        .tlsFailure, "cannot use the TLS material for \(endpoint.host): \(error)",
        "Fix or replace the file named, in \(material): the CA as PEM, the client certificate and its unencrypted key")
    case .serverCertificateRejected(let reason):
      return make(
        .tlsFailure, "we rejected the certificate of the engine at \(endpoint.host): \(reason)",
        "Trust the CA that issued the daemon's certificate (ca.pem in \(material)), and check that the address "
          + "is a name or IP the certificate was issued for")
    case .clientCertificateRejected(let reason):
      return make(
        .tlsFailure, "the engine at \(endpoint.host) rejected our client certificate: \(reason)",
        "Use a client certificate (cert.pem and key.pem in \(material)) signed by the CA the daemon trusts "
          + "(its --tlscacert)")
    case .handshakeFailed(let reason):
      return make(
        .tlsFailure, "the TLS handshake with \(endpoint.host) failed: \(reason)",
        "Check that \(endpoint.host) serves the Docker API over TLS (dockerd --tlsverify); for a plain tcp:// "
          + "engine unset DOCKER_TLS_VERIFY")
    case .connectionClosedDuringHandshake:
      return make(
        .tlsFailure, "\(endpoint.host) closed the connection during the TLS handshake",
        "Check that \(endpoint.host) serves the Docker API over TLS, and the daemon's logs for the reason")
    }
  }

  private func osErrno(_ error: any Error) -> Int32? {
    switch error {
    case let error as IOError: return error.errnoCode
    case let error as NIOConnectionError:
      for failure in error.connectionErrors {
        if let errno = osErrno(failure.error) { return errno }
      }
      return error.dnsAError.flatMap(osErrno) ?? error.dnsAAAAError.flatMap(osErrno)
    default: return nil
    }
  }

  private func isConnectTimeout(_ error: any Error) -> Bool {
    if case ChannelError.connectTimeout = error { return true }
    if let error = error as? NIOConnectionError {
      return error.connectionErrors.contains { isConnectTimeout($0.error) }
    }
    return false
  }

  private func make(_ kind: EngineError.Kind, _ message: String, _ recommendation: String, errno: Int32? = nil)
    -> EngineError
  {
    EngineError(kind: kind, endpoint: endpoint.host, message: message, recommendation: recommendation, errno: errno)
  }
}

extension Duration {
  /// `2 s`, `750 ms`.
  public var readable: String {
    let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
  }
}
