import JSON
import TestSupport
import Testing

/// `explain` through the built binary and over `serve`: the text's code beside the live state of a private engine.
@Suite("explain: a log's error beside the engine's state now")
struct ExplainTests {
  static let pipeError =
    #"error during connect: Get "http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.51/version": open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified."#

  @Test("the origin story's pipe error, with an engine that runs now: pipe-missing, healthy, answers now")
  func pipeErrorWithRunningEngine() async throws {
    try await withDockerDaemon { daemon in
      let run = try await PreflightRun.run(
        ["explain", "--json", Self.pipeError], environment: ["DOCKER_HOST": daemon.host])
      #expect(run.status == 0)
      let answer = try JSONValue.parse(run.standardOutput)
      #expect(answer["code"] == "pipe-missing")
      #expect(answer["endpoint"] == "npipe:////./pipe/dockerDesktopLinuxEngine")
      #expect(answer["matched"] == .string(Self.pipeError))
      #expect(answer["live"]?["healthy"] == true)
      #expect(answer["live"]?["endpoint"]?["host"] == .string(daemon.host))
      #expect(answer["now"]?.stringValue?.contains("answers now: retry") == true)
    }
  }

  @Test("a socket the text names that does not exist: socket-missing, and that socket is unreachable now")
  func missingSocketNamedInText() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let named = "unix://\(directory.file("none.sock"))"
    let text = "Cannot connect to the Docker daemon at \(named). Is the docker daemon running?"
    let run = try await PreflightRun.run(
      ["explain", "--json", "-"], environment: ["DOCKER_HOST": "unix://\(directory.file("other.sock"))"],
      input: text + "\n")
    #expect(run.status == 0)
    let answer = try JSONValue.parse(run.standardOutput)
    #expect(answer["code"] == "socket-missing")
    #expect(answer["endpoint"] == .string(named))
    #expect(answer["live"]?["status"] == "unreachable")
    #expect(answer["live"]?["endpoint"]?["host"] == .string(named))
    #expect(answer["live"]?["endpoint"]?["source"] == "named in the text")
    #expect(answer["now"]?.stringValue?.contains("still does not answer") == true)
  }

  @Test("unknown text: exit 1, code unknown, the live state still reported")
  func unknownText() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let run = try await PreflightRun.run(
      ["explain", "--json", "all", "is", "well"], environment: ["DOCKER_HOST": "unix://\(directory.file("d.sock"))"])
    #expect(run.status == 1)
    let answer = try JSONValue.parse(run.standardOutput)
    #expect(answer["code"] == "unknown")
    #expect(answer["meaning"] == "no known error in this text")
    #expect(answer["matched"] == nil)
    #expect(answer["live"]?["status"] == "unreachable")
    #expect(answer["now"]?.stringValue?.hasPrefix("No known error in this text") == true)
  }

  @Test("without --json, the code leads the answer and the now sentence follows")
  func usageAndHumanOutput() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let run = try await PreflightRun.run(
      ["explain", "docker: 'compose' is not a docker command."],
      environment: ["DOCKER_HOST": "unix://\(directory.file("d.sock"))"])
    #expect(run.status == 0)
    #expect(run.standardOutput.hasPrefix("compose-missing: "))
    #expect(run.standardOutput.contains("  now:"))
  }

  @Test("explain over serve: the same answer, and -32602 for a missing or ill-typed text")
  func overServe() async throws {
    try await withDockerDaemon { daemon in
      let session = try ServeSession(
        framing: .newlineDelimited, environment: PreflightBinary.cleanEnvironment(["DOCKER_HOST": daemon.host]))
      let methods = try await session.request("initialize")["result"]?["capabilities"]?["methods"]?.arrayValue
      #expect(methods?.contains("explain") == true)
      let answer = try #require(
        try await session.request("explain", params: ["text": .string(Self.pipeError)])["result"])
      #expect(answer["code"] == "pipe-missing")
      #expect(answer["live"]?["healthy"] == true)
      #expect(answer["now"]?.stringValue?.contains("answers now: retry") == true)
      let unknown = try await session.request("explain", params: ["text": "nothing to see"])
      #expect(unknown["result"]?["code"] == "unknown")
      #expect(unknown["result"]?["live"]?["healthy"] == true)
      #expect(try await session.finish() == 0)
    }
    let invalid = try ServeSession(framing: .newlineDelimited, captured: false)
    let missing = try await invalid.request("explain", params: [:])
    #expect(missing["error"]?["code"] == -32602)
    #expect(missing["error"]?["message"]?.stringValue?.contains("text") == true)
    let wrongType = try await invalid.request("explain", params: ["text": 42])
    #expect(wrongType["error"]?["code"] == -32602)
    #expect(try await invalid.finish() == 0)
  }
}
