/// What `runArgs` (arguments of `docker run`) publish and mount on the host.
struct RunArguments {
  let arguments: [String]
  init(_ arguments: [String]) { self.arguments = arguments }

  /// The values of `-p`/`--publish`, `-v`/`--volume` or `--mount`, in each of their spellings.
  private func values(of short: String?, _ long: String) -> [String] {
    var values: [String] = []
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if argument == long || argument == short, index < arguments.count {
        values.append(arguments[index])
        index += 1
      } else if argument.hasPrefix(long + "=") {
        values.append(String(argument.dropFirst(long.count + 1)))
      } else if let short, argument.hasPrefix(short), argument.count > short.count, !argument.hasPrefix("--") {
        values.append(String(argument.dropFirst(short.count)).drop { $0 == "=" }.description)
      }
    }
    return values
  }

  var publishedPorts: [DevContainerConfiguration.PublishedPort] {
    values(of: "-p", "--publish").flatMap { DevContainerConfiguration.PublishedPort.parse($0, origin: "runArgs") }
  }

  var bindMounts: [DevContainerConfiguration.BindMount] {
    let volumes = values(of: "-v", "--volume").compactMap { volume -> DevContainerConfiguration.BindMount? in
      let parts = volume.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      // An absolute (or home-relative) source is a bind mount; a bare name is a named volume.
      guard parts.count >= 2, parts[0].hasPrefix("/") else { return nil }
      return .init(source: parts[0], target: parts[1], origin: "runArgs")
    }
    return volumes
      + values(of: nil, "--mount").compactMap {
        DevContainerConfiguration.BindMount(mountSpecification: $0, origin: "runArgs")
      }
  }
}

extension DevContainerConfiguration.BindMount {
  /// A bind mount from a `--mount` string; `nil` for a volume or tmpfs (docker's default type is `volume`).
  init?(mountSpecification text: String, origin: String) {
    var fields: [String: String] = [:]
    for field in text.split(separator: ",") {
      let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
      fields[pair[0]] = pair.count == 2 ? pair[1] : "true"
    }
    guard fields["type"] == "bind", let source = fields["source"] ?? fields["src"] else { return nil }
    self.init(source: source, target: fields["target"] ?? fields["dst"] ?? fields["destination"], origin: origin)
  }
}
