import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The docker CLI's plugins (`buildx`, `compose`) as `devcontainer up` will find them: their version, asked of the
/// docker CLI it will run.
struct DockerPlugin {
  var preflight: DevContainerPreflight?
  var timeout: Duration

  struct Version {
    var text: String
    var numbers: [Int]
    func isAtLeast(_ major: Int, _ minor: Int) -> Bool {
      let (have0, have1) = (numbers.first ?? 0, numbers.dropFirst().first ?? 0)
      return have0 > major || (have0 == major && have1 >= minor)
    }
  }

  private var environment: [String: String] { preflight?.environment ?? [:] }

  /// The first `vX.Y.Z` or `X.Y.Z` in what `docker ARGS` prints; `nil` when it fails or prints none.
  func version(_ arguments: [String]) async -> Version? {
    guard let docker = preflight?.dockerCLI,
      let output = await HostCommandRunner(timeout: timeout).run(docker, arguments, environment: environment),
      output.exitCode == 0
    else { return nil }
    let text = String(decoding: output.standardOutput, as: UTF8.self)
    for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }) {
      let trimmed = word.hasPrefix("v") ? word.dropFirst() : word[...]
      let numbers = trimmed.split(separator: "-").first?.split(separator: ".").compactMap { Int($0) } ?? []
      if numbers.count >= 2 { return Version(text: String(word), numbers: numbers) }
    }
    return nil
  }

  /// A standalone program (`docker-compose`) on the PATH `devcontainer up` runs with.
  func standalone(_ name: String) -> String? {
    ExecutableSearch.find(name, in: HostEnvironment(environment: environment).searchPath)
  }
}

/// Whether a host port can be published: a bind to it, released at once.
enum PortProbe {
  /// `nil` when the port is free; else why not (`Address already in use`). `udp` binds a datagram socket.
  static func bind(port: Int, address: String?, udp: Bool = false) -> String? {
    let type = udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
    var hints = addrinfo()
    hints.ai_socktype = type
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(address ?? "0.0.0.0", String(port), &hints, &list) == 0, let entry = list else {
      return "\(address ?? "0.0.0.0") is not an address of this machine"
    }
    defer { freeaddrinfo(list) }
    let descriptor = socket(entry.pointee.ai_family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return String(cString: strerror(errno)) }
    defer { close(descriptor) }
    // As the engine's proxy binds: a port that only lingers in TIME_WAIT is free; one with a listener is not.
    var on: Int32 = 1
    if !udp { setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) }
    guard Glibc.bind(descriptor, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 else {
      return "\(address ?? "0.0.0.0"):\(port)\(udp ? "/udp" : ""): \(String(cString: strerror(errno)))"
    }
    return nil
  }
}

/// The host folders a provider's VM shares with the engine by default; `nil` where the engine sees the host's own
/// file system.
enum SharedFolders {
  static func of(provider: String?, home: String?) -> [String]? {
    switch provider {
    case Provider.dockerDesktop.rawValue?:
      #if os(macOS)
        return ["/Users", "/Volumes", "/private", "/tmp", "/var/folders"]
      #else
        return nil
      #endif
    case Provider.colima.rawValue?, Provider.lima.rawValue?:
      return [home, "/tmp/colima", "/tmp/lima"].compactMap { $0 }
    default:
      return nil
    }
  }
}
