import COpenSSL
import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whether a registry can be reached from here the way the engine will pull: its name resolves, a TCP connection
/// opens (through `HTTPS_PROXY` when one is set), and a TLS handshake completes with a certificate the system's
/// trust store (or `SSL_CERT_FILE`) accepts for that name. A certificate from an issuer that is not trusted is most
/// often a company proxy intercepting TLS: reported as such, with the issuer named.
public struct RegistryProbe: Sendable {
  public enum Outcome: Error, Sendable, Hashable {
    case reachable(issuer: String)
    case nameNotResolved(String)
    case unreachable(String)
    case tlsFailed(String)
    /// The handshake completed, but the certificate does not verify: `issuer` signed it.
    case untrustedCertificate(issuer: String, reason: String)
  }

  public var host: String
  public var port: Int
  /// `http://proxy:3128`: the proxy to CONNECT through.
  public var proxy: String?
  public var timeout: Duration

  public init(host: String, port: Int = 443, proxy: String? = nil, timeout: Duration = .seconds(5)) {
    self.host = host
    self.port = port
    self.proxy = proxy
    self.timeout = timeout
  }

  /// Runs the probe on a thread of its own (it blocks, each step bounded by the timeout).
  public func run() async -> Outcome {
    let probe = self
    return await withCheckedContinuation { continuation in
      DispatchQueue.global().async { continuation.resume(returning: probe.runBlocking()) }
    }
  }

  private var timeoutMilliseconds: Int32 {
    Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
  }

  func runBlocking() -> Outcome {
    let target = proxyAddress ?? (host, port)
    let descriptor: Int32
    switch connect(to: target.0, port: target.1) {
    case .success(let opened): descriptor = opened
    case .failure(let outcome): return outcome
    }
    defer { close(descriptor) }
    if proxyAddress != nil, let failure = tunnel(descriptor) { return failure }
    return handshake(descriptor)
  }

  /// `HTTPS_PROXY`'s host and port.
  private var proxyAddress: (String, Int)? {
    guard let proxy, !proxy.isEmpty else { return nil }
    var rest = Substring(proxy)
    if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
    if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
    rest = rest.prefix { $0 != "/" }
    guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else {
      return (String(rest), 80)
    }
    return (String(rest[..<colon]), port)
  }

  private func connect(to name: String, port: Int) -> Result<Int32, Outcome> {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    let resolved = getaddrinfo(name, String(port), &hints, &list)
    guard resolved == 0, let first = list else {
      return .failure(.nameNotResolved("\(name): \(String(cString: gai_strerror(resolved)))"))
    }
    defer { freeaddrinfo(list) }
    var lastError = "no address"
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let address = entry {
      entry = address.pointee.ai_next
      let descriptor = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
      guard descriptor >= 0 else { continue }
      let flags = fcntl(descriptor, F_GETFL)
      _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
      var result = Glibc.connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen)
      if result != 0 && errno == EINPROGRESS {
        var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&entry, 1, timeoutMilliseconds)
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        if ready == 0 { error = ETIMEDOUT }
        result = error == 0 ? 0 : -1
        errno = error
      }
      if result == 0 {
        _ = fcntl(descriptor, F_SETFL, flags)
        var bound = timeval(tv_sec: Int(timeoutMilliseconds / 1000), tv_usec: Int(timeoutMilliseconds % 1000) * 1000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &bound, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &bound, socklen_t(MemoryLayout<timeval>.size))
        return .success(descriptor)
      }
      lastError = "\(name):\(port): \(String(cString: strerror(errno)))"
      close(descriptor)
    }
    return .failure(.unreachable(lastError))
  }

  /// `CONNECT host:port` through the proxy; `nil` when it answered 200.
  private func tunnel(_ descriptor: Int32) -> Outcome? {
    let request = Array("CONNECT \(host):\(port) HTTP/1.1\r\nHost: \(host):\(port)\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == request.count else {
      return .unreachable("the proxy \(proxy ?? "") closed the connection")
    }
    var answer: [UInt8] = []
    var byte: UInt8 = 0
    while answer.count < 8192, !answer.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
      guard read(descriptor, &byte, 1) == 1 else { break }
      answer.append(byte)
    }
    let status = String(decoding: answer.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
    return status.split(separator: " ").dropFirst().first == "200"
      ? nil : .unreachable("the proxy \(proxy ?? "") refused CONNECT \(host):\(port): \(status)")
  }

  private func handshake(_ descriptor: Int32) -> Outcome {
    guard let context = SSL_CTX_new(TLS_client_method()) else { return .tlsFailed("OpenSSL could not start") }
    defer { SSL_CTX_free(context) }
    // The system's trust store, or SSL_CERT_FILE / SSL_CERT_DIR as OpenSSL (and so the engine's host) reads them.
    SSL_CTX_set_default_verify_paths(context)
    guard let ssl = SSL_new(context) else { return .tlsFailed("OpenSSL could not start") }
    defer { SSL_free(ssl) }
    _ = copenssl_SSL_set_tlsext_host_name(ssl, host)
    // The name the certificate must carry: an IP address is matched against its IP entries, a name against DNS ones.
    var address = in6_addr()
    if inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1 {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
    } else {
      SSL_set1_host(ssl, host)
    }
    SSL_set_fd(ssl, descriptor)
    // Verified afterwards, so that an untrusted certificate can be named rather than only refused.
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
    guard SSL_connect(ssl) == 1 else {
      let code = ERR_get_error()
      let reason = code == 0 ? String(cString: strerror(errno)) : String(cString: ERR_reason_error_string(code))
      return .tlsFailed("TLS handshake with \(host):\(port) failed: \(reason)")
    }
    var issuer = "an unknown issuer"
    if let certificate = SSL_get1_peer_certificate(ssl) {
      defer { X509_free(certificate) }
      if let name = X509_NAME_oneline(X509_get_issuer_name(certificate), nil, 0) {
        issuer = String(cString: name)
        CRYPTO_free(name, #file, #line)
      }
    }
    let verified = SSL_get_verify_result(ssl)
    guard verified == X509_V_OK else {
      return .untrustedCertificate(issuer: issuer, reason: String(cString: X509_verify_cert_error_string(verified)))
    }
    return .reachable(issuer: issuer)
  }
}
