import JSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a devcontainer.json asks of the host, read as the Dev Containers tools read it: JSON with comments,
/// `${localEnv:…}` and `${localWorkspaceFolder}` substituted, paths relative to the file's folder made absolute.
public struct DevContainerConfiguration: Sendable, Hashable {
  /// A bind mount's source on the host, and where it came from (`mounts`, `workspaceMount`, `runArgs`).
  public struct BindMount: Sendable, Hashable {
    public var source: String
    public var target: String?
    public var origin: String
  }

  /// `hostRequirements`.
  public struct HostRequirements: Sendable, Hashable {
    public var cpus: Int?
    /// Bytes.
    public var memory: Int64?
    /// Bytes.
    public var storage: Int64?
    /// `true`, `"optional"` (then a missing GPU only warns), or absent.
    public var gpu: GPU?
    public enum GPU: String, Sendable, Hashable { case required, optional }
  }

  /// The devcontainer.json read.
  public var file: String
  /// The folder `${localWorkspaceFolder}` names.
  public var workspaceFolder: String
  public var image: String?
  /// `build.dockerfile` (or the older `dockerFile`), absolute.
  public var dockerfile: String?
  /// `build.context`, absolute (the Dockerfile's folder's `.` by default: the file's folder).
  public var buildContext: String?
  /// `dockerComposeFile`, absolute, in order.
  public var composeFiles: [String] = []
  public var service: String?
  /// `runServices`: the Compose services `up` starts besides `service`; `nil` for all of them.
  public var runServices: [String]?
  public var runArgs: [String] = []
  public var ports: [PublishedPort] = []
  public var bindMounts: [BindMount] = []
  public var hostRequirements = HostRequirements()
  /// The Features' references (`ghcr.io/devcontainers/features/node:1`), sorted.
  public var features: [String] = []
  /// The parsed document, substituted, for what the model does not name.
  public var document: JSONValue

  /// `.devcontainer/devcontainer.json`, else `.devcontainer.json`, under `workspace`: where the tools look.
  public static func locate(in workspace: String) throws(DevContainerError) -> String {
    let candidates = ["\(workspace)/.devcontainer/devcontainer.json", "\(workspace)/.devcontainer.json"]
    guard let found = candidates.first(where: { access($0, F_OK) == 0 }) else { throw .notFound(searched: candidates) }
    return found
  }

  /// Reads `path`; `workspaceFolder` is the project's folder (by default the one holding `.devcontainer/`, or the
  /// file's own folder for `.devcontainer.json`).
  public static func load(
    _ path: String, workspaceFolder: String? = nil, environment: [String: String]
  ) throws(DevContainerError) -> DevContainerConfiguration {
    let bytes: [UInt8]
    do {
      bytes = try readWhole(path)
    } catch {
      throw .unreadable(path: path, reason: error.reason)
    }
    let parsed: JSONValue
    do {
      parsed = try JSONWithComments.parse(bytes)
    } catch {
      switch error {
      case .invalid(let reason, let line, let column, _):
        throw .malformed(path: path, line: line, column: tokenStart(column: column, reason: reason), reason: reason)
      default: throw .malformed(path: path, line: 1, column: 1, reason: error.description)
      }
    }
    guard parsed.objectValue != nil else {
      throw .malformed(path: path, line: 1, column: 1, reason: "expected a JSON object, found \(parsed.typeName)")
    }
    let folder = directory(of: path)
    let workspace = workspaceFolder ?? (folder.hasSuffix("/.devcontainer") ? directory(of: folder) : folder)
    let substitution = VariableSubstitution(environment: environment, workspaceFolder: workspace)
    var configuration = DevContainerConfiguration(
      file: path, workspaceFolder: workspace, document: substitution.apply(to: parsed))
    try configuration.readModel(relativeTo: folder)
    return configuration
  }

  private mutating func readModel(relativeTo folder: String) throws(DevContainerError) {
    let fields = Fields(document: document, path: file)
    image = try fields.string("image")
    if let build = try fields.object("build") {
      let buildFields = Fields(document: build, path: file, prefix: "build.")
      if let dockerfile = try buildFields.string("dockerfile") {
        let context = absolute(try buildFields.string("context") ?? ".", in: folder)
        buildContext = context
        self.dockerfile = absolute(dockerfile, in: folder)
      }
    }
    if dockerfile == nil, let legacy = try fields.string("dockerFile") {
      dockerfile = absolute(legacy, in: folder)
      buildContext = absolute(try fields.string("context") ?? ".", in: folder)
    }
    composeFiles = try fields.strings("dockerComposeFile").map { absolute($0, in: folder) }
    service = try fields.string("service")
    if document["runServices"] != nil { runServices = try fields.strings("runServices") }
    runArgs = try fields.strings("runArgs")
    ports = try fields.ports("appPort") + RunArguments(runArgs).publishedPorts
    bindMounts = try fields.mounts("mounts")
    if let workspaceMount = try fields.string("workspaceMount"),
      let mount = BindMount(mountSpecification: workspaceMount, origin: "workspaceMount")
    {
      bindMounts.append(mount)
    }
    bindMounts += RunArguments(runArgs).bindMounts
    hostRequirements = try fields.hostRequirements()
    features = (try fields.object("features")?.objectValue?.keys.map { $0 } ?? []).sorted()
  }

  /// jansson's column is where the offending token ends (`'}' expected near '"name"'`); editors and the reference
  /// CLI point at where it starts.
  static func tokenStart(column: Int, reason: String) -> Int {
    guard let near = reason.firstRange(of: "near '"), reason.hasSuffix("'") else { return column }
    let token = reason[near.upperBound...].dropLast()
    return max(1, column - token.count + 1)
  }

  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  private func absolute(_ path: String, in folder: String) -> String {
    path.hasPrefix("/") ? path : "\(folder)/\(path)"
  }

  static func readWhole(_ path: String) throws(FileReadError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileReadError(errno: errno) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw FileReadError(errno: errno)
      }
      if count == 0 { return bytes }
      bytes += chunk[..<count]
      // A devcontainer.json or Compose file is a few KiB; refuse what cannot be one.
      if bytes.count > 4 << 20 { throw FileReadError(errno: EFBIG) }
    }
  }
}

struct FileReadError: Error {
  let errno: Int32
  var reason: String { String(cString: strerror(errno)) }
}
