import JSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A JSON-lines record of every action a heal took on this machine (`$XDG_STATE_HOME/docker-preflight/actions.log`).
///
/// Each line is written with a single `write(2)` on a descriptor opened with `O_APPEND`, so concurrent writers
/// (two heals, a heal and a watch) never interleave or leave half a line. Lines carry argv, exit status, duration and
/// an output excerpt: never environment values, TLS material or credentials.
public struct ActionLog: Sendable {
  public let path: String

  public init(path: String) {
    self.path = path
  }

  /// Appends one line describing a step that ran.
  public func record(_ result: HealStepResult, endpoint: String) throws(PreflightError) {
    var entry: JSONObject = [
      "time": .string(currentTimestamp()),
      "endpoint": .string(endpoint),
      "strategy": .string(result.strategy),
      "command": .array(result.command.map(JSONValue.string)),
      "exitCode": result.exitCode.map { .int(Int64($0)) } ?? .null,
      "durationMs": .int(Int64(result.durationMs)),
      "output": .string(result.output),
      "outcome": .string(result.outcome.rawValue),
    ]
    entry["pid"] = result.pid.map { .int(Int64($0)) }
    entry["logFile"] = result.logFile.map(JSONValue.string)
    try append(.object(entry))
  }

  /// Appends the line that says a heal stopped before it finished: `reason` is the signal (`SIGTERM`) or
  /// `cancelled` (the client withdrew the request); `during` is the step that was running, whose program — when it
  /// was launched detached (`pid`) — is left running.
  public func recordInterruption(
    reason: String, during step: HealStepResult?, endpoint: String
  ) throws(PreflightError) {
    var entry: JSONObject = [
      "time": .string(currentTimestamp()),
      "endpoint": .string(endpoint),
      "outcome": "interrupted",
      "reason": .string(reason),
    ]
    entry["strategy"] = step.map { .string($0.strategy) }
    entry["pid"] = step?.pid.map { .int(Int64($0)) }
    entry["logFile"] = step?.logFile.map(JSONValue.string)
    try append(.object(entry))
  }

  /// Appends the line that says a stale file a crashed engine left was removed (or, with `failure`, could not be).
  public func recordRemoval(_ leftover: Leftover, failure: String?, endpoint: String) throws(PreflightError) {
    var entry: JSONObject = [
      "time": .string(currentTimestamp()),
      "endpoint": .string(endpoint),
      "strategy": "cleanup",
      "action": .string("remove-stale-\(leftover.kind.rawValue)"),
      "path": .string(leftover.path),
      "reason": .string(leftover.reason),
      "outcome": failure == nil ? "removed" : "failed",
    ]
    entry["pid"] = leftover.pid.map { .int(Int64($0)) }
    entry["error"] = failure.map(JSONValue.string)
    try append(.object(entry))
  }

  func append(_ value: JSONValue) throws(PreflightError) {
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
      try makePrivateDirectory(String(path[..<slash]))
    }
    var line = value.serialized()
    line.append(UInt8(ascii: "\n"))
    let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw .stateUnavailable(path: path, reason: "cannot open the action log: \(errnoText())")
    }
    defer { close(descriptor) }
    // One write for the whole line: O_APPEND makes it land at the end in one piece.
    var written: Int
    repeat {
      written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    } while written < 0 && errno == EINTR
    guard written == line.count else {
      let reason = written < 0 ? errnoText() : "only \(written) of \(line.count) bytes were written"
      throw .stateUnavailable(path: path, reason: "cannot append to the action log: \(reason)")
    }
  }
}
