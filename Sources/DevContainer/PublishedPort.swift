extension DevContainerConfiguration {
  /// A port published on the host, and where it came from (`appPort`, `runArgs`, a Compose service).
  public struct PublishedPort: Sendable, Hashable {
    public enum Transport: String, Sendable, Hashable { case tcp, udp }

    /// The host address it binds, when one is given (`127.0.0.1:8080:80`).
    public var address: String?
    public var port: Int
    public var transport: Transport = .tcp
    public var origin: String

    public init(address: String? = nil, port: Int, transport: Transport = .tcp, origin: String) {
      (self.address, self.port, self.transport, self.origin) = (address, port, transport, origin)
    }

    /// `8080`, `8080/udp`: as the port is named in messages.
    public var name: String { transport == .tcp ? String(port) : "\(port)/\(transport.rawValue)" }

    /// The host ports of `[ip:][hostPort[-end]:]containerPort[-end][/protocol]`, as `docker run -p` and Compose's
    /// short syntax write them. None where the engine picks the host port: a container port alone (`80`), an empty
    /// host port (`127.0.0.1::80`), a host range for one container port (`8000-8010:80`). `sctp` is not tried.
    public static func parse(_ text: String, origin: String) -> [PublishedPort] {
      let pieces = text.split(separator: "/", maxSplits: 1).map(String.init)
      let transport: Transport
      switch pieces.count > 1 ? pieces[1].lowercased() : "tcp" {
      case "tcp": transport = .tcp
      case "udp": transport = .udp
      default: return []
      }
      let mapping = pieces.first ?? ""
      var parts = mapping.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      // IPv6 addresses come bracketed: `[::1]:8080:80`.
      if mapping.hasPrefix("["), let close = mapping.firstIndex(of: "]") {
        let address = String(mapping[mapping.index(after: mapping.startIndex)..<close])
        parts =
          [address]
          + mapping[close...].dropFirst(2).split(separator: ":", omittingEmptySubsequences: false)
          .map(String.init)
      }
      let address: String?
      let hostPart: String
      switch parts.count {
      case 2: (address, hostPart) = (nil, parts[0])
      case 3: (address, hostPart) = (parts[0].isEmpty ? nil : parts[0], parts[1])
      default: return []
      }
      guard let host = PortRange(hostPart), let container = PortRange(parts[parts.count - 1]) else { return [] }
      // A host range publishes each of its ports only when it maps a container range one to one.
      guard host.count == 1 || host.count == container.count else { return [] }
      return host.ports.map { PublishedPort(address: address, port: $0, transport: transport, origin: origin) }
    }
  }
}

/// `8080` or `8080-8081`: ports 1 to 65535, the first not above the last.
struct PortRange {
  let ports: ClosedRange<Int>
  var count: Int { ports.count }

  init?(_ text: String) {
    let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
    guard let first = Int(bounds[0]), let last = bounds.count == 2 ? Int(bounds[1]) : first,
      1 <= first, first <= last, last <= 65535
    else { return nil }
    ports = first...last
  }
}
