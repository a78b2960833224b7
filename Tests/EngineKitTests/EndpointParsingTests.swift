import EngineKit
import Testing

@Suite("Endpoint addresses, as the docker CLI writes them")
struct EndpointParsingTests {
  @Test(
    "addresses parse into transports",
    arguments: [
      ("unix:///var/run/docker.sock", Transport.unix(path: "/var/run/docker.sock")),
      ("/run/user/1000/docker.sock", .unix(path: "/run/user/1000/docker.sock")),
      ("tcp://127.0.0.1:2376", .tcp(host: "127.0.0.1", port: 2376)),
      ("tcp://docker.example", .tcp(host: "docker.example", port: 2375)),
      ("tcp://[::1]:2375", .tcp(host: "::1", port: 2375)),
      ("ssh://me@build.example:2222", .ssh(user: "me", host: "build.example", port: 2222)),
      ("ssh://build.example", .ssh(user: nil, host: "build.example", port: nil)),
      ("npipe:////./pipe/dockerDesktopLinuxEngine", .namedPipe(path: "//./pipe/dockerDesktopLinuxEngine")),
    ])
  func parses(host: String, transport: Transport) throws {
    #expect(try Transport(parsing: host) == transport)
  }

  @Test(
    "white space around an address (a DOCKER_HOST from a file, a pasted line) is not part of it",
    arguments: [" unix:///x.sock", "unix:///x.sock\n", "\t unix:///x.sock \r\n", "\u{00A0}unix:///x.sock\u{2003}"])
  func trims(host: String) throws {
    let endpoint = try Endpoint(parsing: host, source: .environment)
    #expect(endpoint.host == "unix:///x.sock")
    #expect(endpoint.transport == .unix(path: "/x.sock"))
  }

  @Test(
    "bad addresses are refused with the reason",
    arguments: [
      ("docker.sock", "no scheme"), ("foo://x", "not one the docker CLI supports"), ("tcp://:2375", "host name is empty"),
      ("tcp://h:99999", "not a port number"), ("tcp://h:abc", "not a port number"), ("unix://", "socket path is empty"),
      ("tcp://h\r\nX-Injected: 1:2375", "a space or a control character"), ("ssh://user@h\tx", "control character"),
    ])
  func refuses(host: String, reason: String) {
    #expect {
      try Transport(parsing: host)
    } throws: { error in
      guard case EndpointError.invalidHost(let named, let message) = error else { return false }
      return named == host && message.contains(reason)
    }
  }

  @Test("the resolver prefers -H to DOCKER_HOST, and DOCKER_HOST to the default")
  func precedence() throws {
    let environment = ["DOCKER_HOST": "unix:///env.sock"]
    #expect(try EndpointResolver(hostFlag: "unix:///flag.sock", environment: environment).resolve().source == .flag)
    let fromEnvironment = try EndpointResolver(environment: environment).resolve()
    #expect(fromEnvironment.source == .environment)
    #expect(fromEnvironment.transport == .unix(path: "/env.sock"))
    #expect(try EndpointResolver(environment: [:]).resolve() == EndpointResolver.platformDefault)
  }
}
