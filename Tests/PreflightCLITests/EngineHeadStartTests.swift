import EngineKit
import Preflight
import TestSupport
import Testing

@testable import PreflightCLI

/// Which `check` command lines get their engine questions asked before the parser runs, and when the parser's
/// answer takes them over. The sockets named do not exist: nothing is asked of any engine.
@Suite("check's head start", .serialized)
struct EngineHeadStartTests {
  static let socket = "unix:///nonexistent/docker-preflight-head-start.sock"

  static func client(_ host: String = socket) throws -> EngineClient {
    DiagnoseOptions().client(for: try Endpoint(parsing: host, source: .flag))
  }

  @Test(
    "a plain check starts at once; anything the parser must judge does not",
    arguments: [
      (["check", "-H", socket], true),
      (["check", "--json", "-q", "--host=\(socket)"], true),
      (["check", "--deep", "--probe-image", "busybox", "-H", socket, "--log-level", "debug"], true),
      (["check", "-H", socket, "--timeout", "5s"], false),
      (["check", "-H", socket, "--help"], false),
      (["check", "-H", socket, "-H", socket], false),
      (["check", "-H"], false),
      (["wait", "-H", socket], false),
      (["-H", socket, "check"], false),  // global options are moved after the subcommand before this
    ])
  func starts(arguments: [String], started: Bool) throws {
    EngineHeadStart.begin(arguments)
    let probe = EngineHeadStart.take(for: try Self.client())
    #expect((probe != nil) == started)
    probe?.cancel()
    #expect(EngineHeadStart.take(for: try Self.client()) == nil, "taken once")
  }

  @Test("no head start over ssh, where each question is an ssh process")
  func notOverSSH() throws {
    let host = "ssh://nobody@127.0.0.1:9"
    EngineHeadStart.begin(["check", "-H", host])
    #expect(EngineHeadStart.take(for: try Self.client(host)) == nil)
  }

  @Test("a probe that asks another endpoint than the parsed command line's is dropped")
  func otherEndpoint() throws {
    EngineHeadStart.begin(["check", "-H", Self.socket])
    #expect(EngineHeadStart.take(for: try Self.client("unix:///nonexistent/other.sock")) == nil)
    #expect(EngineHeadStart.take(for: try Self.client()) == nil)
  }
}
