#!/bin/sh
# The docker-path shim: every docker command the Dev Containers CLI runs, its first `docker ps` included, goes
# through docker-preflight, which readies the engine (healing it only with your standing consent:
# PREFLIGHT_HEAL=1 or "heal": {"allow": true}) and then runs the real docker CLI with the same arguments.
# `make install` installs the link at $PREFIX/libexec/docker-preflight/docker.
shim="${DOCKER_PREFLIGHT_SHIM:-/usr/local/libexec/docker-preflight/docker}"
exec devcontainer up --docker-path "$shim" --workspace-folder "$(dirname "$0")" "$@"
