/// The Compose files a devcontainer.json names (`dockerComposeFile`), read as YAML and merged as `docker compose -f a
/// -f b` merges them, for what a preflight needs: the services, the host ports each publishes, what each depends on.
/// Services merge by name; a later file adds ports and dependencies to a service (`!override` or `!reset` on the
/// sequence replaces them). `extends` and `include` are not followed.
public struct ComposeProject: Sendable, Hashable {
  public struct Service: Sendable, Hashable {
    public var name: String
    /// The host ports it publishes (`ports:`, short and long syntax), interpolated; each names its file and service.
    public var ports: [DevContainerConfiguration.PublishedPort] = []
    /// `depends_on`: what `up` starts with it.
    public var dependencies: [String] = []
    /// `profiles`: a service with any is started only when named, or when `COMPOSE_PROFILES` enables one.
    public var profiles: [String] = []
  }

  public var files: [String]
  /// In the order they first appear.
  public var services: [Service] = []

  public var serviceNames: [String] { services.map(\.name) }

  public subscript(service name: String) -> Service? { services.first { $0.name == name } }

  /// Reads and merges `files`; interpolation from `environment` over the `.env` beside the first file. The first
  /// problem is thrown: a file that cannot be read (`unreadable`), is not YAML (`malformed`, with line and column),
  /// or is not shaped as a Compose file (`malformed` at the offending node).
  public static func load(_ files: [String], environment: [String: String]) throws(DevContainerError)
    -> ComposeProject
  {
    let folder = files.first.map(DevContainerConfiguration.directory(of:)) ?? "."
    let interpolation = ComposeInterpolation(environment: environment, folder: folder)
    var project = ComposeProject(files: files)
    for file in files {
      let bytes: [UInt8]
      do {
        bytes = try DevContainerConfiguration.readWhole(file)
      } catch {
        throw .unreadable(path: file, reason: error.reason)
      }
      guard let document = try YAMLLoader.load(bytes, path: file), !document.isNull else { continue }
      let reader = ComposeFileReader(path: file, interpolation: interpolation)
      try project.merge(reader.services(of: document))
    }
    return project
  }

  private mutating func merge(_ definitions: [ComposeFileReader.Definition]) {
    for definition in definitions {
      let addition = definition.service
      guard let index = services.firstIndex(where: { $0.name == addition.name }) else {
        services.append(addition)
        continue
      }
      var service = services[index]
      if definition.replacesPorts { service.ports = [] }
      // The same host port twice (in both files) is one binding.
      for port in addition.ports
      where !service.ports.contains(where: {
        ($0.address, $0.port, $0.transport) == (port.address, port.port, port.transport)
      }) {
        service.ports.append(port)
      }
      if definition.replacesDependencies { service.dependencies = [] }
      for dependency in addition.dependencies where !service.dependencies.contains(dependency) {
        service.dependencies.append(dependency)
      }
      if !addition.profiles.isEmpty { service.profiles = addition.profiles }
      services[index] = service
    }
  }

  /// The services `up` starts for a Dev Container: `service` and `runServices` when it is given, else every service
  /// (those with profiles only when `COMPOSE_PROFILES` enables one); with what they depend on, transitively.
  public func started(service: String?, runServices: [String]?, environment: [String: String] = [:]) -> [Service] {
    var wanted: [String]
    if let runServices {
      wanted = runServices + (service.map { [$0] } ?? [])
    } else {
      let enabled = Set((environment["COMPOSE_PROFILES"] ?? "").split(separator: ",").map(String.init))
      wanted = services.filter { $0.profiles.isEmpty || !enabled.isDisjoint(with: $0.profiles) }.map(\.name)
      if let service, !wanted.contains(service) { wanted.append(service) }
    }
    var seen: Set<String> = []
    var order: [Service] = []
    while let name = wanted.first {
      wanted.removeFirst()
      guard seen.insert(name).inserted, let found = self[service: name] else { continue }
      order.append(found)
      wanted += found.dependencies
    }
    return order
  }
}

/// One Compose file's `services`, with the shape each part must have.
struct ComposeFileReader {
  let path: String
  let interpolation: ComposeInterpolation

  private func invalid(_ node: YAMLNode, _ reason: String) -> DevContainerError {
    .malformed(path: path, line: node.line, column: node.column, reason: reason)
  }

  /// A service as one file defines it; `!override` or `!reset` on its sequences replaces what earlier files said.
  struct Definition {
    var service: ComposeProject.Service
    var replacesPorts = false
    var replacesDependencies = false
  }

  typealias Port = DevContainerConfiguration.PublishedPort

  func services(of document: YAMLNode) throws(DevContainerError) -> [Definition] {
    guard document.entries != nil else {
      throw invalid(document, "a Compose file is a mapping (services:, volumes:, …), not \(document.kindName)")
    }
    guard let services = document["services"], !services.isNull else { return [] }
    guard let entries = services.entries else {
      throw invalid(services, "services must be a mapping of service names, not \(services.kindName)")
    }
    var result: [Definition] = []
    for entry in entries {
      var service = ComposeProject.Service(name: entry.key)
      let definition = entry.value
      guard definition.isNull || definition.entries != nil else {
        throw invalid(definition, "service \"\(entry.key)\" must be a mapping, not \(definition.kindName)")
      }
      let ports = definition["ports"]
      let origin = "service \"\(entry.key)\" in \(path)"
      if let ports, !ports.isNull, ports.sequence == nil {
        throw invalid(ports, "ports of service \"\(entry.key)\" must be a sequence, not \(ports.kindName)")
      }
      for item in ports?.sequence ?? [] {
        service.ports += try publishedPorts(item, origin: origin)
      }
      let dependsOn = definition["depends_on"]
      service.dependencies =
        dependsOn?.entries?.map(\.key) ?? dependsOn?.sequence?.compactMap { $0.scalar } ?? []
      service.profiles = definition["profiles"]?.sequence?.compactMap { $0.scalar } ?? []
      let replaces = { (node: YAMLNode?) in node?.tag == "!override" || node?.tag == "!reset" }
      result.append(
        Definition(service: service, replacesPorts: replaces(ports), replacesDependencies: replaces(dependsOn)))
    }
    return result
  }

  /// A `ports:` item: the short syntax (`"127.0.0.1:8080:80/udp"`) or the long (`published`, `host_ip`,
  /// `protocol`), interpolated.
  private func publishedPorts(_ item: YAMLNode, origin: String) throws(DevContainerError) -> [Port] {
    if let text = item.scalar {
      return Port.parse(try interpolate(text, at: item), origin: origin)
    }
    guard item.entries != nil else {
      throw invalid(item, "a port is a string such as \"8080:80\" or a mapping with target and published")
    }
    func field(_ key: String) throws(DevContainerError) -> String? {
      guard let node = item[key], let text = node.scalar else { return nil }
      let value = try interpolate(text, at: node)
      return value.isEmpty ? nil : value
    }
    // Without `published`, the engine picks the host port: nothing to try.
    guard let published = try field("published"), let range = PortRange(published), range.count == 1 else {
      return []
    }
    let transport: Port.Transport
    switch try field("protocol")?.lowercased() ?? "tcp" {
    case "tcp": transport = .tcp
    case "udp": transport = .udp
    default: return []
    }
    return [.init(address: try field("host_ip"), port: range.ports.lowerBound, transport: transport, origin: origin)]
  }

  private func interpolate(_ text: String, at node: YAMLNode) throws(DevContainerError) -> String {
    do {
      return try interpolation.apply(text)
    } catch {
      throw invalid(node, error.message)
    }
  }
}
