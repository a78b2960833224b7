import EngineKit
import Preflight

/// `devcontainer up …` as `exec` sees it: which devcontainer.json it will read and which docker CLI it will run,
/// so that what `up` needs from this host is checked before it runs.
struct DevContainerUp: Equatable {
  /// A devcontainer.json (`--override-config`, `--config`), or the folder it is looked up in (`--workspace-folder`,
  /// else the current directory), as the Dev Containers CLI takes them.
  var configuration: String?
  /// `--docker-path`: the docker CLI `up` runs.
  var dockerPath: String?

  /// `nil` unless `argv` runs the Dev Containers CLI's `up`: `devcontainer up …`, or through npx
  /// (`npx [-y] @devcontainers/cli up …`).
  init?(_ argv: [String]) {
    guard let program = argv.first else { return nil }
    var rest = argv.dropFirst()
    if !["devcontainer", "devcontainer.cmd", "devcontainer.exe"].contains(ProcessListing.lastComponent(program)) {
      guard let cli = rest.firstIndex(where: { $0.hasPrefix("@devcontainers/cli") }) else { return nil }
      rest = rest[(cli + 1)...]
    }
    guard rest.first(where: { !$0.hasPrefix("-") }) == "up" else { return nil }
    func value(_ name: String) -> String? {
      var found: String?
      var words = rest.makeIterator()
      while let word = words.next() {
        if word == name {
          found = words.next()
        } else if word.hasPrefix(name + "=") {
          found = String(word.dropFirst(name.count + 1))
        }
      }
      return found.flatMap { $0.isEmpty ? nil : $0 }
    }
    configuration = value("--override-config") ?? value("--config") ?? value("--workspace-folder")
    dockerPath = value("--docker-path")
  }

  /// The Dev Container preflight of what this `up` will read.
  func preflight(environment: [String: String], configuration settings: PreflightConfiguration)
    -> DevContainerPreflight
  {
    var settings = settings
    // A `--docker-path` that is this program (the shim) runs the docker CLI the shim finds: the checks find it so.
    if let dockerPath, FileIdentity.currentExecutable.map({ FileIdentity(path: dockerPath) != $0 }) ?? true {
      settings.dockerPath = dockerPath
    }
    return DevContainerPreflight.load(configuration, environment: environment, configuration: settings)
  }
}

/// The Dev Container checks of `preflight` against `endpoint`, run after the engine's own (they read what those
/// found): the report, and those of its Dev Container checks that warn or fail.
func devContainerFindings(
  _ preflight: DevContainerPreflight, endpoint: Endpoint, environment: [String: String],
  configuration: PreflightConfiguration
) async -> (report: HealthReport, findings: [HealthReport.Check]) {
  var options = DiagnoseOptions(host: HostEnvironment(environment: environment))
  options.applyDefaults(from: configuration)
  options.devContainer = preflight
  let report = await Diagnoser(endpoint: endpoint, options: options).diagnose()
  let findings = report.checks.filter {
    $0.id.hasPrefix("devcontainer") && ($0.status == .fail || $0.status == .warn)
  }
  return (report, findings)
}
