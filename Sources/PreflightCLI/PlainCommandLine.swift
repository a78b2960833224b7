import ArgumentParser

/// `check` and `serve` command lines plain enough to need no argument parser: the subcommand first, then flags and
/// global options from short lists, each at most once. Reflecting on a command costs the parser ~14 million
/// instructions (a third of a one-shot `check`, most of it the Swift runtime's protocol conformance lookups), and
/// these are the command lines scripts and editors run over and over. Anything else (`--help`, `--timeout`, a typo,
/// an option given twice, a value that looks like an option) goes to the parser, whose messages and defaults are the
/// reference: the commands built here hold what the parser would have made of the same line.
enum PlainCommandLine {
  /// The flags each subcommand may have here (all of them `Bool` flags of that command).
  private static let flags: [String: Set<String>] = [
    "check": ["--json", "-q", "--quiet", "--deep"],
    "serve": [],
  ]
  /// The global options, each taking a value: the ones that say where the engine is.
  private static let options: Set<String> = ["-H", "--host", "--context", "--config"]

  /// The command `arguments` (global options already after the subcommand) run, or `nil` for the parser to decide.
  static func command(_ arguments: [String]) -> (any AsyncParsableCommand)? {
    guard let name = arguments.first, let allowed = flags[name],
      let (given, values) = split(Array(arguments.dropFirst()), flags: allowed, options: options),
      values["-H"] == nil || values["--host"] == nil
    else { return nil }
    var global = GlobalOptions()
    global.host = values["-H"] ?? values["--host"]
    global.context = values["--context"]
    global.configDirectory = values["--config"]
    global.logLevel = .warning
    switch name {
    case "check":
      var check = CheckCommand()
      check.global = global
      check.json = given.contains("--json")
      check.quiet = given.contains("-q") || given.contains("--quiet")
      check.deep = given.contains("--deep")
      check.timeout = TimeoutValue(duration: .seconds(2))
      check.probeImage = nil
      check.probeTimeout = TimeoutValue(duration: .seconds(30))
      check.devcontainer = false
      check.devcontainerPath = nil
      return check
    case "serve":
      var serve = ServeCommand()
      serve.global = global
      return serve
    default:
      return nil
    }
  }

  /// The flags and option values of `arguments`, or `nil` when anything in them is not on the lists `flags` and
  /// `options`, comes twice, or is an option without a value (the parser's business). Shared with
  /// ``EngineHeadStart``, which reads the same command line with lists of its own.
  static func split(
    _ arguments: [String], flags allowed: Set<String>, options: Set<String>
  ) -> (flags: Set<String>, values: [String: String])? {
    var given: Set<String> = []
    var values: [String: String] = [:]
    var index = arguments.startIndex
    while index < arguments.endIndex {
      let argument = arguments[index]
      index += 1
      if allowed.contains(argument) {
        guard given.insert(argument).inserted else { return nil }
        continue
      }
      let name: String
      let value: String
      if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
        name = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
      } else if index < arguments.endIndex, !arguments[index].hasPrefix("-") {
        name = argument
        value = arguments[index]
        index += 1
      } else {
        return nil
      }
      guard options.contains(name), values.updateValue(value, forKey: name) == nil else { return nil }
    }
    return (given, values)
  }
}
