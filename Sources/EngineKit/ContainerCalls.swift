import JSON

/// A short-lived container for a check: what to run, labelled, without a network.
public struct ProbeContainer: Sendable, Hashable {
  public var image: String
  public var command: [String]
  public var labels: [String: String]

  public init(image: String, command: [String], labels: [String: String] = [:]) {
    self.image = image
    self.command = command
    self.labels = labels
  }
}

/// An image the engine has: its ID and the platform it was built for.
public struct LocalImage: Sendable, Hashable {
  public var id: String
  public var os: String?
  public var architecture: String?
}

/// Container and image calls, in the negotiated API version. An engine's refusal is a `request-failed` error that
/// carries the engine's own message.
extension EngineSession {
  /// `GET /images/{name}/json`: the image's ID when the engine has it locally, `nil` when it does not. Never pulls.
  public func localImageID(_ reference: String, timeout: Duration? = nil) async throws -> String? {
    try await localImage(reference, timeout: timeout)?.id
  }

  /// `GET /images/{name}/json`: the image as the engine has it locally, `nil` when it does not. Never pulls.
  public func localImage(_ reference: String, timeout: Duration? = nil) async throws -> LocalImage? {
    let response = try await send(
      EngineRequest(.GET, try await versioned("/images/\(Self.pathComponent(reference))/json")), timeout: timeout)
    if response.status == 404 { return nil }
    try expect(response, 200, doing: "inspect the image \(reference)")
    let image = try answer(response, doing: "inspect the image \(reference)")
    return LocalImage(
      id: image["Id"]?.stringValue ?? reference, os: image["Os"]?.stringValue,
      architecture: image["Architecture"]?.stringValue)
  }

  /// `POST /containers/create` with networking off (`NetworkMode: none`); the new container's ID.
  public func createContainer(_ container: ProbeContainer, timeout: Duration? = nil) async throws -> String {
    let labels = JSONObject(container.labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
    let body: JSONValue = [
      "Image": .string(container.image),
      "Cmd": .array(container.command.map(JSONValue.string)),
      "Labels": .object(labels),
      "NetworkDisabled": true,
      "HostConfig": ["NetworkMode": "none"],
    ]
    let response = try await send(
      EngineRequest(.POST, try await versioned("/containers/create"), body: body.serialized()), timeout: timeout)
    try expect(response, 201, doing: "create a container from \(container.image)")
    guard let id = try answer(response, doing: "create a container")["Id"]?.stringValue else {
      throw failure("create a container from \(container.image)", response, detail: "the answer has no Id")
    }
    return id
  }

  /// `POST /containers/{id}/start`; an already running container is fine.
  public func startContainer(_ id: String, timeout: Duration? = nil) async throws {
    let response = try await send(
      EngineRequest(.POST, try await versioned("/containers/\(Self.pathComponent(id))/start")), timeout: timeout)
    if response.status == 304 { return }
    try expect(response, 204, doing: "start the container \(id.prefix(12))")
  }

  /// `POST /containers/{id}/wait`: blocks until the container has stopped, and returns its exit status.
  public func waitForContainer(_ id: String, timeout: Duration? = nil) async throws -> Int {
    // `condition` exists from API 1.30; before it, waiting means "until not running", which is the default since.
    let condition = try await negotiateAPIVersion() >= APIVersion(1, 30) ? "?condition=not-running" : ""
    let path = try await versioned("/containers/\(Self.pathComponent(id))/wait\(condition)")
    let response = try await send(EngineRequest(.POST, path), timeout: timeout)
    try expect(response, 200, doing: "wait for the container \(id.prefix(12))")
    let answer = try answer(response, doing: "wait for the container")
    if let message = answer["Error"]?["Message"]?.stringValue, !message.isEmpty {
      throw failure("wait for the container \(id.prefix(12))", response, detail: message)
    }
    guard let status = answer["StatusCode"]?.intValue else {
      throw failure("wait for the container \(id.prefix(12))", response, detail: "the answer has no StatusCode")
    }
    return Int(status)
  }

  /// `DELETE /containers/{id}?force=1`: removes it, running or not; one that is already gone is fine.
  public func removeContainer(_ id: String, timeout: Duration? = nil) async throws {
    let path = try await versioned("/containers/\(Self.pathComponent(id))?force=1&v=1")
    let response = try await send(EngineRequest(.DELETE, path), timeout: timeout)
    if response.status == 404 { return }
    try expect(response, 204, doing: "remove the container \(id.prefix(12))")
  }

  private func expect(_ response: EngineResponse, _ status: Int, doing action: String) throws {
    guard response.status != status else { return }
    let message = (try? JSONValue.parse(response.body))?["message"]?.stringValue
    throw failure(action, response, detail: message ?? String(response.bodyText.prefix(200)))
  }

  private func answer(_ response: EngineResponse, doing action: String) throws -> JSONValue {
    do {
      return try JSONValue.parse(response.body)
    } catch {
      throw failure(action, response, detail: "the answer is not JSON: \(error)")
    }
  }

  private func failure(_ action: String, _ response: EngineResponse, detail: String) -> EngineError {
    EngineError(
      kind: .requestFailed, endpoint: endpoint.host,
      message: "the engine at \(endpoint.host) could not \(action) (HTTP \(response.status)): \(detail)",
      recommendation: "See the engine's message; `docker info` and the daemon's logs tell more")
  }

  /// Percent-encodes what may not appear in a path segment; `/` and `:` stay, as image references use them.
  static func pathComponent(_ text: String) -> String {
    var encoded = ""
    for byte in text.utf8 {
      let character = Character(Unicode.Scalar(byte))
      if byte < 0x80 && (character.isLetter || character.isNumber || "-._~/:@".contains(character)) {
        encoded.append(character)
      } else {
        let hex = Array("0123456789ABCDEF")
        encoded += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0x0f)])"
      }
    }
    return encoded
  }
}
