import EngineKit
import JSON
import JSONRPC
import PreflightServer
import Testing

@Suite("PreflightServer's method table")
struct MethodTableTests {
  @Test("the server answers the protocol's methods")
  func methods() {
    let methods = PreflightServer(resolver: EndpointResolver(environment: [:])).methods.requestMethods
    #expect(methods.contains("diagnose"))
    #expect(methods.contains("heal"))
    #expect(methods.contains("initialize"))
  }
}
