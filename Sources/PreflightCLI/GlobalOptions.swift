import ArgumentParser
import EngineKit
import Logging
import Preflight

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The flags every subcommand shares, named as the docker CLI names them.
struct GlobalOptions: ParsableArguments {
  @Option(name: [.customShort("H"), .long], help: "Engine address (unix://, tcp://, ssh://, npipe://), as docker -H.")
  var host: String?

  @Option(help: "Docker context to use, as docker --context.")
  var context: String?

  @Option(
    name: .customLong("config"), help: "Docker client configuration directory (default: $DOCKER_CONFIG or ~/.docker).")
  var configDirectory: String?

  @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
  var logLevel: Logger.Level = .warning

  /// The process environment, with `--config` applied as `DOCKER_CONFIG`.
  var environment: [String: String] {
    var environment = HostEnvironment.processEnvironment
    if let configDirectory { environment["DOCKER_CONFIG"] = configDirectory }
    return environment
  }

  var resolver: EndpointResolver {
    var resolver = EndpointResolver(hostFlag: host, contextFlag: context, environment: environment)
    resolver.skippedFileHandler = ConfigurationWarnings.skipped
    return resolver
  }

  /// The configuration (built-in defaults < the file < the environment); warnings go to stderr, and an unusable
  /// value is a configuration error: exit 2.
  func loadConfiguration() throws -> PreflightConfiguration {
    do {
      let configuration = try ConfigurationLoader(environment: environment).load()
      for warning in configuration.warnings { ConfigurationWarnings.print(warning) }
      return configuration
    } catch {
      FileHandleStream.standardError.write("docker-preflight: \(error)\n")
      throw ExitCode(ExitStatus.usage)
    }
  }

  /// The endpoint the docker CLI would use; an invalid host or context is a usage error: exit 2.
  func resolveEndpoint() throws -> Endpoint {
    do {
      return try resolver.resolve()
    } catch {
      FileHandleStream.standardError.write("docker-preflight: \(error)\n")
      throw ExitCode(ExitStatus.usage)
    }
  }

  func bootstrapLogging() {
    let level = logLevel
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
  }

  func makeLogger() -> Logger {
    var logger = Logger(label: "docker-preflight")
    logger.logLevel = logLevel
    return logger
  }
}

extension GlobalOptions {
  /// The options every subcommand takes, by how they are spelt: each takes a value.
  static let names = ["-H", "--host", "--context", "--config", "--log-level"]

  /// `docker-preflight -H unix:///x check --json` as `check -H unix:///x --json`: the docker CLI takes its global
  /// options before the command, so people write them there; the parser wants them after the subcommand's name.
  /// Anything else is left as it is.
  static func movedAfterSubcommand(_ arguments: [String]) -> [String] {
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      if names.contains(argument) {
        index += 2
      } else if names.contains(where: { argument.hasPrefix($0 + "=") })
        || (argument.hasPrefix("-H") && argument.count > 2)
      {
        index += 1
      } else {
        break
      }
    }
    guard index > 0, index < arguments.count, !arguments[index].hasPrefix("-") else { return arguments }
    return [arguments[index]] + arguments[..<index] + arguments[(index + 1)...]
  }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
