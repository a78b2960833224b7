import EngineKit
import Testing

/// Windows is not available here: these feed the classifier what Windows and the docker CLI report (fixtures).
@Suite("Windows named pipes (fixture)")
struct NamedPipeFixtureTests {
  @Test("fixture: the origin error means Docker Desktop or its Linux engine is not running")
  func originError() throws {
    let message =
      "error during connect: this error may indicate that the docker daemon is not running: Get "
      + "\"http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.47/version\": open //./pipe/dockerDesktopLinuxEngine: "
      + "The system cannot find the file specified."
    let error = try #require(NamedPipeFailure.classify(dockerCLIMessage: message))
    #expect(error.kind == .pipeMissing)
    #expect(error.errno == 2)
    #expect(error.endpoint == "npipe:////./pipe/dockerDesktopLinuxEngine")
    #expect(error.message.contains("Docker Desktop is not running, or its Linux engine has not started"))
    #expect(error.recommendation.contains("docker desktop start"))
  }

  @Test("fixture: ERROR_FILE_NOT_FOUND on the generic engine pipe has its own wording")
  func genericPipe() {
    let error = NamedPipeFailure.classify(
      windowsError: 2, pipe: "//./pipe/docker_engine", endpoint: "npipe:////./pipe/docker_engine")
    #expect(error.kind == .pipeMissing)
    #expect(error.message.contains("no Docker engine is listening on //./pipe/docker_engine"))
    #expect(error.recommendation.contains("Start-Service docker"))
  }

  @Test(
    "fixture: other Windows errors on a pipe",
    arguments: [
      (5 as UInt32, EngineError.Kind.permissionDenied), (231, .timeout), (121, .timeout), (87, .protocolError),
    ])
  func otherErrors(code: UInt32, kind: EngineError.Kind) {
    let error = NamedPipeFailure.classify(
      windowsError: code, pipe: "//./pipe/dockerDesktopLinuxEngine",
      endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine")
    #expect(error.kind == kind)
    #expect(error.errno == Int32(code))
  }

  @Test(
    "fixture: messages that are not a pipe failure are not claimed",
    arguments: [
      "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      "open //./pipe/dockerDesktopLinuxEngine: something else entirely",
    ])
  func unrelated(message: String) {
    #expect(NamedPipeFailure.classify(dockerCLIMessage: message) == nil)
  }

  #if !os(Windows)
    @Test("an npipe:// endpoint on this host is an unsupported transport, explained")
    func notWindows() async throws {
      let endpoint = try Endpoint(parsing: "npipe:////./pipe/dockerDesktopLinuxEngine", source: .environment)
      let error = await #expect(throws: EngineError.self) {
        try await EngineClient(endpoint: endpoint).send(.init(.GET, "/_ping"))
      }
      #expect(error?.kind == .unsupportedTransport)
      #expect(error?.message.contains("named pipes exist only on Windows") == true)
    }
  #endif
}
