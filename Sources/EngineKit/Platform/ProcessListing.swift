/// A process seen on the host: its id and its executable's name (the last path component, as a person knows it).
public struct HostProcess: Sendable, Hashable, CustomStringConvertible {
  public var pid: Int
  public var name: String
  /// The full command line where the listing has it (Linux /proc); empty elsewhere.
  public var arguments: [String]

  public init(pid: Int, name: String, arguments: [String] = []) {
    self.pid = pid
    self.name = name
    self.arguments = arguments
  }

  public var description: String { "\(name) (pid \(pid))" }
}

/// Reads the process lists each platform offers: Linux's /proc, macOS's `ps -axo pid=,comm=`, Windows's
/// `tasklist.exe /FO CSV /NH`.
public enum ProcessListing {
  /// The part of a command line read: the program comes first, and arguments past this say nothing we use.
  public static let maxCommandLineBytes = 64 << 10

  /// Every process under `procRoot`, named from `cmdline`'s first argument; kernel threads (empty `cmdline`) are
  /// left out. `comm` is not used for names: Linux cuts it to 15 bytes (`com.docker.back`). A command line longer
  /// than ``maxCommandLineBytes`` is read up to that, its last argument cut.
  public static func scanProc(_ procRoot: String) -> [HostProcess] {
    HostFiles.entries(of: procRoot).compactMap { entry in
      guard let pid = Int(entry),
        let raw = HostFiles.prefix(of: "\(procRoot)/\(entry)/cmdline", limit: maxCommandLineBytes)
      else { return nil }
      let arguments = raw.split(separator: 0, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
      }
      let trimmed = arguments.last == "" ? Array(arguments.dropLast()) : arguments
      guard let first = trimmed.first, !first.isEmpty else { return nil }
      return HostProcess(pid: pid, name: lastComponent(first), arguments: trimmed)
    }
  }

  /// `ps -axo pid=,comm=` on macOS prints the executable's full path:
  /// `  612 /Applications/Docker.app/…/com.docker.backend`.
  public static func parsePS(_ output: String) -> [HostProcess] {
    output.split(whereSeparator: \.isNewline).compactMap { line in
      let text = String(line).trimmingWhitespace
      guard let space = text.firstIndex(where: \.isWhitespace), let pid = Int(text[..<space]) else { return nil }
      let command = String(text[space...]).trimmingWhitespace
      guard !command.isEmpty else { return nil }
      return HostProcess(pid: pid, name: lastComponent(command))
    }
  }

  /// `tasklist.exe /FO CSV /NH`: `"Docker Desktop.exe","10212","Console","1","182,340 K"` per line. Fields are
  /// quoted; a quote inside a field is doubled.
  public static func parseTaskList(_ output: String) -> [HostProcess] {
    output.split(whereSeparator: \.isNewline).compactMap { line in
      let fields = csvFields(String(line))
      guard fields.count >= 2, let pid = Int(fields[1]), !fields[0].isEmpty else { return nil }
      return HostProcess(pid: pid, name: fields[0])
    }
  }

  static func csvFields(_ line: String) -> [String] {
    var fields: [String] = []
    var current = ""
    var quoted = false
    var characters = Array(line.trimmingWhitespace)[...]
    while let character = characters.popFirst() {
      switch character {
      case "\"" where quoted && characters.first == "\"":
        current.append("\"")
        characters.removeFirst()
      case "\"":
        quoted.toggle()
      case "," where !quoted:
        fields.append(current)
        current = ""
      default:
        current.append(character)
      }
    }
    fields.append(current)
    return fields
  }

  public static func lastComponent(_ path: String) -> String {
    guard let slash = path.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return path }
    return String(path[path.index(after: slash)...])
  }
}
