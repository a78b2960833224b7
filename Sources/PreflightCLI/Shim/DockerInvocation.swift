/// What a docker command line says about the engine it will talk to, read as the docker CLI reads its global options
/// (`docker [OPTIONS] COMMAND [ARG...]`, cobra with pflag, options only before the command), without changing it.
struct DockerInvocation: Equatable {
  var host: String?
  var context: String?
  /// `--config DIR`: where the CLI reads `config.json` and its contexts.
  var configDirectory: String?
  var tls = false
  var tlsVerify = false
  var caCertificate: String?
  var certificate: String?
  var key: String?
  /// `-v`/`--version` or `-h`/`--help` among the global options.
  var asksVersionOrHelp = false
  /// The global options could not all be read (an unknown one, a value missing): docker will say what is wrong
  /// without asking the engine.
  var malformed = false
  /// The command and its arguments, after the global options.
  var command: [String] = []

  init(arguments: [String]) {
    var index = 0
    parsing: while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if argument == "--" { break }
      if argument.hasPrefix("--") {
        let body = argument.dropFirst(2)
        let name = String(body.prefix { $0 != "=" })
        let attached: String? = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
        if Self.valueOptions.contains(name) {
          guard let value = attached ?? (index < arguments.count ? arguments[index] : nil) else {
            malformed = true
            break
          }
          if attached == nil { index += 1 }
          set(name, value)
        } else if Self.booleanOptions.contains(name) {
          setFlag(name, attached.map { $0 != "false" && $0 != "0" } ?? true)
        } else {
          malformed = true
          break
        }
      } else if argument.hasPrefix("-") && argument.count > 1 {
        // Shorthands may be combined (`-Dv`); one that takes a value takes the rest of the word (`-Hunix://…`,
        // `-H=unix://…`) or the next argument.
        var letters = Substring(argument.dropFirst())
        while let letter = letters.first {
          letters = letters.dropFirst()
          if let name = Self.valueShorthands[letter] {
            let rest = letters.hasPrefix("=") ? letters.dropFirst() : letters
            if !rest.isEmpty {
              set(name, String(rest))
            } else if index < arguments.count {
              set(name, arguments[index])
              index += 1
            } else {
              malformed = true
              break parsing
            }
            continue parsing
          } else if let name = Self.booleanShorthands[letter] {
            setFlag(name, true)
          } else {
            malformed = true
            break parsing
          }
        }
      } else {
        index -= 1
        break
      }
    }
    command = Array(arguments[min(index, arguments.count)...])
  }

  static let valueOptions: Set<String> = [
    "host", "context", "config", "log-level", "tlscacert", "tlscert", "tlskey",
  ]
  static let booleanOptions: Set<String> = ["debug", "tls", "tlsverify", "version", "help"]
  static let valueShorthands: [Character: String] = ["H": "host", "c": "context", "l": "log-level"]
  static let booleanShorthands: [Character: String] = ["D": "debug", "v": "version", "h": "help"]

  private mutating func set(_ name: String, _ value: String) {
    switch name {
    case "host": host = value
    case "context": context = value
    case "config": configDirectory = value
    case "tlscacert": caCertificate = value
    case "tlscert": certificate = value
    case "tlskey": key = value
    default: break
    }
  }

  private mutating func setFlag(_ name: String, _ value: Bool) {
    switch name {
    case "tls": tls = value
    case "tlsverify": tlsVerify = value
    case "version", "help": asksVersionOrHelp = asksVersionOrHelp || value
    default: break
    }
  }

  /// Commands the docker CLI answers without an engine, so the shim passes them straight through: deliberately few,
  /// since readying the engine for a command that did not need it costs time but never breaks it.
  static let commandsWithoutEngine: [[String]] = [
    ["help"], ["context"], ["completion"], ["compose", "version"], ["buildx", "version"],
  ]

  /// Whether the command needs the engine. No: `docker`, `docker -v`/`--version`, `docker --help`, `docker help …`,
  /// `docker context …`, `docker completion …`, `docker compose version`, `docker buildx version`, and
  /// `docker WORD [WORD [WORD]] --help` (a command's own help). Anything the shim cannot read (an unknown global
  /// option) also goes straight through: docker rejects it before it asks the engine.
  var needsEngine: Bool {
    if malformed || asksVersionOrHelp || command.isEmpty { return false }
    if Self.commandsWithoutEngine.contains(where: { command.starts(with: $0) }) { return false }
    if command.last == "--help", command.count <= 4, command.dropLast().allSatisfy({ !$0.hasPrefix("-") }) {
      // `docker run IMAGE --help`: after the image, `--help` is the container command's (docker stops reading its
      // own flags there), so that run needs the engine.
      let runner = command.firstIndex { Self.commandsEndingFlagsAtImage.contains($0) }
      return runner.map { $0 < command.count - 2 } ?? false
    }
    return true
  }

  /// Commands whose flags end at their first argument (an image or a container): what follows is the container's.
  static let commandsEndingFlagsAtImage: Set<String> = ["run", "create", "exec"]

  /// The devcontainer.json named by the `devcontainer.config_file` label of a `docker run` or `docker create`: the
  /// container a Dev Containers CLI's `up` creates (both the reference CLI and devcontainer-rs label it so).
  var devContainerConfigFile: String? {
    let words = command.first == "container" ? command.dropFirst() : command[...]
    guard let verb = words.first, verb == "run" || verb == "create" else { return nil }
    let key = "devcontainer.config_file="
    var rest = words.dropFirst().makeIterator()
    while let word = rest.next() {
      let label: String? =
        switch word {
        case "--label", "-l": rest.next()
        case _ where word.hasPrefix("--label="): String(word.dropFirst("--label=".count))
        default: nil
        }
      if let label, label.hasPrefix(key), label.count > key.count { return String(label.dropFirst(key.count)) }
    }
    return nil
  }

  /// The environment the docker CLI will see, as far as it chooses the engine: `--config` is `DOCKER_CONFIG`,
  /// `--tls`/`--tlsverify` are `DOCKER_TLS`/`DOCKER_TLS_VERIFY`.
  func applied(to environment: [String: String]) -> [String: String] {
    var environment = environment
    if let configDirectory { environment["DOCKER_CONFIG"] = configDirectory }
    if tls { environment["DOCKER_TLS"] = "1" }
    if tlsVerify { environment["DOCKER_TLS_VERIFY"] = "1" }
    return environment
  }
}
