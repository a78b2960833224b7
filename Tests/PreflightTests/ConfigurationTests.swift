import Foundation
import TestSupport
import Testing

@testable import Preflight

@Suite("Configuration: defaults < file < environment")
struct ConfigurationTests {
  /// A configuration directory with `config.json` holding `contents`, and the environment that points at it;
  /// the directory goes when the test does.
  final class Home: Sendable {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory(prefix: "cfg") }
    deinit { directory.remove() }
  }

  let home: Home

  init() throws { home = try Home() }

  func environment(file contents: String?, _ extra: [String: String] = [:]) throws -> ([String: String], String) {
    let directory = home.directory
    let file = directory.file("docker-preflight/config.json")
    if let contents { _ = try directory.write(contents, to: "docker-preflight/config.json") }
    return (["HOME": directory.path, "XDG_CONFIG_HOME": directory.path].merging(extra) { $1 }, file)
  }

  @Test("no file: the built-in defaults")
  func defaults() throws {
    let (environment, _) = try environment(file: nil)
    let configuration = try ConfigurationLoader(environment: environment).load()
    #expect(configuration == PreflightConfiguration())
    #expect(configuration.timeout == .seconds(90))
    #expect(configuration.file == nil)
  }

  @Test("the file's values are read, and the environment overrides them")
  func precedence() throws {
    let file = """
      {"startCommand": ["colima", "start"], "heal": {"allow": true, "strategies": ["colima"]}, "timeout": "30s",
       "minApiVersion": "1.41", "probeImage": "busybox:latest", "dockerPath": "/usr/bin/docker"}
      """
    let (plain, path) = try environment(file: file)
    let fromFile = try ConfigurationLoader(environment: plain).load()
    #expect(fromFile.startCommand == ["colima", "start"])
    #expect(fromFile.healAllowed)
    #expect(fromFile.healStrategies == ["colima"])
    #expect(fromFile.timeout == .seconds(30))
    #expect(fromFile.minApiVersion == "1.41")
    #expect(fromFile.probeImage == "busybox:latest")
    #expect(fromFile.dockerPath == "/usr/bin/docker")
    #expect(fromFile.file == path)

    let (overridden, _) = try environment(
      file: file,
      ["PREFLIGHT_START_COMMAND": #"["orb","start"]"#, "PREFLIGHT_HEAL": "0", "PREFLIGHT_TIMEOUT": "2m"])
    let fromEnvironment = try ConfigurationLoader(environment: overridden).load()
    #expect(fromEnvironment.startCommand == ["orb", "start"])
    #expect(!fromEnvironment.healAllowed)
    #expect(fromEnvironment.timeout == .seconds(120))
    #expect(fromEnvironment.minApiVersion == "1.41")
  }

  @Test("PREFLIGHT_CONFIG names another file; a named file that is missing is an error")
  func namedFile() throws {
    let directory = try TemporaryDirectory(prefix: "cfg")
    defer { directory.remove() }
    let other = try directory.write(#"{"timeout": 5}"#, to: "other.json")
    let configuration = try ConfigurationLoader(environment: ["HOME": directory.path, "PREFLIGHT_CONFIG": other]).load()
    #expect(configuration.timeout == .seconds(5))
    #expect(configuration.file == other)

    let missing = directory.file("missing.json")
    let error = #expect(throws: PreflightError.self) {
      try ConfigurationLoader(environment: ["HOME": directory.path, "PREFLIGHT_CONFIG": missing]).load()
    }
    #expect(error?.description.contains(missing) == true)
  }

  @Test(
    "a malformed file is an error naming the file, the key and what was expected",
    arguments: [
      (#"{"timeout": true}"#, #""timeout""#, "expected a duration"),
      (#"{"timeout": "soon"}"#, #""timeout""#, #"found "soon""#),
      (#"{"startCommand": "colima start"}"#, #""startCommand""#, "array of strings"),
      (#"{"startCommand": []}"#, #""startCommand""#, "non-empty array"),
      (#"{"startCommand": ["colima", 1]}"#, #""startCommand""#, "found integer"),
      (#"{"heal": {"allow": "yes"}}"#, #""heal.allow""#, "true or false"),
      (#"{"heal": true}"#, #""heal""#, "expected an object"),
      (#"{"minApiVersion": "v1"}"#, #""minApiVersion""#, "API version"),
      (#"{"probeImage": ""}"#, #""probeImage""#, "non-empty string"),
      (#"{"timeout": "90s""#, "not valid JSON", "line 1"),
      (#"["colima"]"#, "expected a JSON object", "found array"),
    ])
  func malformed(contents: String, key: String, expected: String) throws {
    let (environment, file) = try environment(file: contents)
    let error = #expect(throws: PreflightError.self) { try ConfigurationLoader(environment: environment).load() }
    let message = error?.description ?? ""
    #expect(message.hasPrefix(file))
    #expect(message.contains(key))
    #expect(message.contains(expected))
  }

  @Test(
    "a file at the default place that this user may not read is a warning naming it and the errno; a named one is not",
    arguments: [
      (EACCES, false, "EACCES"), (EPERM, false, "EPERM"), (EACCES, true, nil), (EISDIR, false, nil),
      (EIO, false, nil),
    ] as [(Int32, Bool, String?)])
  func unreadableFile(error: Int32, named: Bool, errorName: String?) {
    let file = "/root/.config/docker-preflight/config.json"
    let warning = ConfigurationLoader.skipping(file, failing: error, named: named)
    if let errorName {
      #expect(warning?.hasPrefix("cannot read \(file): ") == true)
      #expect(warning?.contains("(\(errorName))") == true)
    } else {
      #expect(warning == nil)
    }
  }

  @Test("a file at the default place that cannot be read for another reason (a directory) stays an error")
  func directoryInsteadOfFile() throws {
    let (environment, file) = try environment(file: nil)
    try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: true)
    let error = #expect(throws: PreflightError.self) { try ConfigurationLoader(environment: environment).load() }
    #expect(error?.description.hasPrefix(file) == true)
    #expect(error?.description.contains("cannot be read") == true)
  }

  @Test("unknown keys are warned about, not fatal")
  func unknownKeys() throws {
    let (environment, file) = try environment(file: #"{"timeout": "10s", "colour": "blue", "heal": {"ask": 1}}"#)
    let configuration = try ConfigurationLoader(environment: environment).load()
    #expect(configuration.timeout == .seconds(10))
    #expect(
      configuration.warnings == [
        #"\#(file): unknown key "colour" (ignored)"#, #"\#(file): unknown key "heal.ask" (ignored)"#,
      ])
  }

  @Test(
    "environment values that cannot be used name their variable",
    arguments: [
      ("PREFLIGHT_START_COMMAND", "colima start", "JSON array"),
      ("PREFLIGHT_START_COMMAND", #"{"a": 1}"#, "array of strings"),
      ("PREFLIGHT_HEAL", "maybe", "expected 1"),
      ("PREFLIGHT_TIMEOUT", "forever", "duration"),
    ])
  func badEnvironment(variable: String, value: String, expected: String) throws {
    let (environment, _) = try environment(file: nil, [variable: value])
    let error = #expect(throws: PreflightError.self) { try ConfigurationLoader(environment: environment).load() }
    #expect(error?.description.contains("environment variable \(variable)") == true)
    #expect(error?.description.contains(expected) == true)
  }
}
