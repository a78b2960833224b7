import JSON
import NIOHTTP1

/// `GET /info`, the fields detection and the checks use.
///
/// Every field is optional and read leniently: Podman leaves some out or sends `null`, older engines lack newer
/// ones, and a field of an unexpected type is dropped rather than failing the whole answer.
public struct SystemInfo: Sendable, Hashable, Decodable {
  public var id: String?
  /// The engine host's name: `docker-desktop`, `colima`, `lima-default`, `orbstack`, a hostname.
  public var name: String?
  public var serverVersion: String?
  /// `Docker Desktop`, `OrbStack`, `Debian GNU/Linux 12 (bookworm)`, `debian` (Podman).
  public var operatingSystem: String?
  public var osVersion: String?
  /// `linux` or `windows`.
  public var osType: String?
  public var architecture: String?
  public var kernelVersion: String?
  public var ncpu: Int?
  /// Bytes.
  public var memTotal: Int64?
  public var containers: Int?
  public var containersRunning: Int?
  public var containersPaused: Int?
  public var containersStopped: Int?
  public var images: Int?
  /// The storage driver: `overlay2`, `vfs`, …
  public var driver: String?
  /// The engine's data root, in the engine's own file system.
  public var dockerRootDir: String?
  /// `name=seccomp,profile=builtin`, `name=rootless`, `name=cgroupns`, …
  public var securityOptions: [String]
  public var cgroupDriver: String?
  public var cgroupVersion: String?
  public var loggingDriver: String?
  public var experimentalBuild: Bool?
  public var labels: [String]
  /// The OCI runtimes the engine can run (`runc`, `nvidia`, …).
  public var runtimes: [String]
  /// The proxy the engine pulls through (`HttpsProxy`), when it has one.
  public var httpsProxy: String?

  public init(json: JSONValue) {
    func string(_ key: String) -> String? { json[key]?.stringValue }
    func int(_ key: String) -> Int? { json[key]?.intValue.flatMap { Int(exactly: $0) } }
    func strings(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    id = string("ID")
    name = string("Name")
    serverVersion = string("ServerVersion")
    operatingSystem = string("OperatingSystem")
    osVersion = string("OSVersion")
    osType = string("OSType")
    architecture = string("Architecture")
    kernelVersion = string("KernelVersion")
    ncpu = int("NCPU")
    memTotal = json["MemTotal"]?.intValue
    containers = int("Containers")
    containersRunning = int("ContainersRunning")
    containersPaused = int("ContainersPaused")
    containersStopped = int("ContainersStopped")
    images = int("Images")
    driver = string("Driver")
    dockerRootDir = string("DockerRootDir")
    securityOptions = strings("SecurityOptions")
    cgroupDriver = string("CgroupDriver")
    cgroupVersion = string("CgroupVersion")
    loggingDriver = string("LoggingDriver")
    experimentalBuild = json["ExperimentalBuild"]?.boolValue
    labels = strings("Labels")
    runtimes = json["Runtimes"]?.objectValue.map { $0.keys.sorted() } ?? []
    httpsProxy = string("HttpsProxy").flatMap { $0.isEmpty ? nil : $0 }
  }

  public init(from decoder: any Decoder) throws {
    let json = try decoder.singleValueContainer().decode(JSONValue.self)
    guard case .object = json else {
      throw DecodingError.typeMismatch(
        JSONObject.self, .init(codingPath: decoder.codingPath, debugDescription: "/info is not an object"))
    }
    self.init(json: json)
  }

  /// The `name=` part of each security option: `seccomp`, `apparmor`, `rootless`, `cgroupns`, `selinux`, `userns`.
  public var securityOptionNames: [String] {
    securityOptions.compactMap { option in
      option.split(separator: ",").first { $0.hasPrefix("name=") }.map { String($0.dropFirst("name=".count)) }
    }
  }

  /// The daemon runs without root (`name=rootless`).
  public var isRootless: Bool { securityOptionNames.contains("rootless") }
}

extension EngineSession {
  /// `GET /info`; a 5xx is "still starting", an answer that is not a JSON object "not an engine".
  public func info() async throws -> SystemInfo {
    try decode(try await send(Self.infoRequest), call: "/info") { json throws in
      guard case .object = json else { throw IncompleteEngineAnswer(missing: "an object") }
      return SystemInfo(json: json)
    }
  }
}
