#!/usr/bin/env python3
"""Writes link/startup-order.txt, the linker's section ordering file: `make startup-order`.

Runs the release binary under callgrind for the command lines that start most often (`check --json`, `check`,
`wait`, the docker-path shim, a `serve` session through `initialize` and one `diagnose`), against a private dockerd
(root, as `make bench` runs one), and lists every function of the binary that ran, first profile first, as the
input section gold gives it with function sections (`.text.<symbol>`). Linked in that order the start path is one
contiguous ~1 MiB run of code instead of ~5 MiB of pages scattered over 14 MB of .text: every page a start touches
is mapped and counted in its RSS (with the kernel's fault-around, 64 KiB at a time).

The file is an ordering hint: a function that is gone or renamed is skipped by the linker, a new one lands in the
usual place. Regenerate it when the start path changes a lot.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import PrivateDaemon  # noqa: E402

OUTPUT = BENCH.parent / "link" / "startup-order.txt"


def callgrind(binary: str, arguments: list[str], out: Path, env: dict[str, str], stdin: bytes | None = None) -> None:
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--compress-strings=no",
               "--demangle=no", binary, *arguments]  # fmt: skip
    subprocess.run(command, input=stdin, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def serve_session(binary: str, out: Path, env: dict[str, str]) -> None:
    """`serve` answering `initialize` and `diagnose`, idle in between, as an editor keeps it."""
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--compress-strings=no",
               "--demangle=no", binary, "serve"]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=env)  # fmt: skip

    def send(line: str, answered: bool) -> None:
        process.stdin.write(line.encode() + b"\n")
        process.stdin.flush()
        if answered:
            process.stdout.readline()

    send('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}', True)
    send('{"jsonrpc":"2.0","method":"initialized"}', False)
    time.sleep(0.5)
    send('{"jsonrpc":"2.0","id":2,"method":"diagnose","params":{}}', True)
    send('{"jsonrpc":"2.0","id":3,"method":"shutdown"}', True)
    send('{"jsonrpc":"2.0","method":"exit"}', False)
    process.wait(timeout=120)


def functions(profile: Path, binary: str) -> list[str]:
    """The functions of `binary` that ran, in the order callgrind first lists them."""
    names: list[str] = []
    current_object = None
    for line in profile.read_text(errors="replace").splitlines():
        if line.startswith("ob="):
            current_object = line[3:].strip()
        elif line.startswith("fn=") and current_object == binary:
            name = line[3:].strip().split("'")[0]  # 'N marks a recursion level
            if not name.startswith("0x"):
                names.append(name)
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the release docker-preflight (with its symbols)")
    parser.add_argument("--output", default=str(OUTPUT))
    options = parser.parse_args()
    binary = os.path.realpath(options.binary)
    with tempfile.TemporaryDirectory(prefix="startup-order-") as directory:
        directory = Path(directory)
        # valgrind cannot read the DWARF swiftc writes; the symbol table is all it needs here.
        stripped = str(directory / "docker-preflight")
        subprocess.run(["objcopy", "--strip-debug", binary, stripped], check=True)
        daemon = PrivateDaemon(directory / "engine")
        (directory / "engine").mkdir()
        daemon.start()
        try:
            env = dict(os.environ, DOCKER_HOST=daemon.host, HOME=str(directory))
            profiles = []
            commands = [("check-json", ["check", "--json"]), ("check", ["check"]),
                        ("wait", ["wait", "--timeout", "30s"]), ("shim", ["docker", "version"])]  # fmt: skip
            for name, arguments in commands:
                profiles.append(directory / f"{name}.callgrind")
                callgrind(stripped, arguments, profiles[-1], env)
            profiles.append(directory / "serve.callgrind")
            serve_session(stripped, profiles[-1], env)
        finally:
            daemon.stop()
        seen: set[str] = set()
        lines = []
        for profile in profiles:
            for name in functions(profile, stripped):
                if name not in seen:
                    seen.add(name)
                    lines.append(f".text.{name}\n")
    Path(options.output).write_text("".join(lines))
    print(f"{options.output}: {len(lines)} functions from {len(profiles)} profiles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
