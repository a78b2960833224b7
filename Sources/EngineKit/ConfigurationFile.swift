import JSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The docker CLI's JSON files (`config.json`, a context's `meta.json`): read whole up to a size bound, parsed,
/// and looked into as Go reads them. Every error names the file, and the key when one is at fault.
enum ConfigurationFile {
  /// The top-level object of the file at `path`; `nil` when there is no such file. With `skipping`, a file this
  /// user may not read is also `nil`, handed to `skipping`; without it, that is an error.
  static func fields(
    at path: String, limit: Int, skipping: ((SkippedConfigurationFile) -> Void)? = nil
  ) throws(EndpointError) -> GoJSONFields? {
    let bytes: [UInt8]
    do {
      bytes = try BoundedFile.read(path, limit: limit)
    } catch .system(ENOENT) {
      return nil
    } catch {
      if let skipping, let skipped = SkippedConfigurationFile.skipping(error, path: path) {
        skipping(skipped)
        return nil
      }
      throw .unreadableFile(path: path, reason: error.reason)
    }
    let document: JSONValue
    do {
      document = try JSONValue.parse(bytes, limits: JSONLimits(maxBytes: limit))
    } catch {
      throw .malformedFile(path: path, key: nil, reason: "not valid JSON: \(error)")
    }
    guard document.objectValue != nil else {
      throw .malformedFile(path: path, key: nil, reason: "must hold a JSON object, not \(document.typeName)")
    }
    return GoJSONFields(document: document, path: path)
  }
}

/// Fields of a JSON object looked up as Go's `encoding/json` does: the exact key first, else one that differs only
/// in case. Type errors name the file and the key path.
struct GoJSONFields {
  let object: JSONObject?
  let path: String
  let keyPath: String

  init(document: JSONValue, path: String, keyPath: String = "") {
    self.object = document.objectValue
    self.path = path
    self.keyPath = keyPath
  }

  private func value(_ key: String) -> JSONValue? {
    guard let object else { return nil }
    if let exact = object[key] { return exact }
    let lowered = key.lowercased()
    return object.first { $0.key.lowercased() == lowered }?.value
  }

  private func fullKey(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

  private func mismatch(_ key: String, _ expected: String, _ found: JSONValue) -> EndpointError {
    .malformedFile(path: path, key: fullKey(key), reason: "must be \(expected), not \(found.typeName)")
  }

  func string(_ key: String) throws(EndpointError) -> String? {
    guard let found = value(key), !found.isNull else { return nil }
    guard let text = found.stringValue else { throw mismatch(key, "a string", found) }
    return text
  }

  func bool(_ key: String) throws(EndpointError) -> Bool? {
    guard let found = value(key), !found.isNull else { return nil }
    guard let flag = found.boolValue else { throw mismatch(key, "true or false", found) }
    return flag
  }

  func object(_ key: String) throws(EndpointError) -> GoJSONFields? {
    guard let found = value(key), !found.isNull else { return nil }
    guard found.objectValue != nil else { throw mismatch(key, "an object", found) }
    return GoJSONFields(document: found, path: path, keyPath: fullKey(key))
  }
}
