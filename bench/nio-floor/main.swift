// nio-floor SOCKET
//
// What a SwiftNIO client written the usual way costs by itself, start-up included: connects to the engine at the unix
// socket SOCKET with NIOPosix's ClientBootstrap on the singleton group and NIOHTTP1's client handlers, wrapped in an
// NIOAsyncChannel, sends `GET /version`, reads the answer to its end, and exits. Nothing else: no argument parser, no
// `_ping` or `/info`, no report. (EngineKit's one-shot `check` runs on one thread with its own inbox handler instead of
// NIOAsyncChannel: see README.md, Performance.) `make bench` runs it beside `check --json` and curl, built as
// docker-preflight is (`make release`'s flags).
import NIOCore
import NIOHTTP1
import NIOPosix

let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
  .connect(unixDomainSocketPath: CommandLine.arguments[1]) { channel in
    channel.eventLoop.makeCompletedFuture {
      try channel.pipeline.syncOperations.addHTTPClientHandlers()
      return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
    }
  }
let complete = try await channel.executeThenClose { inbound, outbound in
  var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/version")
  head.headers.add(name: "Host", value: "localhost")
  try await outbound.write(.head(head))
  try await outbound.write(.end(nil))
  for try await part in inbound {
    if case .end = part { return true }
  }
  return false
}
if !complete { fatalError("the answer ended early") }
