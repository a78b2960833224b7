#!/usr/bin/env python3
"""A docker-preflight client in Python's standard library alone: what an editor extension does, in brief.

    python3 minimal_client.py [HOST]     # exit 0: the engine is ready; 1: it is not (the report says why)

It starts `docker-preflight serve` (the program named by $DOCKER_PREFLIGHT, else the one on PATH), speaks LSP
framing, initializes, calls diagnose with a workDoneToken (progress goes to stderr), prints the report's verdict,
then shuts the server down. One request at a time: a client that runs several at once keeps a table of pending
ids, as protocol/README.md describes.
"""

import itertools
import json
import os
import subprocess
import sys


class PreflightError(Exception):
    """An error response: `code` (protocol/README.md, Errors), `message`, and `data` for codes that carry it."""

    def __init__(self, error):
        super().__init__(f"{error['code']}: {error['message']}")
        self.code, self.data = error["code"], error.get("data")


class PreflightClient:
    def __init__(self, command, on_progress=lambda token, value: None, ask=lambda params: None):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.ids = itertools.count(1)
        self.on_progress = on_progress  # $/progress: (token, {kind, title?, message?, percentage?})
        self.ask = ask  # window/showMessageRequest params -> the chosen action ({"title": …}) or None

    def send(self, message):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def receive(self):
        length = None
        while (line := self.process.stdout.readline()) not in (b"\r\n", b"\n"):
            if not line:
                raise EOFError("docker-preflight closed its output")
            name, _, value = line.decode("ascii").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def request(self, method, params=None):
        id_ = next(self.ids)
        self.send({"id": id_, "method": method, **({} if params is None else {"params": params})})
        while True:
            message = self.receive()
            if message.get("method") == "$/progress":
                self.on_progress(message["params"]["token"], message["params"]["value"])
            elif message.get("method") == "window/showMessageRequest":
                self.send({"id": message["id"], "result": self.ask(message["params"])})
            elif "method" not in message and message.get("id") == id_:
                if "error" in message:
                    raise PreflightError(message["error"])
                return message["result"]
            # Anything else (window/logMessage, notifications added later) may be ignored.

    def close(self):
        self.request("shutdown")
        self.send({"method": "exit"})
        return self.process.wait()


def main(arguments):
    client = PreflightClient(
        [os.environ.get("DOCKER_PREFLIGHT", "docker-preflight"), "serve"],
        on_progress=lambda token, value: print(f"[{value['kind']}] {value.get('title') or value.get('message', '')}",
                                               file=sys.stderr))
    info = client.request("initialize", {"processId": os.getpid(), "clientInfo": {"name": "minimal_client.py"},
                                         "capabilities": {"window": {"showMessage": {}}}})
    if not info["protocolVersion"].startswith("1."):
        sys.exit(f"docker-preflight speaks protocol {info['protocolVersion']}; this client knows 1.x")
    client.send({"method": "initialized", "params": {}})
    report = client.request("diagnose", {"workDoneToken": "diagnose", **({"host": arguments[0]} if arguments else {})})
    print(f"{report['endpoint']['host']}: {report['status']}")
    for issue in report["issues"]:
        print(f"  {issue['code']}: {issue['message']}\n  → {issue['recommendation']}")
    status = client.close()
    return 0 if report["healthy"] and status == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
