import EngineKit
import JSON

/// The engine process last seen serving an endpoint, kept in the state directory: after a crash the process is
/// gone, but its command line still says which pidfile and exec root it left behind, and its parent whether
/// something supervises it.
public struct EngineRecord: Sendable, Hashable {
  public var pid: Int
  public var parentPid: Int
  public var name: String
  public var arguments: [String]

  public init(_ process: EngineProcess) {
    pid = process.pid
    parentPid = process.status.parentPid
    name = process.name
    arguments = process.arguments
  }

  init(pid: Int, parentPid: Int, name: String, arguments: [String]) {
    self.pid = pid
    self.parentPid = parentPid
    self.name = name
    self.arguments = arguments
  }

  /// dockerd's pidfile and exec root, for a dockerd.
  public var dockerdFiles: DockerdFiles? { name == "dockerd" ? DockerdFiles(arguments: arguments) : nil }

  /// Where the record of the engine at `host` is kept.
  static func path(for host: String, in stateDirectory: String) -> String {
    "\(stateDirectory)/engines/\(SHA256Digest.hex(of: host).prefix(16)).json"
  }

  static func load(for host: String, in stateDirectory: String) -> EngineRecord? {
    guard case .success(let bytes) = readFile(path(for: host, in: stateDirectory), limit: 256 << 10),
      let value = try? JSONValue.parse(bytes), let pid = value["pid"]?.intValue,
      let parentPid = value["parentPid"]?.intValue, let name = value["name"]?.stringValue,
      let arguments = value["arguments"]?.arrayValue?.compactMap(\.stringValue)
    else { return nil }
    return EngineRecord(pid: Int(pid), parentPid: Int(parentPid), name: name, arguments: arguments)
  }

  /// Remembers it; failing to is not an error (the record only helps the next heal).
  func save(for host: String, in stateDirectory: String) {
    let file = Self.path(for: host, in: stateDirectory)
    guard (try? makePrivateDirectory(String(file[..<file.lastIndex(of: "/")!]))) != nil else { return }
    let value: JSONValue = [
      "host": .string(host), "pid": .int(Int64(pid)), "parentPid": .int(Int64(parentPid)), "name": .string(name),
      "arguments": .array(arguments.map(JSONValue.string)),
    ]
    replaceFile(file, with: value.serialized())
  }
}
