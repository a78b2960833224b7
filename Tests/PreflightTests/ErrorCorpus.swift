import Testing

/// Real error lines, each with the code `explain` must give it and the engine address it must read out of it.
/// Each comment says where the wording was seen (issue threads, the tools' sources); placeholders such as user
/// names and ids were kept as they were seen or replaced by neutral ones.
struct CorpusLine: Sendable, CustomTestStringConvertible {
  var text: String
  var code: String
  var endpoint: String?

  init(_ text: String, _ code: String, endpoint: String? = nil) {
    self.text = text
    self.code = code
    self.endpoint = endpoint
  }

  var testDescription: String { "\(code): \(text.prefix(70))" }
}

enum ErrorCorpus {
  static let lines: [CorpusLine] = [
    // docker/for-win#14975 (Docker Desktop 4.49, CLI 28.5.1): the origin story.
    CorpusLine(
      #"error during connect: Get "http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.51/containers/json": open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified."#,
      "pipe-missing", endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine"),
    // The origin story, verbatim as it reached us: `//.pipe`, one `/` lost in pasting.
    CorpusLine(
      #"error during connect: Get "http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.51/version": open //.pipe/dockerDesktopLinuxEngine: The system cannot find the file specified."#,
      "pipe-missing", endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine"),
    // The same failure as a Dev Container log shows it, without the URL.
    CorpusLine(
      "open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified.", "pipe-missing",
      endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine"),
    // German Windows (docker/for-win#7249, "Das System kann die angegebene Datei nicht finden.").
    CorpusLine(
      #"Error response from daemon: open \\.\pipe\docker_engine_linux: Das System kann die angegebene Datei nicht finden."#,
      "pipe-missing", endpoint: "npipe:////./pipe/docker_engine_linux"),
    // French Windows: the same message in French around the stable pipe prefix.
    CorpusLine(
      "open //./pipe/dockerDesktopLinuxEngine: Le fichier spécifié est introuvable.", "pipe-missing",
      endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine"),
    // Portuguese Windows (docker/for-win#2904).
    CorpusLine(
      "error during connect: Get http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.38/containers/json: open //./pipe/docker_engine: O sistema não pode encontrar o arquivo especificado. In the default daemon configuration on Windows, the docker client must be run elevated to connect.",
      "pipe-missing", endpoint: "npipe:////./pipe/docker_engine"),
    // com.docker.diagnose output quoted in docker/for-win#12788.
    CorpusLine(
      #"[FAIL] DD0031: does the Docker API work? error during connect: This error may indicate that the docker daemon is not running.: Get "http://%2F%2F.%2Fpipe%2Fdocker_engine_linux/v1.24/containers/json?limit=0": open //./pipe/docker_engine_linux: The system cannot find the file specified."#,
      "pipe-missing", endpoint: "npipe:////./pipe/docker_engine_linux"),
    // docker CLI v29 wording on Windows CI (BasisVR/Basis#669).
    CorpusLine(
      "failed to connect to the docker API at npipe:////./pipe/docker_engine; check if the path is correct and if the daemon is running: open //./pipe/docker_engine: The system cannot find the file specified.",
      "pipe-missing", endpoint: "npipe:////./pipe/docker_engine"),
    // docker CLI's older wording for a pipe endpoint.
    CorpusLine(
      "Cannot connect to the Docker daemon at npipe:////./pipe/docker_engine. Is the docker daemon running?",
      "pipe-missing", endpoint: "npipe:////./pipe/docker_engine"),

    // docker CLI (cli/command/cli.go) before v29: for-linux#535, for-win#4049.
    CorpusLine(
      "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      "socket-missing", endpoint: "unix:///var/run/docker.sock"),
    // Rootless Docker (mikeizbicki/cmc-csci143#454).
    CorpusLine(
      "Cannot connect to the Docker daemon at unix:///run/user/1351/docker.sock. Is the docker daemon running?",
      "socket-missing", endpoint: "unix:///run/user/1351/docker.sock"),
    // docker CLI v29 wording, with the Go error after it.
    CorpusLine(
      "failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct and if the daemon is running: dial unix /var/run/docker.sock: connect: no such file or directory",
      "socket-missing", endpoint: "unix:///var/run/docker.sock"),
    // Old docker CLI (ONLYOFFICE/Docker-CommunityServer#3).
    CorpusLine(
      "Post http:///var/run/docker.sock/v1.20/containers/create: dial unix /var/run/docker.sock: no such file or directory.",
      "socket-missing", endpoint: "unix:///var/run/docker.sock"),
    // docker-py / Compose v1, a missing socket.
    CorpusLine(
      "docker.errors.DockerException: Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))",
      "socket-missing"),

    // A stale socket: the Go client's ECONNREFUSED.
    CorpusLine(
      #"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/version": dial unix /var/run/docker.sock: connect: connection refused"#,
      "connection-refused", endpoint: "unix:///var/run/docker.sock"),
    CorpusLine(
      #"error during connect: Get "http://localhost:2375/v1.24/version": dial tcp 127.0.0.1:2375: connect: connection refused"#,
      "connection-refused"),
    CorpusLine(
      "Error while fetching server API version: ('Connection aborted.', ConnectionRefusedError(111, 'Connection refused'))",
      "connection-refused"),

    // docker CLI: "Got permission denied while trying to connect to the Docker daemon socket" (docs, blogs).
    CorpusLine(
      "Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json: dial unix /var/run/docker.sock: connect: permission denied",
      "permission-denied", endpoint: "unix:///var/run/docker.sock"),
    // docker CLI v29 wording.
    CorpusLine(
      #"permission denied while trying to connect to the docker API at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.51/containers/json": dial unix /var/run/docker.sock: connect: permission denied"#,
      "permission-denied", endpoint: "unix:///var/run/docker.sock"),
    CorpusLine(
      "Error while fetching server API version: ('Connection aborted.', PermissionError(13, 'Permission denied'))",
      "permission-denied"),
    // Windows: the pipe exists, the account is not in docker-users.
    CorpusLine(
      "open //./pipe/docker_engine: Access is denied. In the default daemon configuration on Windows, the docker client must be run with elevated privileges to connect.",
      "permission-denied", endpoint: "npipe:////./pipe/docker_engine"),

    CorpusLine(
      #"error during connect: Get "http://192.168.1.20:2375/v1.24/version": dial tcp 192.168.1.20:2375: i/o timeout"#,
      "timeout"),
    CorpusLine(
      "Cannot connect to the Docker daemon at tcp://10.0.0.5:2376: context deadline exceeded", "timeout",
      endpoint: "tcp://10.0.0.5:2376"),
    CorpusLine(
      "open //./pipe/docker_engine: All pipe instances are busy.", "timeout",
      endpoint: "npipe:////./pipe/docker_engine"),

    CorpusLine(
      #"error during connect: Get "http://docker.example.internal:2375/v1.24/version": dial tcp: lookup docker.example.internal: no such host"#,
      "host-unreachable"),
    // docker CLI over ssh (connhelper): ssh's own stderr after the command.
    CorpusLine(
      "error during connect: Get \"http://docker.example.com/v1.24/version\": command [ssh -o ConnectTimeout=30 -T -- build-host docker system dial-stdio] has exited with exit status 255, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=ssh: connect to host build-host port 22: Connection refused",
      "host-unreachable"),
    CorpusLine("dial tcp 10.1.2.3:2376: connect: no route to host", "host-unreachable"),

    CorpusLine(
      "error during connect: Get \"http://docker.example.com/v1.24/version\": command [ssh -T -- deploy@build-host docker system dial-stdio] has exited with exit status 255, please make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=deploy@build-host: Permission denied (publickey).",
      "ssh-auth-failed"),
    CorpusLine("Host key verification failed.", "ssh-failure"),
    CorpusLine(
      "command [ssh -T -- build-host docker system dial-stdio] has exited with exit status 127, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=bash: line 1: docker: command not found",
      "remote-docker-missing"),

    CorpusLine(
      #"error during connect: Get "https://192.168.99.100:2376/v1.24/version": x509: certificate signed by unknown authority"#,
      "tls-failure"),
    CorpusLine(
      "Cannot connect to the Docker daemon at tcp://10.0.0.5:2376. Is the docker daemon running?: remote error: tls: bad certificate",
      "tls-failure", endpoint: "tcp://10.0.0.5:2376"),
    CorpusLine("Client sent an HTTP request to an HTTPS server.", "tls-failure"),

    // heckenmann/docker-swarm-dashboard#926, aylei/kubectl-debug#163.
    CorpusLine(
      "Error response from daemon: client version 1.51 is too new. Maximum supported API version is 1.47", "api-too-old"
    ),
    CorpusLine(
      "Error: Error response from daemon: client version 1.46 is too new. Maximum supported API version is 1.41",
      "api-too-old"),
    // Docker 25+/29 refusing old clients.
    CorpusLine(
      "Error response from daemon: client version 1.24 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version",
      "client-too-old"),

    // Docker Desktop's engine behind its proxy while starting (docker/for-win threads, CLI 24+ wording).
    CorpusLine(
      "request returned 500 Internal Server Error for API route and version http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.45/containers/json, check if the server supports the requested API version",
      "engine-starting", endpoint: "npipe:////./pipe/dockerDesktopLinuxEngine"),
    CorpusLine(
      "error during connect: this error may indicate that the docker daemon is not running: request returned Internal Server Error for API route and version http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.24/containers/json, check if the server supports the requested API version",
      "engine-starting", endpoint: "npipe:////./pipe/docker_engine"),

    // Docker Desktop's WSL helper script (microsoft/WSL#9949, docker/for-win#13088).
    CorpusLine("The command 'docker' could not be found in this WSL 2 distro.", "wsl-no-desktop-integration"),
    CorpusLine("The command 'docker-compose' could not be found in this WSL 2 distro.", "wsl-no-desktop-integration"),
    // docker/docs#11099.
    CorpusLine("The command 'docker' could not be found in this WSL 1 distro.", "wsl1"),
    CorpusLine(
      "Docker Desktop is manually paused. Unpause it through the Whale menu or Dashboard.", "docker-desktop-paused"),
    // docker/for-win#12491.
    CorpusLine("Docker failed to initialize. Docker Desktop is shutting down.", "docker-desktop-start-failed"),
    CorpusLine("Docker Desktop is unable to start", "docker-desktop-start-failed"),
    // Podman's remote client when its machine is stopped.
    CorpusLine(
      "Cannot connect to Podman. Please verify your connection to the Linux system using `podman system connection list`, or try `podman machine init` and `podman machine start` to manage a new Linux VM",
      "provider-stopped"),

    // moby: daemon/daemon.go and pidfile.
    CorpusLine(
      "failed to start daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid",
      "stale-pidfile"),
    CorpusLine(
      "Error starting daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid",
      "stale-pidfile"),
    CorpusLine(
      "failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain DOCKER: iptables failed: iptables --wait -t nat -N DOCKER: iptables v1.8.7 (nf_tables): Could not fetch rule set generation id: Invalid argument (exit status 4)",
      "iptables-failure"),
    // dockerd 20.10.24 here (Tests/IntegrationTests/StartFailureTests.swift makes both).
    CorpusLine(
      "unable to configure the Docker daemon with file /etc/docker/daemon.json: invalid character ',' looking for beginning of object key string",
      "daemon-config-invalid"),
    CorpusLine(
      "unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [fd://], from file: [unix:///var/run/docker.sock])",
      "daemon-config-conflict", endpoint: "unix:///var/run/docker.sock"),
    // Debian's docker.io init script in a container without CAP_SYS_RESOURCE (`service docker start` here).
    CorpusLine("/etc/init.d/docker: 86: ulimit: error setting limit (Operation not permitted)", "service-limits"),
    CorpusLine(
      "failed to start daemon: error initializing graphdriver: driver not supported: overlay2", "daemon-start-failed"),
    // systemd, pasted from `systemctl start docker`.
    CorpusLine(
      "Job for docker.service failed because the control process exited with error code.", "daemon-start-failed"),
    CorpusLine(
      "docker: Error response from daemon: OCI runtime create failed: container_linux.go:380: starting container process caused: process_linux.go:545: container init caused: process_linux.go:508: setting cgroup config for procHooks process caused: cannot set memory limit: container could not join or create cgroup: unknown.",
      "cgroup-failure"),

    CorpusLine(
      "docker: Error response from daemon: pull access denied for myorg/private-app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.",
      "registry-auth"),
    CorpusLine(
      #"Error response from daemon: Head "https://ghcr.io/v2/myorg/app/manifests/latest": unauthorized"#,
      "registry-auth"),
    CorpusLine(
      "Error response from daemon: manifest for nginx:does-not-exist not found: manifest unknown: manifest unknown",
      "image-not-found"),
    CorpusLine("Error: No such image: myapp:dev", "image-not-found"),
    CorpusLine(
      "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
      "rate-limited"),
    CorpusLine(
      #"Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)"#,
      "registry-unreachable"),
    CorpusLine(
      #"Error response from daemon: Get "https://registry-1.docker.io/v2/": proxyconnect tcp: dial tcp 127.0.0.1:3128: connect: connection refused"#,
      "registry-unreachable"),
    CorpusLine(
      #"Error response from daemon: Get "https://registry-1.docker.io/v2/": x509: certificate signed by unknown authority"#,
      "registry-tls-untrusted"),
    // rancher/rancher#46868, aimh-lab/visione#26.
    CorpusLine(
      "failed to solve: myregistry.example/app:1.0: failed to resolve source metadata for myregistry.example/app:1.0: error getting credentials - err: exec: \"docker-credential-desktop.exe\": executable file not found in $PATH, out: ``",
      "credential-helper-missing"),
    // docker/compose#7495.
    CorpusLine(
      "docker.credentials.errors.InitializationError: docker-credential-desktop.exe not installed or not available in PATH",
      "credential-helper-missing"),
    // docker/for-win#9061, #12091.
    CorpusLine(
      "Error saving credentials: error storing credentials - err: exit status 1, out: ``", "credential-helper-failed"),
    CorpusLine("/usr/bin/docker-credential-desktop.exe: Invalid argument", "credential-helper-failed"),

    CorpusLine(
      "exec /usr/local/bin/docker-entrypoint.sh: exec format error", "platform-mismatch"),
    CorpusLine(
      "standard_init_linux.go:228: exec user process caused: exec format error", "platform-mismatch"),
    CorpusLine(
      "WARNING: The requested image's platform (linux/amd64) does not match the detected host platform (linux/arm64/v8) and no specific platform was requested",
      "platform-mismatch"),
    CorpusLine(
      "docker: no matching manifest for linux/arm64/v8 in the manifest list entries.", "platform-mismatch"),
    CorpusLine(
      "image operating system \"windows\" cannot be used on this platform", "engine-os-mismatch"),
    // OutlineFoundation/outline-server#1150, gaul/s3proxy#637.
    CorpusLine("Error: short-name resolution enforced but cannot prompt without a TTY", "podman-short-name"),
    CorpusLine(
      "Error: short-name \"busybox\" did not resolve to an alias and no unqualified-search registries are defined in \"/etc/containers/registries.conf\"",
      "podman-short-name"),

    CorpusLine(
      "docker: Error response from daemon: driver failed programming external connectivity on endpoint web (3f2a9c): Bind for 0.0.0.0:8080 failed: port is already allocated.",
      "port-in-use"),
    CorpusLine(
      "Error starting userland proxy: listen tcp4 0.0.0.0:5432: bind: address already in use.", "port-in-use"),
    CorpusLine(
      "Error response from daemon: Ports are not available: exposing port TCP 0.0.0.0:80 -> 0.0.0.0:0: listen tcp 0.0.0.0:80: bind: An attempt was made to access a socket in a way forbidden by its access permissions.",
      "port-in-use"),
    CorpusLine(
      "docker: Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: /home/dev/project/data.",
      "mount-source-missing"),
    CorpusLine(
      "docker: Error response from daemon: Mounts denied: The path /opt/data is not shared from the host and is not known to Docker.",
      "mount-not-shared"),
    CorpusLine(
      "write /var/lib/docker/tmp/GetImageBlob381024: no space left on device", "low-disk-space"),
    CorpusLine(
      "failed to register layer: Error processing tar file(exit status 1): write /usr/lib/libLLVM.so: no space left on device",
      "low-disk-space"),
    CorpusLine(
      "docker: Error response from daemon: Conflict. The container name \"/web\" is already in use by container \"5c1e3b\". You have to remove (or rename) that container to be able to reuse that name.",
      "name-in-use"),
    CorpusLine(
      "Error response from daemon: conflict: unable to delete 7e0aa2d69a15 (must be forced) - image is being used by stopped container 59d8b4d1a2c1",
      "image-in-use"),
    CorpusLine(
      "docker: Error response from daemon: could not select device driver \"\" with capabilities: [[gpu]].",
      "gpu-missing"),
    CorpusLine(
      "docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"node\": executable file not found in $PATH: unknown.",
      "entrypoint-not-found"),
    CorpusLine(
      "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting \"/home/dev/app.conf\" to rootfs at \"/etc/app\": not a directory: unknown",
      "container-start-failed"),

    CorpusLine("docker: 'compose' is not a docker command.", "compose-missing"),
    CorpusLine("unknown shorthand flag: 'f' in -f", "compose-missing"),
    CorpusLine("docker: 'buildx' is not a docker command.", "buildx-missing"),
    CorpusLine(
      "ERROR: BuildKit is enabled but the buildx component is missing or broken.", "buildx-missing"),
    // devcontainers/cli with Features on a CLI without buildx 0.8.
    CorpusLine("unknown flag: --build-context", "buildx-missing"),
    CorpusLine(
      "failed to solve with frontend dockerfile.v0: failed to read dockerfile: open /var/lib/docker/tmp/buildkit-mount1/Dockerfile: no such file or directory",
      "build-file-missing"),
    CorpusLine(
      "unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat /home/dev/app/Dockerfile: no such file or directory",
      "build-file-missing"),
    CorpusLine(
      "ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref 4c1f: \"/package.json\": not found",
      "build-context-file-missing"),
    CorpusLine(
      "ERROR: failed to solve: process \"/bin/sh -c npm ci\" did not complete successfully: exit code: 1",
      "build-step-failed"),
    CorpusLine("no configuration file provided: not found", "compose-file-missing"),
    CorpusLine("no such service: app", "compose-service-missing"),
    CorpusLine("yaml: line 5: did not find expected key", "compose-file-invalid"),
    CorpusLine("Error response from daemon: network devnet not found", "network-not-found"),
    CorpusLine("Error response from daemon: No such container: web", "container-not-found"),
    CorpusLine(
      "Current context \"desktop-linux\" is not found on the file system, please check your config file at /home/dev/.docker/config.json",
      "context-not-found"),
    CorpusLine("bash: docker: command not found", "docker-cli-missing"),
    CorpusLine("Error: spawn docker ENOENT", "docker-cli-missing"),
    // devcontainers/cli's wrapper of a failed docker call, alone.
    CorpusLine(
      "Error: Command failed: docker ps -q -a --filter label=devcontainer.local_folder=/home/dev/app",
      "devcontainer-command-failed"),
    CorpusLine(
      "error during connect: this error may indicate that the docker daemon is not running", "engine-unreachable"),
    CorpusLine(
      "ERROR: Couldn't connect to Docker daemon at http+docker://localunixsocket - is it running?", "engine-unreachable"
    ),
  ]
}
