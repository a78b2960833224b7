import EngineKit
import Foundation
import Testing
import TestSupport

@Suite("Engine errors are classified from the OS error, naming the endpoint")
struct EngineErrorTests {
  @Test("a socket path that does not exist is socket-missing")
  func missing() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let endpoint = try Endpoint(parsing: "unix://\(directory.file("none.sock"))", source: .flag)
    let error = await #expect(throws: EngineError.self) { try await EngineClient(endpoint: endpoint).send(.init(.GET, "/_ping")) }
    #expect(error?.kind == .socketMissing)
    #expect(error?.errno == ENOENT)
    #expect(error?.message.contains(endpoint.host) == true)
  }

  @Test("a socket file with nothing listening is connection-refused (stale socket)")
  func stale() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("stale.sock")
    // Bind a unix socket and close it without unlinking: the file stays, nobody listens.
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    #expect(bound == 0)
    close(descriptor)
    let endpoint = try Endpoint(parsing: "unix://\(path)", source: .flag)
    let error = await #expect(throws: EngineError.self) { try await EngineClient(endpoint: endpoint).send(.init(.GET, "/_ping")) }
    #expect(error?.kind == .connectionRefused)
    #expect(error?.message.contains("stale") == true)
  }

  @Test("every kind has a distinct, stable code")
  func codes() {
    let codes = EngineError.Kind.allCases.map(\.rawValue)
    #expect(Set(codes).count == codes.count)
    #expect(codes.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "-" } })
  }
}
