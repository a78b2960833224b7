import Foundation
import Testing
import TestSupport

/// JSON-RPC clients written by others drive `docker-preflight serve` against a private dockerd: the scripts under
/// protocol/clients/tests/ (pygls, python-lsp-jsonrpc, Neovim's vim.lsp.rpc) and the example client for editor
/// authors. A missing package or program skips with the reason (once the other clients have run), and fails when
/// PREFLIGHT_REQUIRE_ENGINE=1 (CI, where `make test` installs them).
@Suite("third-party clients drive serve")
struct ThirdPartyClientTests {
  struct Client: Sendable {
    let name: String
    let program: String
    /// The Debian package that provides `program`.
    var package: String { program == "nvim" ? "neovim" : program }
    /// Arguments, given the repository root and the running engine's host.
    let arguments: @Sendable (_ root: String, _ host: String) -> [String]
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  static let clients = [
    Client(name: "pygls JsonRPCClient", program: "python3") { root, _ in
      ["\(root)/protocol/clients/tests/pygls_client.py"]
    },
    Client(name: "python-lsp-jsonrpc Endpoint", program: "python3") { root, _ in
      ["\(root)/protocol/clients/tests/pylsp_jsonrpc_client.py"]
    },
    Client(name: "Neovim vim.lsp.rpc", program: "nvim") { root, _ in
      [
        "--headless", "-u", "NONE", "-i", "NONE", "-n",
        "-c", "luafile \(root)/protocol/clients/tests/neovim_client.lua", "-c", "cquit 2",
      ]
    },
    Client(name: "protocol/clients/minimal_client.py", program: "python3") { root, host in
      ["\(root)/protocol/clients/minimal_client.py", host]
    },
  ]

  /// The exit status client_test_support.py uses for a missing Python package.
  static let missingPackage: Int32 = 77

  /// One daemon for every client (they only read from it), and one client at a time: the machine is shared.
  @Test("each client runs its session against serve and a running engine")
  func sessions() async throws {
    let scratch = try TemporaryDirectory(prefix: "client")
    defer { scratch.remove() }
    var unavailable: [String] = []
    try await withDockerDaemon { daemon in
      for client in Self.clients {
        guard let program = Executable.find(client.program) else {
          unavailable.append("\(client.program) is not installed (apt-get install \(client.package))")
          continue
        }
        let run = try await CommandRun.run(
          program, client.arguments(Self.root, daemon.host), environment: Self.environment(scratch, daemon),
          timeout: .seconds(180))
        if run.status == Self.missingPackage {
          unavailable.append(run.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
          continue
        }
        #expect(run.status == 0, "\(client.name): \(run.standardOutput)\n\(run.standardError)")
      }
    }
    if !unavailable.isEmpty { try Self.unavailable(unavailable.joined(separator: "; ")) }
  }

  /// What the client scripts read (client_test_support.py): the binary, the running engine, and a server whose own
  /// endpoint is down, so that a heal has a step to run (and to cancel).
  static func environment(_ scratch: TemporaryDirectory, _ daemon: DockerDaemon) -> [String: String] {
    var environment = PreflightBinary.cleanEnvironment([
      "PREFLIGHT_BINARY": PreflightBinary.path, "DOCKER_PREFLIGHT": PreflightBinary.path,
      "PREFLIGHT_TEST_ENGINE_HOST": daemon.host,
      "DOCKER_HOST": "unix://\(scratch.file("none.sock"))", "PREFLIGHT_START_COMMAND": #"["sleep","60"]"#,
      "HOME": scratch.path, "XDG_CONFIG_HOME": scratch.file("config"), "XDG_STATE_HOME": scratch.file("state"),
      "XDG_RUNTIME_DIR": scratch.file("run"),
    ])
    if let capture = ProcessInfo.processInfo.environment[ProtocolCapture.environmentVariable] {
      environment[ProtocolCapture.environmentVariable] = capture
    }
    return environment
  }

  /// Skips, or fails where the tools are required.
  static func unavailable(_ reason: String) throws {
    if DockerDaemon.isRequired { throw FixtureError("PREFLIGHT_REQUIRE_ENGINE=1 but \(reason)") }
    try Test.cancel(Comment(rawValue: reason))
  }
}
