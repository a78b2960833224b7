import EngineKit

extension StartFailureDiagnosis {
  /// dockerd's argv from the systemd unit docker.service (ExecStart of the unit under systemRoot's
  /// /etc/systemd/system, /lib/systemd/system, /usr/lib/systemd/system, drop-ins docker.service.d/*.conf, last
  /// ExecStart wins, an empty `ExecStart=` resets), for comparing with daemon.json: nil when there is no unit.
  ///
  /// `$NAME` and `${NAME}` are expanded from the unit's `Environment=` and `EnvironmentFile=` (under systemRoot), as
  /// systemd does: `$NAME` splits into words, `${NAME}` stays one; an unset one is dropped.
  public static func systemdUnitArguments(systemRoot: String) -> [String]? {
    let directories = ["/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
      .map { systemRoot + $0 }
    guard let unit = directories.map({ "\($0)/docker.service" }).first(where: { HostFiles.kind($0) == .file })
    else { return nil }
    // Drop-ins of every directory, in file-name order; a name in a directory before masks the same name after.
    var dropIns: [String: String] = [:]
    for directory in directories.reversed() {
      for name in HostFiles.entries(of: "\(directory)/docker.service.d") where name.hasSuffix(".conf") {
        dropIns[name] = "\(directory)/docker.service.d/\(name)"
      }
    }
    var unitFile = DockerServiceUnit(systemRoot: systemRoot)
    for file in [unit] + dropIns.keys.sorted().compactMap({ dropIns[$0] }) {
      if let text = readText(file) { unitFile.read(text) }
    }
    return unitFile.arguments
  }
}

/// The `[Service]` settings of docker.service that make dockerd's command line.
struct DockerServiceUnit {
  let systemRoot: String
  private var execStart: String?
  private var environment: [String: String] = [:]

  init(systemRoot: String) { self.systemRoot = systemRoot }

  /// The last `ExecStart`, split and expanded; `[]` after an empty `ExecStart=` with none after it.
  var arguments: [String] {
    guard let execStart else { return [] }
    var words: [String] = []
    for (word, quoted) in Self.words(of: execStart) {
      if !quoted, word.hasPrefix("$"), !word.hasPrefix("${") {
        words += (environment[String(word.dropFirst())] ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
      } else {
        words.append(expandBraced(word))
      }
    }
    // Prefixes that change how systemd runs the program, not what it runs: `-`, `@`, `+`, `!`, `!!`, `:`.
    if let first = words.first {
      let program = String(first.drop { "-@+!:".contains($0) })
      words[0] = program
    }
    return words
  }

  mutating func read(_ text: String) {
    var section = ""
    var pending = ""
    for raw in text.split(whereSeparator: \.isNewline) {
      var line = String(raw).trimmingWhitespace
      if pending.isEmpty, line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasSuffix("\\") {
        line.removeLast()
        pending += line + " "
        continue
      }
      line = pending + line
      pending = ""
      if line.hasPrefix("[") {
        section = line
        continue
      }
      guard section == "[Service]", let equals = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<equals]).trimmingWhitespace
      let value = String(line[line.index(after: equals)...]).trimmingWhitespace
      switch key {
      case "ExecStart": execStart = value.isEmpty ? nil : value
      case "Environment":
        for (word, _) in Self.words(of: value) { assign(word) }
      case "EnvironmentFile":
        let path = String(value.drop { $0 == "-" })
        for line in (readText(systemRoot + path) ?? "").split(whereSeparator: \.isNewline) {
          let setting = String(line).trimmingWhitespace
          if setting.hasPrefix("#") || setting.hasPrefix(";") { continue }
          assign(Self.words(of: setting).map(\.word).joined(separator: " "))
        }
      default: continue
      }
    }
  }

  private mutating func assign(_ setting: String) {
    guard let equals = setting.firstIndex(of: "=") else { return }
    environment[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
  }

  private func expandBraced(_ word: String) -> String {
    var result = ""
    var rest = Substring(word)
    while let start = rest.firstRange(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
      result += rest[..<start.lowerBound]
      result += environment[String(rest[start.upperBound..<end])] ?? ""
      rest = rest[rest.index(after: end)...]
    }
    return result + rest
  }

  /// Words as systemd splits a command line: white space separates, double and single quotes group, a backslash
  /// escapes the next character.
  static func words(of text: String) -> [(word: String, quoted: Bool)] {
    var words: [(word: String, quoted: Bool)] = []
    var current = ""
    var quoted = false
    var inWord = false
    var quote: Character?
    var escaped = false
    for character in text {
      if escaped {
        current.append(character)
        escaped = false
      } else if character == "\\" {
        escaped = true
        inWord = true
      } else if let open = quote {
        if character == open { quote = nil } else { current.append(character) }
      } else if character == "\"" || character == "'" {
        quote = character
        quoted = true
        inWord = true
      } else if character.isWhitespace {
        if inWord { words.append((current, quoted)) }
        current = ""
        quoted = false
        inWord = false
      } else {
        current.append(character)
        inWord = true
      }
    }
    if inWord { words.append((current, quoted)) }
    return words
  }
}
