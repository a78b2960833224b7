#!/bin/sh
# A CI job that builds in a Dev Container on a runner whose engine may still be starting (or not started at all).
# Usage: ci-job.sh [WORKSPACE [COMMAND ARGS…]]   (default: the current directory, `make test`)
# Exit codes: 0 the job passed; 1 the engine did not become ready (docker-preflight says why on stderr, and the
# job's log has one timestamped line per phase); anything else is devcontainer's or the build's own status.
set -eu
workspace="${1:-.}"
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- make test
# Consent to start the engine: nobody is there to answer a question.
export PREFLIGHT_HEAL=1
# Readiness, with the report in the log (and as JSON for the job's artifacts).
docker-preflight wait --heal --timeout 3m --json > "${PREFLIGHT_REPORT:-docker-preflight-report.json}"
docker-preflight exec --timeout 30s -- devcontainer up --workspace-folder "$workspace"
exec devcontainer exec --workspace-folder "$workspace" "$@"
