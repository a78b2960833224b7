#!/bin/sh
# Wait for the engine (starting it if it is down), then become `devcontainer up`: its output and exit status are
# devcontainer's own. --yes is your consent to start the engine; drop it to rely on PREFLIGHT_HEAL=1 or
# "heal": {"allow": true} in ~/.config/docker-preflight/config.json instead.
exec docker-preflight exec --heal --yes -- devcontainer up --workspace-folder "$(dirname "$0")" "$@"
