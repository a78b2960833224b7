import Foundation
import JSON
import TestSupport
import Testing

/// `check --devcontainer` against a private dockerd and the real Dev Containers CLI (devcontainer-rs): a project per
/// reason `devcontainer up` fails, shown to fail, with our finding first; the same project fixed passes both.
@Suite("check --devcontainer: what devcontainer up needs, found before it runs", .serialized)
struct DevContainerPreflightTests {
  static let image = "preflight-probe:latest"

  /// A workspace with a devcontainer.json, private XDG directories and a docker config, against `daemon`.
  struct Project {
    let workspace: TemporaryDirectory
    var environment: [String: String]

    init(daemon: DockerDaemon, devcontainerJSON: String) throws {
      workspace = try TemporaryDirectory(prefix: "ws")
      environment = [
        "DOCKER_HOST": daemon.host, "HOME": workspace.file("home"), "XDG_CONFIG_HOME": workspace.file("home/config"),
        "XDG_STATE_HOME": workspace.file("home/state"), "XDG_RUNTIME_DIR": workspace.file("home/run"),
        "DOCKER_CONFIG": workspace.file("home/docker"),
      ]
      try write(devcontainerJSON)
    }

    func write(_ devcontainerJSON: String) throws {
      _ = try workspace.write(devcontainerJSON, to: "project/.devcontainer/devcontainer.json")
    }

    var folder: String { workspace.file("project") }

    /// The source the project of ``bindMountingMissingSource(daemon:)`` mounts: `data` in the workspace.
    var mountSource: String { workspace.file("data") }

    /// A project whose container bind-mounts ``mountSource``, which does not exist until the test makes it.
    static func bindMountingMissingSource(daemon: DockerDaemon) throws -> Project {
      let project = try Project(daemon: daemon, devcontainerJSON: "{}")
      let mount = "source=\(project.mountSource),target=/data,type=bind"
      try project.write(#"{"image": "\#(DevContainerPreflightTests.image)", "mounts": ["\#(mount)"]}"#)
      return project
    }

    /// `check --devcontainer` on the project: its exit status and report.
    func check(_ extra: [String] = []) async throws -> (Int32, JSONValue) {
      let run = try await PreflightRun.run(
        ["check", "--json", "--devcontainer", folder] + extra, environment: environment)
      #expect(run.status != 2, "\(run.standardError)")
      return (run.status, try JSONValue.parse(run.standardOutput))
    }

    func up() async throws -> CommandRun {
      let devcontainer = try DevContainerTests.Scene.requireDevcontainer()
      return try await CommandRun.run(
        devcontainer, ["up", "--workspace-folder", folder], environment: PreflightBinary.cleanEnvironment(environment),
        timeout: .seconds(240))
    }
  }

  /// The codes of the issues of the checks whose id starts with `devcontainer`, and whether any of them failed.
  static func findings(_ report: JSONValue) -> (codes: [String], failed: Bool) {
    let checks = report["checks"]?.arrayValue?.filter { $0["id"]?.stringValue?.hasPrefix("devcontainer") == true }
    let failed = checks?.contains { $0["status"] == "fail" } ?? false
    return (report["issues"]?.arrayValue?.compactMap { $0["code"]?.stringValue } ?? [], failed)
  }

  func withPreparedDaemon(_ body: (DockerDaemon) async throws -> Void) async throws {
    try await withDockerDaemon { daemon in
      try await daemon.importProbeImage(named: Self.image)
      try await body(daemon)
    }
  }

  @Test("a devcontainer.json missing a comma: our finding names file, line 3 and column 3; up fails; fixed, both pass")
  func malformed() async throws {
    try await withPreparedDaemon { daemon in
      let project = try Project(
        daemon: daemon, devcontainerJSON: "{\n  \"image\": \"\(Self.image)\"\n  \"name\": \"broken\"\n}\n")
      defer { project.workspace.remove() }
      let (status, report) = try await project.check()
      #expect(status == 1)
      let issue = report["issues"]?.arrayValue?.first { $0["code"] == "devcontainer-invalid" }
      #expect(issue?["message"]?.stringValue?.contains("devcontainer.json:3:3") == true, "\(report)")
      #expect(try await project.up().status != 0)

      try project.write(
        "{\n  \"image\": \"\(Self.image)\",\n  \"name\": \"fixed\", // a comment and a trailing comma\n}\n")
      let (fixed, fixedReport) = try await project.check()
      #expect(fixed == 0, "\(fixedReport)")
      let up = try await project.up()
      #expect(up.status == 0, "\(up.standardError)")
    }
  }

  @Test("diagnose {devcontainer} over serve: the same checks and finding as check --devcontainer; \"\" is -32602")
  func overServe() async throws {
    try await withPreparedDaemon { daemon in
      let project = try Project.bindMountingMissingSource(daemon: daemon)
      defer { project.workspace.remove() }
      let source = project.mountSource
      let (_, checked) = try await project.check()

      let session = try ServeSession(
        framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(project.environment))
      let report = try #require(
        try await session.request("diagnose", params: ["devcontainer": .string(project.folder)])["result"])
      let ids = { (report: JSONValue) in report["checks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [] }
      #expect(ids(report).contains("devcontainer-mounts"), "\(report)")
      #expect(ids(report) == ids(checked))
      #expect(Self.findings(report).codes == Self.findings(checked).codes)
      #expect(Self.findings(report).codes.contains("mount-source-missing"))
      let plain = try #require(try await session.request("diagnose")["result"])
      #expect(!ids(plain).contains { $0.hasPrefix("devcontainer") })
      let empty = try await session.request("diagnose", params: ["devcontainer": ""])
      #expect(empty["error"]?["code"] == -32602)
      #expect(empty["error"]?["message"]?.stringValue?.contains("devcontainer") == true)
      #expect(try await session.finish() == 0)
    }
  }

  @Test("exec -- devcontainer up: a missing bind source stops it before up runs (exit 1, the finding on stderr)")
  func execStopsUp() async throws {
    try await withPreparedDaemon { daemon in
      let project = try Project.bindMountingMissingSource(daemon: daemon)
      defer { project.workspace.remove() }
      let source = project.mountSource
      let devcontainer = try DevContainerTests.Scene.requireDevcontainer()
      let up = [devcontainer, "up", "--workspace-folder", project.folder]
      let environment = PreflightBinary.cleanEnvironment(project.environment)

      let stopped = try await PreflightRun.run(["exec", "--"] + up, environment: environment, timeout: .seconds(240))
      #expect(stopped.status == 1)
      #expect(stopped.standardError.contains("mount-source-missing: the bind mount source \(source)"))
      #expect(stopped.standardError.contains("not running \(devcontainer) up"), "\(stopped.standardError)")
      #expect(!(stopped.standardOutput + stopped.standardError).contains("bind source path"), "up ran")

      // Told to run it anyway, up runs and fails on the mount itself.
      let forced = try await PreflightRun.run(
        ["exec", "--no-devcontainer-checks", "--"] + up, environment: environment, timeout: .seconds(240))
      #expect(forced.status != 0)
      #expect(!forced.standardError.contains("docker-preflight: not running"))
      #expect((forced.standardOutput + forced.standardError).contains("bind source path does not exist"))

      try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
      let fixed = try await PreflightRun.run(["exec", "--"] + up, environment: environment, timeout: .seconds(240))
      #expect(fixed.status == 0, "\(fixed.standardError)")
      #expect(fixed.standardOutput.contains("\"outcome\":\"success\""), "\(fixed.standardOutput)")
    }
  }

  @Test("docker-path shim: the docker run of up is preceded by our finding, in up's own error output; docker runs")
  func shimReportsBeforeRun() async throws {
    try await withPreparedDaemon { daemon in
      let project = try Project.bindMountingMissingSource(daemon: daemon)
      defer { project.workspace.remove() }
      let source = project.mountSource
      let shim = project.workspace.file("shim/docker")
      try FileManager.default.createDirectory(
        atPath: project.workspace.file("shim"), withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(atPath: shim, withDestinationPath: PreflightBinary.path)
      let devcontainer = try DevContainerTests.Scene.requireDevcontainer()
      let arguments = ["up", "--workspace-folder", project.folder, "--docker-path", shim]
      let environment = PreflightBinary.cleanEnvironment(project.environment)
      let up = try await CommandRun.run(devcontainer, arguments, environment: environment, timeout: .seconds(240))
      let output = up.standardOutput + up.standardError
      #expect(up.status != 0)
      let config = project.folder + "/.devcontainer/devcontainer.json"
      let finding = try #require(output.range(of: "docker-preflight: what \(config) needs from this host"), "\(output)")
      #expect(output.contains("mount-source-missing: the bind mount source \(source)"))
      // docker ran after it, and failed its own way.
      let dockers = try #require(output.range(of: "bind source path does not exist"), "\(output)")
      #expect(finding.lowerBound < dockers.lowerBound)

      try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
      let fixed = try await CommandRun.run(
        devcontainer, arguments + ["--remove-existing-container"], environment: environment, timeout: .seconds(240))
      #expect(fixed.status == 0, "\(fixed.standardError)")
      #expect(!(fixed.standardOutput + fixed.standardError).contains("docker-preflight:"))
    }
  }

  @Test("a bind mount whose source is missing: mount-source-missing; up fails on it; the source made, both pass")
  func mountSourceMissing() async throws {
    try await withPreparedDaemon { daemon in
      let project = try Project.bindMountingMissingSource(daemon: daemon)
      defer { project.workspace.remove() }
      let source = project.mountSource
      let (status, report) = try await project.check()
      #expect(status == 1)
      #expect(Self.findings(report).codes.contains("mount-source-missing"), "\(report)")
      let failed = try await project.up()
      #expect(failed.status != 0)
      #expect(
        failed.standardOutput.contains("bind source path does not exist")
          || failed.standardError.contains(
            "bind source path does not exist")
      )

      try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
      let (fixed, fixedReport) = try await project.check()
      #expect(fixed == 0, "\(fixedReport)")
      #expect(try await project.up().status == 0)
    }
  }

  @Test(
    "registry stand-in (a TLS server on loopback with its own CA): an untrusted issuer is reported as interception")
  func registryTLSIntercepted() async throws {
    try await TestPKI.with { pki in
      try await OpenSSLServer.with(["-cert", pki.serverCertificatePath, "-key", pki.serverKeyPath, "-www"]) { port in
        try await withPreparedDaemon { daemon in
          let remote = "127.0.0.1:\(port)/team/app:1"
          let project = try Project(daemon: daemon, devcontainerJSON: #"{"image": "\#(remote)"}"#)
          defer { project.workspace.remove() }
          let (status, report) = try await project.check()
          #expect(status == 1)
          let issue = report["issues"]?.arrayValue?.first { $0["code"] == "registry-tls-untrusted" }
          #expect(issue?["message"]?.stringValue?.contains("127.0.0.1:\(port)") == true, "\(report)")
          #expect(issue?["message"]?.stringValue?.contains("issued by") == true)
          // Not `devcontainer up` here: dockerd's pull from the stand-in (not a registry) does not end by itself.

          // The CA trusted (as a company's would be): reachable, and nothing is said against it.
          var trusting = project
          trusting.environment["SSL_CERT_FILE"] = pki.caPath
          let (_, trusted) = try await trusting.check()
          #expect(!Self.findings(trusted).codes.contains { $0.hasPrefix("registry-") }, "\(trusted)")

          try project.write(#"{"image": "\#(Self.image)"}"#)
          let (fixed, fixedReport) = try await project.check()
          #expect(fixed == 0, "\(fixedReport)")
          #expect(try await project.up().status == 0)
        }
      }
    }
  }

  /// A socket on a port of loopback the kernel picks, held (a TCP one listening) until `close`; closed once only,
  /// so a descriptor number reused by another of the process's files is never closed by mistake.
  final class LoopbackSocket {
    let descriptor: Int32
    let port: Int
    private var isOpen = true

    init(udp: Bool = false) throws {
      let descriptor = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      if !udp { listen(descriptor, 1) }
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
      }
      self.descriptor = descriptor
      port = Int(UInt16(bigEndian: address.sin_port))
      if bound != 0 { close() }
      try #require(bound == 0)
    }

    func close() {
      guard isOpen else { return }
      isOpen = false
      _ = Glibc.close(descriptor)
    }
  }

  @Test(
    "checked before up: a published host port in use, a missing credential helper, a Compose service that is not there")
  func hostFindings() async throws {
    try await withPreparedDaemon { daemon in
      let listener = try LoopbackSocket()
      defer { listener.close() }
      let port = listener.port
      let project = try Project(
        daemon: daemon,
        devcontainerJSON: #"{"image": "\#(Self.image)", "appPort": [\#(port)], "runArgs": ["-p", "\#(port + 1):80"]}"#)
      defer { project.workspace.remove() }
      _ = try project.workspace.write(#"{"credsStore": "desktop.exe"}"#, to: "home/docker/config.json")
      let (status, report) = try await project.check()
      #expect(status == 1)
      let issues = report["issues"]?.arrayValue ?? []
      let ports = issues.filter { $0["code"] == "port-in-use" }
      #expect(ports.count == 1, "\(issues)")
      #expect(ports.first?["message"]?.stringValue?.contains("port \(port) (appPort)") == true)
      let helper = issues.first { $0["code"] == "credential-helper-missing" }
      #expect(helper?["message"]?.stringValue?.contains("docker-credential-desktop.exe") == true, "\(issues)")
      #expect(helper?["recommendation"]?.stringValue?.contains("WSL integration") == true)

      _ = try project.workspace.write(
        "services:\n  app:\n    image: x\n  \"db\":\n    image: y\n", to: "project/.devcontainer/compose.yml")
      try project.write(#"{"dockerComposeFile": "compose.yml", "service": "web"}"#)
      let (_, compose) = try await project.check()
      let missing = compose["issues"]?.arrayValue?.first { $0["code"] == "compose-service-missing" }
      #expect(missing?["message"]?.stringValue?.contains("(it has: app, db)") == true, "\(compose)")
    }
  }

  /// Both a TCP port and a UDP one (in a flow-style service) are held; the fixed file passes the compose and ports
  /// checks.
  @Test("Compose: a published port held on loopback is port-in-use naming file and service; a YAML error, line:column")
  func composePorts() async throws {
    try await withPreparedDaemon { daemon in
      let tcp = try LoopbackSocket()
      defer { tcp.close() }
      let udp = try LoopbackSocket(udp: true)
      defer { udp.close() }
      var project = try Project(
        daemon: daemon, devcontainerJSON: #"{"dockerComposeFile": "compose.yml", "service": "app"}"#)
      defer { project.workspace.remove() }
      project.environment["APP_PORT"] = String(tcp.port)
      let compose = project.folder + "/.devcontainer/compose.yml"
      _ = try project.workspace.write(
        """
        x-image: &image
          image: \(Self.image)
        services:
          app:
            <<: *image
            command: sleep infinity
            ports:
              - "${APP_PORT}:80"
          "dns": {<<: *image, ports: [{target: 53, published: \(udp.port), protocol: udp}]}

        """, to: "project/.devcontainer/compose.yml")
      let (status, report) = try await project.check()
      #expect(status == 1)
      let ports = report["issues"]?.arrayValue?.filter { $0["code"] == "port-in-use" } ?? []
      let messages = ports.compactMap { $0["message"]?.stringValue }
      #expect(messages.count == 2, "\(report)")
      #expect(messages.contains { $0.hasPrefix("port \(tcp.port) (service \"app\" in \(compose))") }, "\(messages)")
      #expect(messages.contains { $0.hasPrefix("port \(udp.port)/udp (service \"dns\" in \(compose))") }, "\(messages)")
      #expect(!Self.findings(report).codes.contains("compose-service-missing"))

      // An unclosed quote: libyaml stops at the end of the file, line 6, column 1.
      _ = try project.workspace.write(
        "services:\n  app:\n    image: \(Self.image)\n    ports:\n      - \"\(tcp.port):80\n",
        to: "project/.devcontainer/compose.yml")
      let (invalidStatus, invalid) = try await project.check()
      #expect(invalidStatus == 1)
      let issue = invalid["issues"]?.arrayValue?.first { $0["code"] == "compose-file-invalid" }
      #expect(
        issue?["message"]?.stringValue?.contains("\(compose):6:1: found unexpected end of stream") == true, "\(invalid)"
      )
      #expect(issue?["recommendation"]?.stringValue?.contains("line 6, column 1") == true)
      #expect(!Self.findings(invalid).codes.contains("port-in-use"))

      // Fixed, and the ports released: nothing of ours is said against the project.
      _ = try project.workspace.write(
        "services:\n  app:\n    image: \(Self.image)\n    ports:\n      - \"\(tcp.port):80\"\n",
        to: "project/.devcontainer/compose.yml")
      tcp.close()
      let (_, fixed) = try await project.check()
      let fixedCodes = Self.findings(fixed).codes
      #expect(!fixedCodes.contains { ["port-in-use", "compose-file-invalid", "compose-service-missing"].contains($0) })
      let portsCheck = fixed["checks"]?.arrayValue?.first { $0["id"] == "devcontainer-ports" }
      #expect(portsCheck?["status"] == "pass", "\(fixed)")
      // docker compose itself is not installed everywhere: up for Compose is not run here.
    }
  }
}
