import JSON

/// Sends `$/progress` notifications for one work-done token, as LSP's work-done progress does:
/// one `begin`, any number of `report`, one `end`.
public struct ProgressReporter: Sendable {
  public let token: JSONValue
  let client: ClientChannel

  public func begin(title: String, message: String? = nil, percentage: Int? = nil, cancellable: Bool? = nil) async {
    var value: JSONObject = ["kind": "begin", "title": .string(title)]
    value["cancellable"] = cancellable.map(JSONValue.bool)
    value["message"] = message.map(JSONValue.string)
    value["percentage"] = percentage.map { .int(Int64($0)) }
    await send(value)
  }

  /// `details` are added to the value as they are: fields beyond LSP's, for clients that know them (LSP clients
  /// ignore unknown fields).
  public func report(message: String? = nil, percentage: Int? = nil, details: JSONObject = [:]) async {
    var value: JSONObject = ["kind": "report"]
    value["message"] = message.map(JSONValue.string)
    value["percentage"] = percentage.map { .int(Int64($0)) }
    for (key, detail) in details { value[key] = detail }
    await send(value)
  }

  public func end(message: String? = nil, details: JSONObject = [:]) async {
    var value: JSONObject = ["kind": "end"]
    value["message"] = message.map(JSONValue.string)
    for (key, detail) in details { value[key] = detail }
    await send(value)
  }

  private func send(_ value: JSONObject) async {
    await client.notify("$/progress", params: ["token": token, "value": .object(value)])
  }
}
