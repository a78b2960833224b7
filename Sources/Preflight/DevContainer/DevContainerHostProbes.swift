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

/// The services a Compose file defines: the keys of its top-level `services:` mapping, read line by line (enough for
/// the block style Compose files are written in; a service named only in flow style is not seen).
enum ComposeServices {
  static func names(in text: String) -> Set<String> {
    var names: Set<String> = []
    var inServices = false
    var indent: Int?
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
      guard !line.trimmingWhitespace.isEmpty else { continue }
      let leading = line.prefix { $0 == " " }.count
      if leading == 0 {
        inServices = line.hasPrefix("services:")
        indent = nil
        continue
      }
      guard inServices else { continue }
      if indent == nil { indent = leading }
      guard leading == indent, let colon = line.firstIndex(of: ":") else { continue }
      var name = String(line[..<colon]).trimmingWhitespace
      if name.count >= 2, let quote = name.first, ["\"", "'"].contains(quote), name.last == quote {
        name = String(name.dropFirst().dropLast())
      }
      names.insert(name)
    }
    return names
  }
}

/// Whether a host port can be published: a bind to it, released at once.
enum PortProbe {
  /// `nil` when the port is free; else why not (`Address already in use`).
  static func bind(port: Int, address: String?) -> String? {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(address ?? "0.0.0.0", String(port), &hints, &list) == 0, let entry = list else {
      return "\(address ?? "0.0.0.0") is not an address of this machine"
    }
    defer { freeaddrinfo(list) }
    let descriptor = socket(entry.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return String(cString: strerror(errno)) }
    defer { close(descriptor) }
    guard Glibc.bind(descriptor, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 else {
      return "\(address ?? "0.0.0.0"):\(port): \(String(cString: strerror(errno)))"
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
