import DevContainer
import TestSupport
import Testing

/// The Compose files a devcontainer.json names, read as YAML (libyaml) and merged as `docker compose -f … -f …` does.
@Suite("Compose files")
struct ComposeProjectTests {
  typealias Port = DevContainerConfiguration.PublishedPort

  /// Writes `files` (name, text) into a fresh folder and loads the `.yml` ones in order.
  func load(_ files: [(String, String)], environment: [String: String] = [:]) throws -> (
    ComposeProject, TemporaryDirectory
  ) {
    let folder = try TemporaryDirectory(prefix: "compose")
    let paths = try files.map { try folder.write($0.1, to: $0.0) }.filter { $0.hasSuffix(".yml") }
    do {
      return (try ComposeProject.load(paths, environment: environment), folder)
    } catch {
      folder.remove()
      throw error
    }
  }

  /// The error `ComposeProject.load` throws for one file holding `text`, with the file's path.
  func loadError(_ text: String) throws -> (DevContainerError?, String) {
    let folder = try TemporaryDirectory(prefix: "compose")
    defer { folder.remove() }
    let path = try folder.write(text, to: "compose.yml")
    do {
      _ = try ComposeProject.load([path], environment: [:])
      return (nil, path)
    } catch {
      return (error, path)
    }
  }

  @Test(
    "services are found in block and flow style, with quoted keys, and none in an empty file",
    arguments: [
      ("services:\n  app:\n    image: x\n  \"db\":\n    image: y\n  'cache': {}\n", ["app", "db", "cache"]),
      ("services: {app: {image: x}, \"db\": {image: y}}\n", ["app", "db"]),
      ("{\"services\": {\"app\": {\"image\": \"x\"}}}\n", ["app"]),
      ("# comment\nversion: '3.8'\nservices:\n  # a comment\n  app:\n  web: ~\nvolumes: {data: {}}\n", ["app", "web"]),
      ("x-common: &common\n  image: x\nservices:\n  app:\n    <<: *common\n", ["app"]),
      ("", []),
      ("volumes: {}\n", []),
    ])
  func serviceNames(text: String, names: [String]) throws {
    let (project, folder) = try load([("compose.yml", text)])
    defer { folder.remove() }
    #expect(project.serviceNames == names)
  }

  @Test("anchors, aliases and merge keys: a service's ports from an alias and from a merged mapping")
  func anchorsAndMerges() throws {
    let (project, folder) = try load([
      (
        "compose.yml",
        """
        x-ports: &ports
          - "8080:80"
        x-base: &base
          image: x
          ports: *ports
        x-extra: &extra
          ports: ["9999:99"]
          restart: always
        services:
          app:
            <<: *base
          web:
            <<: [*base, *extra]
            image: y
          db:
            ports: *ports
        """
      )
    ])
    defer { folder.remove() }
    // The mapping's own key wins over merged ones; among merged, the earlier one.
    #expect(project[service: "app"]?.ports.map(\.port) == [8080])
    #expect(project[service: "web"]?.ports.map(\.port) == [8080])
    #expect(project[service: "db"]?.ports.map(\.port) == [8080])
  }

  @Test(
    "a YAML error names the file, the 1-based line and column, and libyaml's problem",
    arguments: [
      ("services:\n  app:\n    image: x\n   ports: [\"80:80\"]\n", 4, 4, "did not find expected key"),
      ("services:\n  app: image: x\n", 2, 13, "mapping values are not allowed in this context"),
      ("services:\n  app: {image: x\n", 3, 1, "did not find expected ',' or '}'"),
      ("services:\n  app:\n    image: \"x\n", 4, 1, "found unexpected end of stream"),
      ("services:\n\tapp:\n", 2, 1, "found character that cannot start any token"),
      ("services:\n  app:\n    image: *nowhere\n", 3, 12, "found undefined alias \"nowhere\""),
      ("services:\n  app: {}\n  app: {}\n", 3, 3, "mapping key \"app\" already defined"),
    ])
  func yamlError(text: String, line: Int, column: Int, problem: String) throws {
    let (error, path) = try loadError(text)
    guard case .malformed(let file, let foundLine, let foundColumn, let reason)? = error else {
      Issue.record("expected a parse error, got \(String(describing: error))")
      return
    }
    #expect(file == path)
    #expect((foundLine, foundColumn) == (line, column), "\(reason)")
    #expect(reason.contains(problem), "\(reason)")
    #expect(error?.description.hasPrefix("\(path):\(line):\(column): ") == true)
  }

  @Test(
    "YAML that is not shaped as a Compose file is refused at the offending node",
    arguments: [
      ("- a\n- b\n", 1, 1, "a Compose file is a mapping"),
      ("services:\n  - app\n", 2, 3, "services must be a mapping"),
      ("services:\n  app: nginx\n", 2, 8, "service \"app\" must be a mapping"),
      ("services:\n  app:\n    ports: \"80:80\"\n", 3, 12, "must be a sequence"),
    ])
  func notCompose(text: String, line: Int, column: Int, problem: String) throws {
    let (error, _) = try loadError(text)
    guard case .malformed(_, let foundLine, let foundColumn, let reason)? = error else {
      Issue.record("expected a shape error, got \(String(describing: error))")
      return
    }
    #expect((foundLine, foundColumn) == (line, column), "\(reason)")
    #expect(reason.contains(problem), "\(reason)")
  }

  @Test("aliases that expand past the node budget are refused, not walked")
  func aliasBomb() throws {
    var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for (name, previous) in zip("bcdefgh", "abcdefg") {
      text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
    }
    let (error, _) = try loadError(text)
    #expect(error?.description.contains("aliases expand to more than") == true, "\(String(describing: error))")
  }

  @Test("a missing file is unreadable, naming it")
  func missingFile() throws {
    #expect(throws: DevContainerError.unreadable(path: "/nonexistent/compose.yml", reason: "No such file or directory"))
    {
      try ComposeProject.load(["/nonexistent/compose.yml"], environment: [:])
    }
  }

  @Test(
    "published host ports, short syntax",
    arguments: [
      ("\"8080:80\"", [Port(port: 8080, origin: "o")]),
      ("8080:80", [Port(port: 8080, origin: "o")]),
      ("\"127.0.0.1:8080:80\"", [Port(address: "127.0.0.1", port: 8080, origin: "o")]),
      ("\"[::1]:8080:80\"", [Port(address: "::1", port: 8080, origin: "o")]),
      ("\"8080-8081:80-81\"", [Port(port: 8080, origin: "o"), Port(port: 8081, origin: "o")]),
      ("\"5353:53/udp\"", [Port(port: 5353, transport: .udp, origin: "o")]),
      ("\"5353:53/tcp\"", [Port(port: 5353, origin: "o")]),
      // The engine picks the host port: nothing to try.
      ("\"80\"", []),
      ("80", []),
      ("\"127.0.0.1::80\"", []),
      ("\"8000-8010:80\"", []),
      ("\"9000:90/sctp\"", []),
    ])
  func shortSyntax(item: String, ports: [Port]) throws {
    let (project, folder) = try load([("compose.yml", "services:\n  app:\n    ports:\n      - \(item)\n")])
    defer { folder.remove() }
    let origin = "service \"app\" in \(folder.file("compose.yml"))"
    #expect(
      project[service: "app"]?.ports
        == ports.map { Port(address: $0.address, port: $0.port, transport: $0.transport, origin: origin) })
  }

  @Test(
    "published host ports, long syntax",
    arguments: [
      ("{target: 80, published: 8080}", [Port(port: 8080, origin: "")]),
      ("{target: 80, published: \"8080\", host_ip: 127.0.0.1}", [Port(address: "127.0.0.1", port: 8080, origin: "")]),
      ("{target: 53, published: 5353, protocol: udp}", [Port(port: 5353, transport: .udp, origin: "")]),
      ("{target: 80}", []),
      ("{target: 80, published: \"8000-8010\"}", []),
    ])
  func longSyntax(item: String, ports: [Port]) throws {
    let (project, folder) = try load([("compose.yml", "services:\n  app:\n    ports:\n      - \(item)\n")])
    defer { folder.remove() }
    #expect(
      project[service: "app"]?.ports.map {
        Port(address: $0.address, port: $0.port, transport: $0.transport, origin: "")
      } == ports)
  }

  @Test("published ports are interpolated from the environment over the .env beside the first file")
  func interpolation() throws {
    let (project, folder) = try load(
      [
        (".env", "# ports\nWEB_PORT=8080\nexport API_PORT='9090'\nHOST_IP=127.0.0.1 # loopback\n"),
        (
          "compose.yml",
          """
          services:
            app:
              ports:
                - "${WEB_PORT}:80"
                - "${HOST_IP}:${API_PORT:-9000}:90"
                - "${MISSING:-7070}:70"
                - "${EMPTY-6060}:60"
                - target: 50
                  published: $DB_PORT
          """
        ),
      ], environment: ["API_PORT": "9191", "DB_PORT": "5432", "EMPTY": ""])
    defer { folder.remove() }
    let ports = project[service: "app"]?.ports ?? []
    // The environment wins over .env; `-` keeps a set but empty value, so `:60` alone publishes nothing.
    #expect(ports.map(\.port) == [8080, 9191, 7070, 5432])
    #expect(ports[1].address == "127.0.0.1")
  }

  @Test(
    "interpolation as Compose does it: $VAR, ${VAR}, defaults and alternatives with and without the colon, $$",
    arguments: [
      ("${SET}:80", "8080:80"), ("$SET:80", "8080:80"), ("${UNSET}", ""), ("${UNSET:-1}", "1"), ("${UNSET-1}", "1"),
      ("${EMPTY:-1}", "1"), ("${EMPTY-1}", ""), ("${SET:+x}", "x"), ("${EMPTY:+x}", ""), ("${EMPTY+x}", "x"),
      ("$$SET", "$SET"), ("cost: 5$", "cost: 5$"), ("${SET}${SET}", "80808080"), ("no variables", "no variables"),
    ])
  func interpolationRules(text: String, expanded: String) throws {
    let interpolation = ComposeInterpolation(variables: ["SET": "8080", "EMPTY": ""])
    #expect(try interpolation.apply(text) == expanded)
  }

  @Test("${VAR:?message} of an unset variable is Compose's error, at the value")
  func requiredVariable() throws {
    let (error, path) = try loadError("services:\n  app:\n    ports: [\"${PORT:?set PORT}:80\"]\n")
    #expect(
      error
        == .malformed(path: path, line: 3, column: 13, reason: "required variable PORT is missing a value: set PORT"))
  }

  @Test("several files merge by service: later files add services and ports; !override replaces ports")
  func merge() throws {
    let (project, folder) = try load([
      ("compose.yml", "services:\n  app:\n    ports: [\"8080:80\"]\n  db:\n    ports: [\"5432:5432\"]\n"),
      (
        "compose.override.yml",
        "services:\n  app:\n    ports: [\"8080:80\", \"9090:90\"]\n  db:\n    ports: !override [\"5433:5432\"]\n"
          + "  cache: {image: redis}\n"
      ),
    ])
    defer { folder.remove() }
    #expect(project.serviceNames == ["app", "db", "cache"])
    #expect(project[service: "app"]?.ports.map(\.port) == [8080, 9090])
    #expect(project[service: "app"]?.ports.last?.origin.hasSuffix("compose.override.yml") == true)
    #expect(project[service: "db"]?.ports.map(\.port) == [5433])
  }

  @Test(
    "the services up starts: service and runServices with their depends_on, else all but those with profiles",
    arguments: [
      ("app", ["web"] as [String]?, [:], ["web", "app", "db"]),
      ("app", [], [:], ["app", "db"]),
      ("app", nil, [:], ["app", "db", "web"]),
      ("app", nil, ["COMPOSE_PROFILES": "debug"], ["app", "db", "web", "debugger"]),
    ])
  func startedServices(service: String, runServices: [String]?, environment: [String: String], started: [String])
    throws
  {
    let (project, folder) = try load([
      (
        "compose.yml",
        """
        services:
          app: {depends_on: [db]}
          db: {}
          web: {depends_on: {app: {condition: service_started}}}
          debugger: {profiles: [debug]}
        """
      )
    ])
    defer { folder.remove() }
    let names = project.started(service: service, runServices: runServices, environment: environment).map(\.name)
    #expect(names == started)
  }
}
