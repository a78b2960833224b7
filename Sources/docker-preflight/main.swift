import PreflightCLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// A `check` runs on this thread alone, which is its event loop too: a one-shot command starts no thread. A plain
// `check`'s questions go to the engine first, from this thread, before anything else is set up.
if DockerPreflightCommand.prepareFirstThread() { DockerPreflightCommand.runOnThisThread() }
// Other commands run in a detached task and end the process themselves (`exit`, `execve`); the main thread only
// waits. An async top-level `main` would instead hand the main thread to `dispatch_main`, whose `pthread_exit` unwinds
// the main stack through the binary's .eh_frame tables: up to a dozen page faults and ~0.7 MiB of resident tables on
// every start, for nothing. Nothing here runs on the main actor.
Task.detached {
  // The docker-path shim first, before the argument parser: it runs before every `docker` command a tool makes, and
  // on a healthy engine must cost next to nothing.
  if let shim = DockerShim.prepare() { await shim.run() }
  await DockerPreflightCommand.run()
}
while true { pause() }
