import JSON

/// The variables a devcontainer.json may use on the host side, substituted in every string as the reference CLI
/// does: `${localEnv:NAME}` (and `${localEnv:NAME:default}`; `${env:NAME}` is its older spelling),
/// `${localWorkspaceFolder}`, `${localWorkspaceFolderBasename}`. Container-side ones (`${containerEnv:…}`,
/// `${containerWorkspaceFolder}`, `${devcontainerId}`) are left as they are: the host never sees them resolved.
struct VariableSubstitution: Sendable {
  var environment: [String: String]
  var workspaceFolder: String

  func apply(to value: JSONValue) -> JSONValue {
    switch value {
    case .string(let text): .string(substitute(text))
    case .array(let items): .array(items.map(apply))
    case .object(let object):
      .object(JSONObject(object.map { ($0.key, apply(to: $0.value)) }))
    default: value
    }
  }

  func substitute(_ text: String) -> String {
    guard text.contains("${") else { return text }
    var result = ""
    var rest = text[...]
    while let start = rest.firstRange(of: "${") {
      result += rest[..<start.lowerBound]
      guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
        rest = rest[start.lowerBound...]
        break
      }
      let name = rest[start.upperBound..<end]
      result += resolve(name) ?? "${\(name)}"
      rest = rest[rest.index(after: end)...]
    }
    return result + rest
  }

  private func resolve(_ variable: Substring) -> String? {
    let parts = variable.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    switch parts[0] {
    case "localEnv", "env":
      guard parts.count >= 2 else { return nil }
      return environment[parts[1]] ?? (parts.count == 3 ? parts[2] : "")
    case "localWorkspaceFolder": return workspaceFolder
    case "localWorkspaceFolderBasename":
      return String(workspaceFolder.split(separator: "/").last ?? "")
    default: return nil
    }
  }
}
