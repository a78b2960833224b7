#!/bin/sh
# With --id-label, the reference Dev Containers CLI (@devcontainers/cli) looks for an existing container only after
# initializeCommand, so the initializeCommand below can start a stopped engine. devcontainer-rs 0.0.66 still runs
# `docker ps` first: with it, use the wrapper or the docker-path shim instead.
folder="$(cd "$(dirname "$0")" && pwd)"
exec devcontainer up --workspace-folder "$folder" --id-label "devcontainer.local_folder=$folder" "$@"
