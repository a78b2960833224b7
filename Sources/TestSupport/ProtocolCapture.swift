import Foundation
import JSON
import Testing

/// Records what one `serve` session exchanges, for `protocol/tools/validate_capture.py`: when
/// `PREFLIGHT_PROTOCOL_CAPTURE` names a directory, each session appends one JSON line per message to a file of its
/// own there: `{"direction": "client-to-server" | "server-to-client", "message": …, "test": …}`.
///
/// `make test` sets the variable for `swift test` and validates the directory afterwards, so that every message the
/// server sends in the tests is checked against the protocol's schemas.
public final class ProtocolCapture: @unchecked Sendable {
  public enum Direction: String, Sendable {
    case clientToServer = "client-to-server"
    case serverToClient = "server-to-client"
  }

  /// The variable that turns capturing on.
  public static let environmentVariable = "PREFLIGHT_PROTOCOL_CAPTURE"

  private let lock = NSLock()
  private let file: UnsafeMutablePointer<FILE>
  private let test: String

  /// `nil` when capturing is off (or the directory cannot be used: capturing must never fail a test by itself; the
  /// validator fails the run when nothing was captured).
  public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
    guard let directory = environment[Self.environmentVariable], !directory.isEmpty else { return nil }
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = "\(directory)/\(getpid())-\(UUID().uuidString).jsonl"
    guard let file = fopen(path, "a") else { return nil }
    self.file = file
    test = Test.current.map { "\($0.displayName ?? $0.name) [\($0.sourceLocation.fileName)]" } ?? "(no test)"
  }

  deinit { fclose(file) }

  public func record(_ direction: Direction, _ message: JSONValue) {
    let line: JSONValue = ["direction": .string(direction.rawValue), "message": message, "test": .string(test)]
    var bytes = line.serialized()
    bytes.append(UInt8(ascii: "\n"))
    lock.lock()
    defer { lock.unlock() }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fflush(file)
  }
}
