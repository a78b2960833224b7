extension ExplanationRule {
  /// Every known error, most specific first: a line is the first rule it matches, and of a log's lines the one
  /// whose rule comes first here is what the log is about (a `no space left on device` inside an OCI runtime
  /// failure is the disk, not the runtime).
  public static let table: [ExplanationRule] =
    platformRules + daemonRules + registryRules + containerRules + toolRules + connectionRules

  /// WSL, Docker Desktop and the other providers.
  static let platformRules: [ExplanationRule] = [
    ExplanationRule(
      "wsl1", engine: true, finding: "docker was run in a WSL 1 distribution",
      meaning: "Docker Desktop's integration works only in WSL 2 distributions; in WSL 1 there is no docker command",
      fix: "Convert the distribution to WSL 2 (wsl --set-version DISTRO 2), then enable it in Docker Desktop's "
        + "Settings › Resources › WSL Integration"
    ) { $0.has("could not be found in this wsl 1 distro") },
    ExplanationRule(
      "wsl-no-desktop-integration", engine: true,
      finding: "the docker command was missing from this WSL 2 distribution",
      meaning: "Docker Desktop's WSL integration is off for this distribution, or Docker Desktop is not running "
        + "(its CLI tools are mounted into the distribution only while it runs)",
      fix: "Start Docker Desktop and enable this distribution in Settings › Resources › WSL Integration; or install "
        + "Docker Engine inside the distribution"
    ) { $0.hasAny("could not be found in this wsl 2 distro", "activate the wsl integration in docker desktop") },
    ExplanationRule(
      "docker-desktop-paused", engine: true, finding: "Docker Desktop was paused",
      meaning: "Docker Desktop was paused by hand: its engine refuses calls until it is resumed",
      fix: "Resume Docker Desktop from its whale menu or Dashboard"
    ) { $0.has("docker desktop is manually paused") },
    ExplanationRule(
      "docker-desktop-start-failed", engine: true, finding: "Docker Desktop failed to start",
      meaning: "Docker Desktop itself did not start (its VM, WSL backend or services failed), so there is no engine",
      fix: "Restart Docker Desktop; if it fails again, run its Troubleshoot › Run diagnostics, and check that "
        + "virtualization and WSL 2 work (wsl --status)"
    ) {
      $0.hasAny(
        "docker desktop is unable to start", "docker desktop failed to start", "docker failed to initialize",
        "unexpected wsl error")
    },
    ExplanationRule(
      "provider-stopped", engine: true, finding: "the engine's virtual machine was not running",
      meaning: "The engine runs in a virtual machine (Podman machine, Colima, Lima) that is stopped",
      fix: "Start it: podman machine start, colima start, limactl start (or docker-preflight heal)"
    ) { $0.hasAny("cannot connect to podman", "colima is not running", "podman machine is not running") },
  ]

  /// dockerd starting, and the API versions client and engine agree on.
  static let daemonRules: [ExplanationRule] = [
    ExplanationRule(
      "low-disk-space", engine: false, finding: "the disk was full",
      meaning: "The file system under the engine's data root (images, layers, build cache) has no space left",
      fix: "Free space: docker system prune (add --volumes to remove unused volumes too), docker builder prune; on "
        + "Docker Desktop, raise the disk image size in Settings › Resources"
    ) { $0.has("no space left on device") },
    ExplanationRule(
      "stale-pidfile", engine: true, finding: "dockerd refused to start over a stale pid file",
      meaning: "dockerd found its pid file (/var/run/docker.pid) naming a process that still exists or did: a "
        + "crashed daemon's leftover, or a pid reused after a reboot",
      fix: "If no dockerd runs (pgrep -x dockerd), remove the pid file and start the engine: docker-preflight heal "
        + "does both"
    ) { $0.has("pid file found, ensure docker is not running") },
    ExplanationRule(
      "iptables-failure", engine: true, finding: "dockerd could not set up its iptables rules",
      meaning: "dockerd manages NAT and filter rules with iptables; the iptables command, its kernel modules or the "
        + "nftables/legacy choice are missing or wrong on this host",
      fix: "Install iptables (and pick the backend the kernel has: update-alternatives --config iptables), or start "
        + "dockerd with --iptables=false where containers need no published ports"
    ) { $0.has("iptables") && $0.hasAny("failed", "error", "unable", "not found", "no chain") },
    ExplanationRule(
      "cgroup-failure", engine: true, finding: "the container's cgroup could not be set up",
      meaning: "The runtime could not create or join the container's control group: cgroup v1/v2 mismatch, a "
        + "missing cgroup mount (WSL, old kernels, nested containers) or a systemd/cgroupfs driver mismatch",
      fix: "Use an engine and runc that support this host's cgroup version, and the same cgroup driver as systemd; "
        + "under WSL update WSL (wsl --update)"
    ) { $0.has("cgroup") && $0.hasAny("error", "failed", "cannot", "unable", "does not exist", "no such") },
    ExplanationRule(
      "daemon-config-conflict", engine: true,
      finding: "dockerd refused a setting given both in daemon.json and on its command line",
      meaning: "A directive (often \"hosts\" beside docker.service's -H fd://) is set twice; dockerd will not choose",
      fix: "Keep it in one place: remove it from /etc/docker/daemon.json, or from the unit's ExecStart (a drop-in "
        + "with an empty ExecStart= and one without the flag); docker-preflight heal names the file and the flag"
    ) { $0.has("are specified both as a flag and in the configuration file") },
    ExplanationRule(
      "daemon-config-invalid", engine: true, finding: "dockerd could not use its configuration file",
      meaning: "daemon.json (/etc/docker/daemon.json, or --config-file) is not valid JSON, names an option dockerd "
        + "does not have, or is missing",
      fix: "Fix the file (python3 -m json.tool /etc/docker/daemon.json shows where it breaks), then start the engine "
        + "again; docker-preflight heal names the line and column"
    ) { $0.has("unable to configure the docker daemon with file") },
    ExplanationRule(
      "service-limits", engine: true, finding: "the docker init script could not raise a resource limit",
      meaning: "service docker start runs /etc/init.d/docker, which raises the open-files and process limits before "
        + "dockerd; in a container without CAP_SYS_RESOURCE ulimit fails (EPERM) and dockerd never starts",
      fix: "Start dockerd directly (docker-preflight heal --strategy dockerd), or run the container with higher "
        + "limits (docker run --ulimit nofile=1048576:1048576)"
    ) { $0.has("ulimit: error setting limit") },
    ExplanationRule(
      "daemon-start-failed", engine: true, finding: "dockerd failed to start",
      meaning: "The engine process exited while starting: its configuration (daemon.json), storage driver, network "
        + "setup or a previous instance stands in the way; the rest of the line is dockerd's own reason",
      fix: "Read the reason (journalctl -u docker.service, or dockerd's log), fix it, then start the engine again "
        + "(docker-preflight heal)"
    ) {
      $0.hasAny(
        "failed to start daemon", "error starting daemon", "failed to start docker application container engine",
        "job for docker.service failed", "docker.service: failed with result")
    },
    ExplanationRule(
      "client-too-old", engine: false, finding: "the client's API version was too old for the engine",
      meaning: "The client asked for an API version older than the oldest the engine still serves (Docker 25+ "
        + "dropped API versions before 1.24; Docker 29 before 1.44)",
      fix: "Upgrade the client or the library that made the call; or set DOCKER_API_VERSION to a version the "
        + "engine serves"
    ) { $0.has("is too old. minimum supported api version is") },
    ExplanationRule(
      "api-too-old", engine: true, finding: "the engine's API was older than the client needs",
      meaning: "The client speaks a newer API version than the engine's newest: the engine is older than the client",
      fix: "Upgrade the engine; or set DOCKER_API_VERSION to the engine's version (docker version shows it)"
    ) { $0.has("is too new. maximum supported api version is") },
    ExplanationRule(
      "engine-starting", engine: true, finding: "the engine answered 500 (still starting, or broken)",
      meaning: "Something answered at the engine's address with 500 Internal Server Error: Docker Desktop's engine "
        + "is still starting or has failed behind its proxy",
      fix: "Wait until the engine is ready (docker-preflight wait) and retry; if it persists, restart Docker Desktop"
    ) {
      $0.hasAny(
        "request returned 500 internal server error for api route",
        "request returned internal server error for api route")
    },
  ]

  /// Pulling, pushing and credentials.
  static let registryRules: [ExplanationRule] = [
    ExplanationRule(
      "credential-helper-missing", engine: false, finding: "the credential helper was not found",
      meaning: "config.json names a credential helper (credsStore, e.g. \"desktop.exe\" inside WSL) whose "
        + "docker-credential-* program is not on PATH",
      fix: "Remove \"credsStore\" from ~/.docker/config.json (or set it to a helper that is installed), or put the "
        + "helper on PATH; inside WSL enable Docker Desktop's WSL integration"
    ) {
      $0.has("docker-credential-")
        && $0.hasAny("executable file not found", "not installed or not available in path")
    },
    ExplanationRule(
      "credential-helper-failed", engine: false, finding: "the credential helper failed",
      meaning: "The docker-credential-* helper config.json names ran but failed (locked keychain, Windows "
        + "interop from WSL, no session)",
      fix: "Run the helper by hand (docker-credential-desktop list) to see why; or remove \"credsStore\" from "
        + "~/.docker/config.json and docker login again"
    ) {
      $0.hasAny("error getting credentials", "error storing credentials", "error saving credentials")
        || ($0.has("docker-credential-") && $0.has("invalid argument"))
    },
    ExplanationRule(
      "rate-limited", engine: false, finding: "the registry refused pulls over its rate limit",
      meaning: "The registry (Docker Hub: 100 pulls per 6 hours anonymously, per IP) answered 429 Too Many Requests",
      fix: "docker login (authenticated pulls have a higher limit), use a mirror or a registry of your own, or wait"
    ) { $0.hasAny("toomanyrequests", "pull rate limit", "429 too many requests") },
    ExplanationRule(
      "registry-auth", engine: false, finding: "the registry denied access",
      meaning: "The registry refused the pull or push: not logged in, wrong credentials, no access to the "
        + "repository, or (for pull access denied) a repository that does not exist",
      fix: "Check the image name; docker login REGISTRY with an account that has access"
    ) {
      $0.hasAny(
        "pull access denied", "unauthorized: authentication required", "incorrect username or password",
        "requested access to the resource is denied", "no basic auth credentials", "unauthorized:")
        || ($0.has("/v2/") && $0.has("unauthorized"))
    },
    ExplanationRule(
      "image-not-found", engine: false, finding: "the image or tag did not exist",
      meaning: "The registry has no such tag (manifest unknown), or the engine has no such image",
      fix: "Check the image name and tag (docker search, the registry's web page); for a local image build it first"
    ) {
      $0.hasAny("manifest unknown", "no such image", "repository does not exist")
        || ($0.has("manifest for") && $0.has("not found"))
    },
    ExplanationRule(
      "engine-os-mismatch", engine: false, finding: "the image was built for another operating system",
      meaning: "A Windows image on a Linux engine, or a Linux image on Docker Desktop in Windows-containers mode",
      fix: "Switch Docker Desktop's engine (Switch to Linux/Windows containers), or use an image for this OS"
    ) {
      ($0.has("image operating system") && $0.has("cannot be used on this platform"))
        || $0.has("no matching manifest for windows")
    },
    ExplanationRule(
      "platform-mismatch", engine: false, finding: "the image was built for another CPU architecture",
      meaning: "The image's binaries are for another architecture (amd64 on arm64, or the reverse): the kernel "
        + "cannot run them (exec format error), or the registry has no variant for this one",
      fix: "Use an image with this platform (docker buildx imagetools inspect IMAGE lists them), pass --platform, "
        + "or install QEMU emulation (docker run --privileged --rm tonistiigi/binfmt --install all)"
    ) {
      $0.hasAny("exec format error", "does not match the detected host platform", "no matching manifest for")
    },
    ExplanationRule(
      "registry-tls-untrusted", engine: false, finding: "the registry's certificate was not trusted",
      meaning: "The engine (or BuildKit) did not trust the registry's certificate: usually a proxy that intercepts "
        + "TLS with its own CA, or a private registry with a self-signed certificate",
      fix: "Install the proxy's or registry's CA where the engine reads it (/etc/docker/certs.d/REGISTRY/ca.crt, or "
        + "the system store, then restart the engine); on Docker Desktop, into the host's store"
    ) { $0.namesRegistry && $0.hasAny("x509:", "tls:") },
    ExplanationRule(
      "registry-unreachable", engine: false, finding: "the registry could not be reached",
      meaning: "The engine could not reach the registry: DNS, a firewall, or a proxy the engine does not know of",
      fix: "Check the network from the engine's side; set the engine's proxy (systemd drop-in HTTPS_PROXY, or Docker "
        + "Desktop › Settings › Resources › Proxies), or use a mirror"
    ) {
      $0.hasAny("/v2/", "registry-1.docker.io", "index.docker.io")
        && $0.hasAny(
          "timeout", "no such host", "connection refused", "dial tcp", "proxyconnect", "server misbehaving", "eof",
          "network is unreachable", "connection reset")
    },
    ExplanationRule(
      "podman-short-name", engine: false, finding: "Podman refused a short image name without a terminal",
      meaning: "Podman resolves a name without a registry (busybox) by asking which registry to use; without a "
        + "terminal it cannot ask, or no unqualified-search registry is configured",
      fix: "Use a fully qualified name (docker.io/library/busybox), or set short-name-mode=\"permissive\" and "
        + "unqualified-search-registries=[\"docker.io\"] in /etc/containers/registries.conf"
    ) {
      $0.has("short-name resolution enforced") || ($0.has("short-name") && $0.has("did not resolve to an alias"))
    },
  ]

  /// Creating and starting containers.
  static let containerRules: [ExplanationRule] = [
    ExplanationRule(
      "port-in-use", engine: false, finding: "a port to publish was already in use",
      meaning: "Another container or a program on the host already listens on the host port the container publishes",
      fix: "Find the listener (docker ps --filter publish=PORT, ss -ltnp 'sport = :PORT'), stop it, or publish "
        + "another host port (-p OTHER:PORT)"
    ) {
      $0.hasAny(
        "port is already allocated", "address already in use", "ports are not available",
        "only one usage of each socket address")
    },
    ExplanationRule(
      "mount-not-shared", engine: false, finding: "a bind-mount path was not shared with the engine's VM",
      meaning: "Docker Desktop (or Colima) can mount only host paths shared with its VM, and this one is not",
      fix: "Add the path (or a parent) in Docker Desktop › Settings › Resources › File sharing, or move the project "
        + "under a shared path"
    ) { $0.hasAny("mounts denied", "is not shared from the host") },
    ExplanationRule(
      "mount-source-missing", engine: false, finding: "a bind mount's source path did not exist",
      meaning: "A bind mount names a host path that does not exist where the engine runs (the path is resolved on "
        + "the engine's host: inside Docker Desktop's VM or a remote host, not necessarily here)",
      fix: "Create the path, or correct it (absolute, on the engine's host); from WSL use the distribution's paths"
    ) {
      $0.hasAny("bind source path does not exist", "invalid mount config", "error while creating mount source path")
    },
    ExplanationRule(
      "name-in-use", engine: false, finding: "the container name was already taken",
      meaning: "A container (often a stopped one from an earlier run) already has this name",
      fix: "Remove or rename it (docker rm NAME, or docker rm -f NAME when it runs), or use another --name"
    ) { $0.hasAny("is already in use by container", "conflict. the container name", "conflict: the container name") },
    ExplanationRule(
      "image-in-use", engine: false, finding: "the image was still used by a container",
      meaning: "An image cannot be removed while a container, even a stopped one, was created from it",
      fix: "Remove the containers first (docker ps -a --filter ancestor=IMAGE), or docker rmi -f"
    ) { $0.has("conflict: unable to delete") || $0.has("image is being used by") },
    ExplanationRule(
      "gpu-missing", engine: false, finding: "no GPU device driver was available",
      meaning: "--gpus needs the NVIDIA Container Toolkit on the engine's host, and it is not installed or configured",
      fix: "Install nvidia-container-toolkit and run nvidia-ctk runtime configure --runtime=docker, then restart "
        + "the engine; or run without --gpus"
    ) { $0.has("could not select device driver") },
    ExplanationRule(
      "entrypoint-not-found", engine: false, finding: "the container's command was not found in the image",
      meaning: "The command or entrypoint the container starts does not exist in the image (or its PATH)",
      fix: "Check the command and the image (docker run --rm --entrypoint sh IMAGE -c 'command -v CMD')"
    ) { $0.has("executable file not found in $path") },
    ExplanationRule(
      "container-start-failed", engine: false, finding: "the runtime failed to create or start the container",
      meaning: "runc (the OCI runtime) could not start the container; the end of the line is its reason",
      fix: "Read the reason after \"OCI runtime create failed\": a mount onto a file of another type, a device, a "
        + "security profile; fix the run options or the image"
    ) {
      $0.hasAny(
        "oci runtime create failed", "oci runtime exec failed", "failed to create shim task", "runc create failed")
    },
  ]

  /// Compose, buildx, builds and the Dev Containers CLI.
  static let toolRules: [ExplanationRule] = [
    ExplanationRule(
      "compose-missing", engine: false, finding: "docker compose was not installed",
      meaning: "Neither the Compose v2 plugin (docker compose) nor docker-compose is installed for this CLI",
      fix: "Install the plugin (apt install docker-compose-plugin, or docker-compose-v2 on Debian/Ubuntu), or "
        + "Docker Desktop"
    ) {
      $0.hasAny(
        "'compose' is not a docker command", "unknown shorthand flag: 'f' in -f", "docker-compose: command not found",
        "docker-compose: not found")
    },
    ExplanationRule(
      "buildx-missing", engine: false, finding: "buildx was missing or too old",
      meaning: "The build needs BuildKit through buildx (Dev Container Features use --build-context, buildx 0.8+), "
        + "and this docker CLI has no buildx plugin or an older one",
      fix: "Install the buildx plugin (apt install docker-buildx-plugin, or docker-buildx on Debian/Ubuntu)"
    ) {
      $0.hasAny(
        "'buildx' is not a docker command", "buildx component is missing or broken", "unknown flag: --build-context")
    },
    ExplanationRule(
      "build-file-missing", engine: false, finding: "the Dockerfile was not found",
      meaning: "The build's Dockerfile is not where the build looked (relative to the build context)",
      fix: "Check the path (-f, or build.dockerfile in devcontainer.json, relative to the context)"
    ) {
      $0.hasAny(
        "failed to read dockerfile", "unable to evaluate symlinks in dockerfile path",
        "cannot locate specified dockerfile")
    },
    ExplanationRule(
      "build-context-file-missing", engine: false, finding: "a file a COPY or ADD names was not in the build context",
      meaning: "A COPY/ADD source is missing from the build context: a wrong path, the wrong context directory, "
        + "or a .dockerignore that leaves it out",
      fix: "Check the source path against the context directory and .dockerignore"
    ) { $0.has("failed to compute cache key") || ($0.has("failed to calculate checksum") && $0.has("not found")) },
    ExplanationRule(
      "build-step-failed", engine: false, finding: "a build step's command failed",
      meaning: "A RUN step exited with a non-zero status: the error is in the step's own output above this line",
      fix: "Read the step's output; reproduce it with docker run --rm -it BASE-IMAGE sh"
    ) { $0.hasAny("did not complete successfully: exit code", "returned a non-zero code") },
    ExplanationRule(
      "compose-file-missing", engine: false, finding: "no compose file was found",
      meaning: "docker compose found no compose.yaml/docker-compose.yml in this directory or its parents",
      fix: "Run it where the file is, or name it with -f"
    ) { $0.hasAny("no configuration file provided", "can't find a suitable configuration file") },
    // Compose reads its files with go-yaml, whose errors (libyaml's words, ported) start `yaml: line N:`.
    ExplanationRule(
      "compose-file-invalid", engine: false, finding: "a compose file is not valid YAML",
      meaning: "docker compose could not parse a compose file: the line named is where the YAML parser gave up "
        + "(the mistake is often just above it: indentation, a tab, an unclosed quote or bracket)",
      fix: "Fix the file at that line; docker-preflight check --devcontainer names file, line and column"
    ) { $0.hasAny("yaml: line ", "yaml: unmarshal errors") },
    ExplanationRule(
      "compose-service-missing", engine: false, finding: "the compose service did not exist",
      meaning: "The compose project has no service of that name",
      fix: "Check the name against docker compose config --services (devcontainer.json's service must be one of them)"
    ) { $0.has("no such service:") },
    ExplanationRule(
      "network-not-found", engine: false, finding: "the network did not exist",
      meaning: "A container was attached to a network that does not exist on this engine",
      fix: "Create it (docker network create NAME), or let compose create it"
    ) { $0.has("network ") && $0.has(" not found") && $0.has("error response from daemon") },
    ExplanationRule(
      "container-not-found", engine: false, finding: "the container did not exist",
      meaning: "No container with that name or id exists on this engine (removed, or on another engine)",
      fix: "List them (docker ps -a); check that DOCKER_HOST or the context points at the engine you mean"
    ) { $0.has("no such container") },
    ExplanationRule(
      "context-not-found", engine: true, finding: "the docker context did not exist",
      meaning: "The selected docker context (--context, DOCKER_CONTEXT or currentContext in config.json) is not in "
        + "~/.docker/contexts",
      fix: "docker context ls, then docker context use default (or one listed); or fix currentContext in config.json"
    ) { $0.hasAny("context not found", "is not found on the file system") },
  ]

  /// Reaching the engine: sockets, pipes, TCP, TLS, ssh.
  static let connectionRules: [ExplanationRule] = [
    ExplanationRule(
      "ssh-auth-failed", engine: true, finding: "ssh refused the key",
      meaning: "The ssh server of an ssh:// engine refused the credentials (no key in the agent, or not authorized)",
      fix: "ssh-add the key (or name it in ~/.ssh/config), add its public key to the remote authorized_keys, and try "
        + "ssh HOST docker version"
    ) {
      $0.hasAny("permission denied (publickey", "too many authentication failures", "permission denied, please try")
    },
    ExplanationRule(
      "ssh-failure", engine: true, finding: "ssh refused the host's key",
      meaning: "The host key of the ssh:// engine is unknown or has changed, and ssh runs without a prompt",
      fix: "Connect once by hand (ssh HOST) to accept the key, or remove the old one (ssh-keygen -R HOST) if the "
        + "host was reinstalled"
    ) { $0.hasAny("host key verification failed", "remote host identification has changed") },
    ExplanationRule(
      "remote-docker-missing", engine: true, finding: "the ssh host had no docker command",
      meaning: "ssh logged in, but the remote host has no docker CLI on the PATH a non-interactive shell gets, so "
        + "docker system dial-stdio cannot run",
      fix: "Install Docker on the remote host, or put docker on the PATH of non-interactive shells there"
    ) { $0.has("dial-stdio") && $0.hasAny("command not found", "exit status 127", "not found") },
    ExplanationRule(
      "docker-cli-missing", engine: false, finding: "the docker command was not found",
      meaning: "The docker CLI is not installed, or not on this shell's PATH",
      fix: "Install the docker CLI (or Docker Desktop), or add its directory to PATH"
    ) {
      $0.hasAny("docker: command not found", "docker: not found", "'docker' is not recognized", "spawn docker enoent")
    },
    ExplanationRule(
      "host-unreachable", engine: true, finding: "the engine's host could not be reached",
      meaning: "The engine's host name does not resolve, or no route leads to it, or its ssh port does not answer",
      fix: "Check the host name and port in DOCKER_HOST or the context, the network and VPN, and that the host is up"
    ) {
      $0.hasAny(
        "no route to host", "no such host", "network is unreachable", "could not resolve hostname",
        "ssh: connect to host", "name or service not known", "ehostunreach")
    },
    ExplanationRule(
      "permission-denied", engine: true, finding: "access to the engine's socket was denied",
      meaning: "The engine's socket (or pipe) exists but this user may not open it: not in the docker group "
        + "(docker-users on Windows)",
      fix: "sudo usermod -aG docker $USER, then log out and in (or newgrp docker); on Windows add the account to "
        + "docker-users; or use rootless Docker"
    ) {
      $0.hasAny(
        "permission denied while trying to connect", "connect: permission denied", "permissionerror(13")
        || ($0.opensPipe && $0.hasAny("access is denied", "zugriff verweigert", "accès refusé", "acceso denegado"))
    },
    ExplanationRule(
      "tls-failure", engine: true, finding: "the TLS handshake with the engine failed",
      meaning: "Client and engine did not agree on TLS: an untrusted or mismatched certificate, a client "
        + "certificate the engine rejects, or TLS on one side only (DOCKER_TLS_VERIFY, port 2376 against 2375)",
      fix: "Check DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) against the daemon's "
        + "--tlsverify/--tlscacert, and that the address is one the certificate names"
    ) {
      $0.hasAny(
        "x509:", "tls:", "certificate signed by unknown authority", "http request to an https server",
        "http response to https client", "docker_tls_verify", "tls handshake")
    },
    ExplanationRule(
      "timeout", engine: true, finding: "the engine did not answer in time",
      meaning: "The connection or the call to the engine timed out: a hung or overloaded engine, a firewall that "
        + "drops packets, or (for a pipe) every instance busy",
      fix: "Check that the engine answers (docker-preflight check); restart it if it is hung (docker-preflight heal)"
    ) {
      $0.hasAny(
        "i/o timeout", "context deadline exceeded", "timed out", "timeout exceeded", "etimedout",
        "all pipe instances are busy", "semaphore timeout")
    },
    ExplanationRule(
      "pipe-missing", engine: true, finding: "the engine's named pipe was missing",
      meaning: "The docker CLI could not open the engine's named pipe: Docker Desktop is not running, or its engine "
        + "has not started (dockerDesktopLinuxEngine, docker_engine_linux: the Linux engine; docker_engine: the "
        + "default pipe). The text after the pipe name is Windows' message in the system's language",
      fix: "Start Docker Desktop (docker desktop start, or from the Start menu) and wait until it says the engine is "
        + "running; if it runs, restart it (Troubleshoot › Restart)"
    ) { $0.opensPipe || $0.hasAny("docker daemon at npipe:", "docker api at npipe:") },
    ExplanationRule(
      "connection-refused", engine: true, finding: "nothing listened at the engine's address",
      meaning: "The engine's socket file exists but no daemon listens on it (a stale socket), or nothing listens on "
        + "the TCP port: the engine is not running",
      fix: "Start the engine (docker-preflight heal)"
    ) { $0.hasAny("connection refused", "connectionrefusederror", "econnrefused") },
    ExplanationRule(
      "socket-missing", engine: true, finding: "the engine's socket was missing",
      meaning: "There is no socket at the engine's address: the engine is not running (or listens elsewhere)",
      fix: "Start the engine (docker-preflight heal), or point DOCKER_HOST (or the context) at the socket it uses"
    ) {
      ($0.has("dial unix") && $0.has("no such file or directory")) || $0.has("filenotfounderror(2")
        || $0.hasAny("cannot connect to the docker daemon at unix://", "failed to connect to the docker api at unix://")
    },
    ExplanationRule(
      "engine-unreachable", engine: true, finding: "the engine could not be reached",
      meaning: "The client could not connect to the engine; the text does not say why",
      fix: "See the live state below; start the engine (docker-preflight heal) or correct DOCKER_HOST or the context"
    ) {
      $0.hasAny(
        "cannot connect to the docker daemon", "failed to connect to the docker api", "error during connect",
        "couldn't connect to docker daemon", "is the docker daemon running", "error while fetching server api version")
    },
    ExplanationRule(
      "devcontainer-command-failed", engine: false, finding: "a docker command run by the Dev Containers tools failed",
      meaning: "The Dev Containers CLI (or VS Code) ran docker and it failed; docker's own error is in the lines "
        + "around this one",
      fix: "Explain the whole output (docker-preflight explain - < log); docker-preflight check --devcontainer finds "
        + "what devcontainer up needs"
    ) { $0.hasAny("command failed: docker", "an error occurred setting up the container", "docker returned an error") },
  ]
}
