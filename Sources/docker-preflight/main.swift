import PreflightCLI

await DockerPreflightCommand.run()
