import EngineKit

/// With `deep`: runs `true` in a container from the probe image, without a network, and expects it to exit 0. The
/// image must already be there (a diagnosis never pulls); the container is removed whatever happens, on a
/// connection of its own so that a timed-out run is cleaned up too.
struct SmokeCheck: DiagnosticCheck {
  let id = "smoke"
  /// Marks probe containers, so that one left behind (the process was killed) can be recognised.
  static let label = "org.docker-preflight.probe"
  static let command = ["true"]
  /// Removal is bounded apart from the run: a container that outlived its run still has to go.
  static let removalTimeout = Duration.seconds(10)

  func run(_ state: inout DiagnosisState) async -> CheckResult {
    let options = state.options
    guard options.deep else { return .skip("not asked for (--deep)") }
    guard let image = options.probeImage, !image.isEmpty else {
      return .skip("no probe image given (--probe-image IMAGE, one already present on the engine)")
    }
    guard state.isReachable else { return .skip("the engine is not reachable") }
    guard state.apiVersion != nil else { return .skip("the engine's API is older than the minimum") }

    let client = options.client(for: state.endpoint)
    let clock = ContinuousClock()
    let started = clock.now
    let deadline = started + options.probeTimeout
    func remaining() -> Duration { max(deadline - clock.now, .milliseconds(1)) }
    var containerID: String?
    let outcome: Result<Int?, EngineError>
    do {
      outcome = .success(
        try await client.withSession { session -> Int? in
          guard try await session.localImageID(image, timeout: remaining()) != nil else { return nil }
          let probe = ProbeContainer(image: image, command: Self.command, labels: [Self.label: "smoke"])
          let id = try await session.createContainer(probe, timeout: remaining())
          containerID = id
          try await session.startContainer(id, timeout: remaining())
          return try await session.waitForContainer(id, timeout: remaining())
        })
    } catch {
      outcome = .failure(error)
    }
    let elapsed = clock.now - started

    var leftBehind: EngineError?
    if let containerID {
      do {
        try await client.withSession { try await $0.removeContainer(containerID, timeout: Self.removalTimeout) }
      } catch {
        leftBehind = error
      }
    }
    return result(
      outcome, image: image, elapsed: elapsed, bound: options.probeTimeout, leftBehind: leftBehind,
      containerID: containerID)
  }

  private func result(
    _ outcome: Result<Int?, EngineError>, image: String, elapsed: Duration, bound: Duration, leftBehind: EngineError?,
    containerID: String?
  ) -> CheckResult {
    var issues: [HealthReport.Issue] = []
    if let leftBehind, let containerID {
      issues.append(
        HealthReport.Issue(
          code: "probe-container-left",
          message: "the probe container \(containerID.prefix(12)) could not be removed: "
            + leftBehind.message,
          recommendation: "Remove it by hand: docker rm -f \(containerID.prefix(12))"))
    }
    switch outcome {
    case .success(nil):
      return .skip("the image \(image) is not present on the engine (a diagnosis never pulls it)")
    case .success(0?):
      let summary = "a container from \(image) ran `true` and exited 0 in \(elapsed.milliseconds) ms"
      return CheckResult(issues.isEmpty ? .pass : .warn, summary, issues: issues)
    case .success(let status?):
      let issue = HealthReport.Issue(
        code: "smoke-test-failed", message: "a container from \(image) ran `true` and exited with status \(status)",
        recommendation: "Run `docker run --rm --network none \(image) true` to see the failure; check the "
          + "engine's runtime and storage")
      return CheckResult(.fail, issue.message, issues: [issue] + issues)
    case .failure(let error) where error.kind == .timeout:
      let issue = HealthReport.Issue(
        code: error.code,
        message: "the smoke test (create, start and wait for a container from \(image)) did not finish within "
          + bound.readable,
        recommendation: "The engine is slow to run containers; check its load and logs, or allow longer")
      return CheckResult(.fail, issue.message, issues: [issue] + issues)
    case .failure(let error):
      return CheckResult(.fail, error.message, issues: [HealthReport.Issue(error)] + issues)
    }
  }
}
