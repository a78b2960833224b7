import PreflightCLI

// The docker-path shim first, before the argument parser: it runs before every `docker` command a tool makes, and on
// a healthy engine must cost next to nothing.
if let shim = DockerShim.prepare() { await shim.run() }
await DockerPreflightCommand.run()
