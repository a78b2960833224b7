#!/bin/sh
# poll_loop.sh INTERVAL SOCKET
#
# The readiness wait most scripts and CI jobs use today: ask the engine every INTERVAL seconds until `_ping`
# answers and `/version` answers 200 (the readiness docker-preflight's `wait` confirms), then exit 0.
interval=$1
socket=$2
until curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1 &&
  curl -sf --unix-socket "$socket" http://localhost/version >/dev/null 2>&1; do
  sleep "$interval"
done
