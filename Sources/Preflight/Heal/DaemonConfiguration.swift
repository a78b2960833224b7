import EngineKit
import JSON
import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The daemon.json a dockerd reads, checked as dockerd checks it before it starts: it must parse as a JSON object,
/// name only keys dockerd knows, and set nothing its command line also sets.
struct DaemonConfiguration {
  var path: String
  /// The top-level keys, when the file parsed as an object.
  var settings: JSONObject?
  /// Why the file cannot be used (`daemon-config-invalid`).
  var issues: [HealthReport.Issue] = []

  /// Reads `path`. A missing file is no fault unless dockerd was told to read it (`explicit`: `--config-file`); one
  /// this process may not read is dockerd's fault only when dockerd runs as this user (`readAsEngine`).
  static func load(path: String, explicit: Bool, readAsEngine: Bool) -> DaemonConfiguration {
    var configuration = DaemonConfiguration(path: path)
    let bytes: [UInt8]
    switch readFile(path, limit: 1 << 20) {
    case .success(let read): bytes = read
    case .failure(let error):
      guard error != .noSuchFileOrDirectory || explicit else { return configuration }
      guard readAsEngine || (error != .permissionDenied && error != .notPermitted) else { return configuration }
      configuration.invalid(
        "dockerd cannot read its configuration file \(path) (\(errnoName(error.rawValue)))",
        fix: error == .noSuchFileOrDirectory
          ? "Create \(path) (an empty object {} will do) or remove --config-file from dockerd's command line"
          : "Make \(path) readable by the user dockerd runs as")
      return configuration
    }
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes)
    } catch {
      switch error {
      case .invalid(let reason, let line, let column, _):
        // jansson refuses a repeated key; Go's decoder, dockerd's, keeps the last one.
        if reason.hasPrefix("duplicate object key") { return configuration }
        configuration.invalid(
          "\(path) is not valid JSON: line \(line), column \(column): \(reason)",
          fix: "Correct \(path) at line \(line), column \(column) (check it with `python3 -m json.tool \(path)`), "
            + "or move it aside to start with the defaults")
      case .tooLarge, .tooDeep:
        configuration.invalid("\(path) cannot be read as JSON: \(error)", fix: "Rewrite \(path) as a small object")
      }
      return configuration
    }
    guard let object = value.objectValue else {
      configuration.invalid(
        "\(path) holds a JSON \(value.typeName), not an object: dockerd reads its settings from an object",
        fix: "Write the settings as one object, e.g. {\"log-level\": \"info\"}, in \(path)")
      return configuration
    }
    configuration.settings = object
    let unknown = Self.flattened(object).map(\.key).filter { !Self.knownKeys.contains($0) }.sorted()
    if !unknown.isEmpty {
      let names = unknown.map { "\"\($0)\"" }.joined(separator: ", ")
      configuration.invalid(
        "\(path) sets \(names), which no dockerd option is called: dockerd refuses the file",
        fix: "Remove or correct \(names) in \(path) (the options are listed by `dockerd --help`; in the file they "
          + "are written without the dashes)")
    }
    return configuration
  }

  private mutating func invalid(_ message: String, fix: String) {
    issues.append(HealthReport.Issue(code: "daemon-config-invalid", message: message, recommendation: fix))
  }

  /// Each setting the file makes that the command line makes too: dockerd refuses to start with either.
  func conflicts(with arguments: [String], source: String, settings: JSONObject) -> [HealthReport.Issue] {
    let flags = CommandLineFlags(arguments)
    return Self.flattened(settings).compactMap { key, value in
      let names = Self.flagNames(of: key)
      guard let given = names.first(where: { name in Self.isSet(name, in: arguments) }) else { return nil }
      let flagValue = flags.value(of: names).map { " \($0)" } ?? ""
      var fix = "Remove \"\(key)\" from \(path), or \(given) from \(source): dockerd takes a setting from one place"
      if key == "hosts", flagValue.contains("fd://") {
        fix +=
          " (for docker.service, drop \"hosts\" from the file, or override ExecStart in a drop-in, "
          + "`systemctl edit docker`: an empty ExecStart= and then one without -H)"
      }
      return HealthReport.Issue(
        code: "daemon-config-conflict",
        message: "\"\(key)\" is set both in \(path) (\(value.compactText)) and by \(given)\(flagValue) in "
          + "\(source): dockerd refuses a setting given both ways",
        recommendation: fix)
    }
  }

  /// The file's settings as dockerd compares them with its flags: an object that is not an option of its own
  /// (`log-opts`, `runtimes`, …) contributes its keys at the top level.
  static func flattened(_ object: JSONObject) -> [(key: String, value: JSONValue)] {
    var settings: [(key: String, value: JSONValue)] = []
    for (key, value) in object {
      if let nested = value.objectValue, !objectOptions.contains(key) {
        settings += nested.map { ($0.key, $0.value) }
      } else {
        settings.append((key, value))
      }
    }
    return settings
  }

  /// Options whose value is an object of their own (dockerd's `flatOptions`, and those it does not validate).
  static let objectOptions: Set<String> = [
    "cluster-store-opts", "log-opts", "runtimes", "default-ulimits", "features", "builder", "default-network-opts",
    "proxies",
  ]

  /// A file key's flags, where they differ from `--KEY`: options whose file name is a plural, and short forms.
  static let flagsByKey: [String: [String]] = [
    "hosts": ["-H", "--host"], "labels": ["--label"], "storage-opts": ["--storage-opt"],
    "authorization-plugins": ["--authorization-plugin"], "exec-opts": ["--exec-opt"], "log-opts": ["--log-opt"],
    "cluster-store-opts": ["--cluster-store-opt"], "node-generic-resources": ["--node-generic-resource"],
    "dns-opts": ["--dns-opt"], "default-address-pools": ["--default-address-pool"],
    "registry-mirrors": ["--registry-mirror"], "insecure-registries": ["--insecure-registry"],
    "runtimes": ["--add-runtime"], "default-ulimits": ["--default-ulimit"], "debug": ["-D", "--debug"],
    "group": ["-G", "--group"], "log-level": ["-l", "--log-level"], "pidfile": ["-p", "--pidfile"],
    "storage-driver": ["-s", "--storage-driver"], "bridge": ["-b", "--bridge"], "graph": ["-g", "--graph"],
  ]

  static func flagNames(of key: String) -> [String] { flagsByKey[key] ?? ["--\(key)"] }

  /// Whether the command line gives `name` (`--name`, `--name=value`, `-Hvalue`), before a `--`.
  static func isSet(_ name: String, in arguments: [String]) -> Bool {
    for argument in arguments.dropFirst() {
      if argument == "--" { return false }
      if argument == name || argument.hasPrefix(name + "=") { return true }
      if name.count == 2, !argument.hasPrefix("--"), argument.hasPrefix(name) { return true }
    }
    return false
  }

  /// Every key dockerd 20.10 accepts in daemon.json (its flags' long names and the plural names of list options,
  /// checked against dockerd 20.10.24), with keys of later releases, so that a newer dockerd's file is not refused.
  static let knownKeys: Set<String> = [
    // dockerd 20.10.24: the long names of its flags, hidden ones included.
    "add-runtime", "allow-nondistributable-artifacts", "api-cors-header", "authorization-plugin", "bip", "bridge",
    "cgroup-parent", "cluster-advertise", "cluster-store", "cluster-store-opt", "config-file", "containerd",
    "containerd-namespace", "containerd-plugins-namespace", "cpu-rt-period", "cpu-rt-runtime", "cri-containerd",
    "data-root", "debug", "default-address-pool", "default-cgroupns-mode", "default-gateway", "default-gateway-v6",
    "default-ipc-mode", "default-runtime", "default-shm-size", "default-ulimit", "deprecated-key-path", "dns",
    "dns-opt", "dns-search", "exec-opt", "exec-root", "experimental", "fixed-cidr", "fixed-cidr-v6", "graph", "group",
    "help", "host", "host-gateway-ip", "icc", "init", "init-path", "insecure-registry", "ip", "ip-forward", "ip-masq",
    "ip6tables", "iptables", "ipv6", "label", "live-restore", "log-driver", "log-level", "log-opt",
    "max-concurrent-downloads", "max-concurrent-uploads", "max-download-attempts", "metrics-addr", "mtu",
    "network-control-plane-mtu", "network-diagnostic-port", "no-new-privileges", "node-generic-resource",
    "oom-score-adjust", "pidfile", "raw-logs", "registry-mirror", "restart", "rootless", "seccomp-profile",
    "selinux-enabled", "shutdown-timeout", "storage-driver", "storage-opt", "swarm-default-advertise-addr", "tls",
    "tlscacert", "tlscert", "tlskey", "tlsverify", "userland-proxy", "userland-proxy-path", "userns-remap", "version",
    // Its options' names in the file, and the objects it does not validate.
    "hosts", "labels", "storage-opts", "authorization-plugins", "exec-opts", "log-opts", "cluster-store-opts",
    "node-generic-resources", "dns-opts", "insecure-registries", "registry-mirrors", "runtimes", "default-ulimits",
    "default-address-pools", "features", "builder",
    // Later releases.
    "default-network-opts", "log-format", "cdi-spec-dirs", "proxies", "http-proxy", "https-proxy", "no-proxy",
    "min-api-version", "bridge-accept-fwmark", "firewall-backend", "ip-forward-no-drop", "allow-direct-routing",
    "host-gateway-ips", "default-host-gateway-ip", "validate",
  ]
}

extension JSONValue {
  /// The value as a short text for a message.
  var compactText: String {
    switch self {
    case .string(let text): "\"\(text)\""
    case .array(let items): "[" + items.map(\.compactText).joined(separator: ", ") + "]"
    case .object: "{…}"
    case .null: "null"
    case .bool(let flag): flag ? "true" : "false"
    case .int(let number): String(number)
    case .double(let number): String(number)
    }
  }
}
