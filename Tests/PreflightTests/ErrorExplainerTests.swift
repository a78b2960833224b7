import Testing

@testable import Preflight

@Suite("explain: a raw error line to its issue code")
struct ErrorExplainerTests {
  let explainer = ErrorExplainer()

  @Test("each real error line is explained with its code and the address it names", arguments: ErrorCorpus.lines)
  func corpusLine(_ line: CorpusLine) {
    let explanation = explainer.explain(line.text)
    #expect(explanation.code == line.code)
    #expect(explanation.endpoint == line.endpoint)
    #expect(explanation.matched == line.text)
  }

  @Test("the corpus covers at least 40 classes, and every class the table knows")
  func corpusCoversTheTable() {
    let covered = Set(ErrorCorpus.lines.map(\.code))
    #expect(covered.count >= 40)
    #expect(Set(ExplanationRule.table.map(\.code)) == covered)
  }

  @Test("codes are stable kebab-case and unique")
  func codesAreKebabCase() {
    let codes = ExplanationRule.table.map(\.code)
    #expect(Set(codes).count == codes.count)
    for code in codes {
      #expect(code.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(code)")
    }
  }

  @Test("text with no known error is unknown, and says so")
  func unknownText() {
    let explanation = explainer.explain("Step 3/7 : RUN apt-get update\nhello world")
    #expect(explanation.code == "unknown")
    #expect(explanation.matched == nil)
    #expect(explanation.meaning == "no known error in this text")
  }

  @Test("in a Dev Containers log, the docker error is picked over the wrapper's line")
  func multiLineLog() {
    let log = """
      [2026-11-26T10:02:11.402Z] Start: Run: docker ps -q -a --filter label=devcontainer.local_folder=/home/dev/app
      [2026-11-26T10:02:11.498Z] Error: Command failed: docker ps -q -a --filter label=devcontainer.local_folder=/home/dev/app
      [2026-11-26T10:02:11.498Z]     at E (/home/dev/.vscode-server/extensions/ms-vscode-remote.remote-containers/dist/spec-node/devContainersSpecCLI.js:464:1918)
      [2026-11-26T10:02:11.499Z] error during connect: Get "http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.47/containers/json?all=1": open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified.
      [2026-11-26T10:02:11.500Z] Exit code 1
      """
    let explanation = explainer.explain(log)
    #expect(explanation.code == "pipe-missing")
    #expect(explanation.matched?.contains("open //./pipe/dockerDesktopLinuxEngine") == true)
    #expect(explanation.endpoint == "npipe:////./pipe/dockerDesktopLinuxEngine")
  }

  @Test("the most specific error wins over a general one on an earlier line")
  func specificOverGeneral() {
    let log = """
      Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unknown
      failed to register layer: write /usr/lib/libLLVM.so: no space left on device
      """
    #expect(explainer.explain(log).code == "low-disk-space")
  }

  @Test("an address named anywhere in the text is kept when the matched line names none")
  func endpointFromAnotherLine() {
    let log = """
      Context: default, host unix:///run/user/1000/docker.sock
      Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))
      """
    let explanation = explainer.explain(log)
    #expect(explanation.code == "socket-missing")
    #expect(explanation.endpoint == "unix:///run/user/1000/docker.sock")
  }

  @Test("the now sentence compares the text with the live state")
  func nowSentence() {
    let explanation = explainer.explain(
      "open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified.")
    var report = HealthReport(
      timestamp: "2026-11-26T10:00:00.000Z", healthy: true, status: .ready,
      endpoint: .init(host: "unix:///run/docker.sock", source: "env DOCKER_HOST", transport: "unix"),
      daemonAccessible: true, checks: [], issues: [], recommendations: [], durationMs: 1)
    #expect(ExplainedError(explanation, live: report).now.contains("answers now: retry"))
    report.healthy = false
    report.status = .unreachable
    report.issues = [.init(code: "socket-missing", message: "the socket is gone", recommendation: "start it")]
    let now = ExplainedError(explanation, live: report).now
    #expect(now.contains("still does not answer: the socket is gone; docker-preflight heal starts it"))
    #expect(now.hasPrefix("The text says the engine's named pipe was missing"))
  }
}
