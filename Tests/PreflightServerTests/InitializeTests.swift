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
    for method in ["waitReady", "watch", "unwatch"] { #expect(methods.contains(method)) }
  }

  @Test(
    "a client asks in initialize for requests in flight to be cancelled at the end of its input",
    arguments: [
      (#"{"initializationOptions":{"cancelOnEndOfInput":true}}"#, true),
      (#"{"initializationOptions":{"cancelOnEndOfInput":false}}"#, false), (#"{}"#, false), ("null", false),
      (#"{"initializationOptions":[]}"#, false),
    ])
  func cancelOnEndOfInput(params: String, cancels: Bool) throws {
    let value = try JSONValue.parse(params)
    #expect(PreflightServer.cancelsInFlightAtEndOfInput(value.isNull ? nil : value) == cancels)
  }
}
