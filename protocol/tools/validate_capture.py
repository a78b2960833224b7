#!/usr/bin/env python3
"""Validates captured sessions against the protocol's schemas.

    python3 protocol/tools/validate_capture.py DIR

DIR holds one JSON-lines file per session (*.jsonl), as TestSupport's ServeSession writes them when
PREFLIGHT_PROTOCOL_CAPTURE names a directory: each line `{"direction": "client-to-server" | "server-to-client",
"message": …, "test": "…"}`. Exits 1 on any violation, on a server message whose method has no schema, or when
nothing was captured; prints what was covered.
"""

import json
import pathlib
import sys

from protocol_schema import CLIENT, SERVER, ProtocolSchemas, SessionChecker


def main(arguments):
    if len(arguments) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    directory = pathlib.Path(arguments[0])
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    schemas = ProtocolSchemas()
    violations, seen, messages = [], {}, 0
    for path in files:
        checker = None
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if checker is None:
                checker = SessionChecker(schemas, label=f"{path.name} ({record.get('test', '?')}): ")
            if record["direction"] not in (CLIENT, SERVER):
                violations.append(f"{path.name}:{number}: unknown direction {record['direction']!r}")
                continue
            checker.add(record["direction"], record["message"])
            messages += record["direction"] == SERVER
        if checker:
            violations += checker.violations
            for method, count in checker.seen.items():
                seen[method] = seen.get(method, 0) + count
    if messages == 0:
        print(f"validate_capture: no server messages captured in {directory}", file=sys.stderr)
        return 1
    covered = ", ".join(f"{method} {count}" for method, count in sorted(seen.items()))
    print(f"validate_capture: {messages} server messages in {len(files)} sessions: {covered}")
    unseen = [m for m, e in schemas.index["methods"].items() if e["direction"] == SERVER and m not in seen]
    if unseen:
        print(f"validate_capture: never sent by the server in these sessions: {', '.join(unseen)}")
    for violation in violations:
        print(f"violation: {violation}", file=sys.stderr)
    if violations:
        print(f"validate_capture: {len(violations)} violations", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
