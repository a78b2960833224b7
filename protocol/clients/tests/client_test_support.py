"""What the third-party client tests share: the environment the Swift test gives them, the package check, and a
recorder that checks every message against protocol/schema (and captures it for validate_capture.py).

Environment (set by Tests/IntegrationTests/ThirdPartyClientTests.swift):
  PREFLIGHT_BINARY             the docker-preflight executable
  PREFLIGHT_TEST_ENGINE_HOST   a running private engine (diagnose's `host`)
  DOCKER_HOST                  the server's own endpoint: nothing listens there, so a heal has work to do
  PREFLIGHT_START_COMMAND      ["sleep", "60"]: a heal step that runs until it is cancelled
  PREFLIGHT_PROTOCOL_CAPTURE   optional: where to write the session for validate_capture.py

Exit status: 0 passed, 1 failed, 77 a package is missing (the Swift test skips, or fails when
PREFLIGHT_REQUIRE_ENGINE=1).
"""

import importlib
import json
import os
import pathlib
import sys
import threading
import uuid

MISSING_PACKAGE = 77


def require(module, package):
    """Imports `module`, or exits 77 naming the pip package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        print(f"missing Python package {package} ({error}): python3 -m pip install {package}", file=sys.stderr)
        sys.exit(MISSING_PACKAGE)


require("jsonschema", "jsonschema")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools"))
from protocol_schema import CLIENT, SERVER, ProtocolSchemas, SessionChecker  # noqa: E402


def server_command():
    return [os.environ["PREFLIGHT_BINARY"], "serve"]


def engine_host():
    return os.environ["PREFLIGHT_TEST_ENGINE_HOST"]


class Recorder:
    """Every message of the session, both ways, in order: checked against the schemas as it comes, and appended to
    the capture directory when there is one. Thread-safe (python-lsp-jsonrpc reads on its own thread)."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.checker = SessionChecker(ProtocolSchemas(), label=f"{name}: ")
        self.messages = []
        directory = os.environ.get("PREFLIGHT_PROTOCOL_CAPTURE")
        self.file = None
        if directory:
            os.makedirs(directory, exist_ok=True)
            self.file = open(os.path.join(directory, f"client-{name}-{uuid.uuid4()}.jsonl"), "a")

    def sent(self, message):
        self._record(CLIENT, message)

    def received(self, message):
        self._record(SERVER, message)

    def _record(self, direction, message):
        with self.lock:
            self.messages.append((direction, message))
            self.checker.add(direction, message)
            if self.file:
                record = {"direction": direction, "message": message, "test": f"third-party client {self.name}"}
                self.file.write(json.dumps(record) + "\n")
                self.file.flush()

    def server_messages(self, predicate=lambda message: True):
        with self.lock:
            return [m for d, m in self.messages if d == SERVER and predicate(m)]

    def finish(self):
        """Fails the test on any schema violation."""
        if self.file:
            self.file.close()
        check(not self.checker.violations, "schema violations:\n  " + "\n  ".join(self.checker.violations))


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def progress_kinds(recorder, token):
    """The kinds of the `$/progress` notifications for `token`, in order."""
    return [
        m["params"]["value"]["kind"]
        for m in recorder.server_messages(lambda m: m.get("method") == "$/progress")
        if m["params"]["token"] == token
    ]


def run(name, body):
    """Runs `body()` and turns the outcome into the exit status."""
    try:
        body()
    except Failure as failure:
        print(f"{name}: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: passed")
