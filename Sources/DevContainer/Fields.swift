import JSON

/// The keys of a devcontainer.json object, read with the type each must have; a wrong one names the file and key.
struct Fields {
  let document: JSONValue
  let path: String
  var prefix = ""

  private func fail(_ key: String, _ expected: String) -> DevContainerError {
    .invalidValue(path: path, key: prefix + key, expected: expected)
  }

  func string(_ key: String) throws(DevContainerError) -> String? {
    guard let value = document[key], value != .null else { return nil }
    guard let text = value.stringValue else { throw fail(key, "a string") }
    return text
  }

  func object(_ key: String) throws(DevContainerError) -> JSONValue? {
    guard let value = document[key], value != .null else { return nil }
    guard value.objectValue != nil else { throw fail(key, "an object") }
    return value
  }

  /// A string or an array of strings (`dockerComposeFile`), or an array of strings (`runArgs`).
  func strings(_ key: String) throws(DevContainerError) -> [String] {
    guard let value = document[key], value != .null else { return [] }
    if let text = value.stringValue { return [text] }
    guard let items = value.arrayValue else { throw fail(key, "a string or an array of strings") }
    var strings: [String] = []
    for item in items {
      guard let text = item.stringValue else { throw fail(key, "a string or an array of strings") }
      strings.append(text)
    }
    return strings
  }

  /// `appPort`: a number or a number in a string (the same port on both sides), a `-p` string (`"8000:8010"`), or an
  /// array of these.
  func ports(_ key: String) throws(DevContainerError) -> [DevContainerConfiguration.PublishedPort] {
    guard let value = document[key], value != .null else { return [] }
    let items = value.arrayValue ?? [value]
    var ports: [DevContainerConfiguration.PublishedPort] = []
    for item in items {
      if let number = item.intValue, (1...65535).contains(number) {
        ports.append(.init(address: nil, port: Int(number), origin: key))
      } else if let text = item.stringValue, let number = Int(text), (1...65535).contains(number) {
        ports.append(.init(address: nil, port: number, origin: key))
      } else if let text = item.stringValue {
        ports += DevContainerConfiguration.PublishedPort.parse(text, origin: key)
      } else {
        throw fail(key, "a port number, a \"host:container\" string, or an array of these")
      }
    }
    return ports
  }

  /// `mounts`: `docker run --mount` strings or `{type, source, target}` objects; the bind mounts among them.
  func mounts(_ key: String) throws(DevContainerError) -> [DevContainerConfiguration.BindMount] {
    guard let value = document[key], value != .null else { return [] }
    guard let items = value.arrayValue else { throw fail(key, "an array of mounts") }
    var mounts: [DevContainerConfiguration.BindMount] = []
    for item in items {
      if let text = item.stringValue {
        if let mount = DevContainerConfiguration.BindMount(mountSpecification: text, origin: key) {
          mounts.append(mount)
        }
      } else if item.objectValue != nil {
        guard item["type"]?.stringValue == "bind", let source = item["source"]?.stringValue else { continue }
        mounts.append(.init(source: source, target: item["target"]?.stringValue, origin: key))
      } else {
        throw fail(key, "an array of mount strings or objects")
      }
    }
    return mounts
  }

  func hostRequirements() throws(DevContainerError) -> DevContainerConfiguration.HostRequirements {
    var requirements = DevContainerConfiguration.HostRequirements()
    guard let value = try object("hostRequirements") else { return requirements }
    let key = "hostRequirements"
    if let cpus = value["cpus"], cpus != .null {
      guard let count = cpus.intValue, count > 0 else { throw fail("\(key).cpus", "a whole number of CPUs") }
      requirements.cpus = Int(count)
    }
    for (name, keyPath) in [("memory", \DevContainerConfiguration.HostRequirements.memory), ("storage", \.storage)] {
      guard let size = value[name], size != .null else { continue }
      guard let text = size.stringValue, let bytes = ByteSize.parse(text) else {
        throw fail("\(key).\(name)", "a size such as \"4gb\" or \"512mb\"")
      }
      requirements[keyPath: keyPath] = bytes
    }
    switch value["gpu"] {
    case .bool(true)?, .object?: requirements.gpu = .required
    case .string("optional")?: requirements.gpu = .optional
    case .bool(false)?, nil, .null?: break
    default: throw fail("\(key).gpu", "true, false, \"optional\" or an object")
    }
    return requirements
  }
}

/// Sizes as devcontainer.json writes them: `4gb`, `512mb`, `1tb`, `1024kb` (powers of 1024).
enum ByteSize {
  static func parse(_ text: String) -> Int64? {
    let lower = text.lowercased().filter { !$0.isWhitespace }
    let units: [(String, Int64)] = [("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("b", 1)]
    for (suffix, factor) in units where lower.hasSuffix(suffix) {
      return Double(lower.dropLast(suffix.count)).map { Int64($0 * Double(factor)) }
    }
    return Int64(lower)
  }
}
