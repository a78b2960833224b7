import ArgumentParser
import Testing

@testable import PreflightCLI

/// The command lines `check` and `serve` run without the argument parser hold what the parser makes of them, and
/// every other line is left to the parser.
@Suite("plain command lines")
struct PlainCommandLineTests {
  static let socket = "unix:///nonexistent/docker-preflight-plain.sock"

  @Test(
    "a plain check line makes the command the parser makes",
    arguments: [
      ["check"],
      ["check", "--json"],
      ["check", "-q", "--deep"],
      ["check", "--quiet", "-H", socket],
      ["check", "--host=\(socket)", "--json"],
      ["check", "--context", "remote", "--config", "/nonexistent/docker-config"],
    ])
  func plainCheck(arguments: [String]) throws {
    let plain = try #require(PlainCommandLine.command(arguments) as? CheckCommand)
    let parsed = try #require(try CheckCommand.parseAsRoot(Array(arguments.dropFirst())) as? CheckCommand)
    #expect(plain.json == parsed.json)
    #expect(plain.quiet == parsed.quiet)
    #expect(plain.deep == parsed.deep)
    #expect(plain.timeout.duration == parsed.timeout.duration)
    #expect(plain.probeImage == parsed.probeImage)
    #expect(plain.probeTimeout.duration == parsed.probeTimeout.duration)
    #expect(plain.devcontainer == parsed.devcontainer)
    #expect(plain.devcontainerPath == parsed.devcontainerPath)
    #expect(plain.global.host == parsed.global.host)
    #expect(plain.global.context == parsed.global.context)
    #expect(plain.global.configDirectory == parsed.global.configDirectory)
    #expect(plain.global.logLevel == parsed.global.logLevel)
  }

  @Test("a plain serve line makes the command the parser makes", arguments: [["serve"], ["serve", "-H", socket]])
  func plainServe(arguments: [String]) throws {
    let plain = try #require(PlainCommandLine.command(arguments) as? ServeCommand)
    let parsed = try #require(try ServeCommand.parseAsRoot(Array(arguments.dropFirst())) as? ServeCommand)
    #expect(plain.global.host == parsed.global.host)
    #expect(plain.global.logLevel == parsed.global.logLevel)
  }

  @Test(
    "anything else is the parser's",
    arguments: [
      ["check", "--help"],
      ["check", "--timeout", "5s"],
      ["check", "--json", "--json"],
      ["check", "-H", socket, "--host", socket],
      ["check", "-H"],
      ["check", "-H", "--json"],
      ["check", "--log-level", "debug"],
      ["check", "--devcontainer"],
      ["check", "-qj"],
      ["serve", "--json"],
      ["wait"],
      [],
    ])
  func leftToParser(arguments: [String]) {
    #expect(PlainCommandLine.command(arguments) == nil)
  }
}
