#!/usr/bin/env python3
"""docker-preflight against its peers: `make bench`.

Starts a private dockerd (root; its own socket, data root and exec root in a temporary directory, the flags of
TestSupport's `DockerDaemon.arguments(in:)`), then measures each pair interleaved (A B, B A, A B, ...) so that both
sides see the same machine load, and prints one table: median, min and max of each side, and the ratio of the
medians. The same goes to bench/results/latest.json.

Rows (see README.md, Performance):
  check         `docker-preflight check --json` vs a C client asking what check asks (the floor), `curl /_ping`,
                `curl /version` and `docker version` of the docker CLI on PATH and of Debian's (both named, with
                their versions); and, against the same curl, two floors: that C client, and the SwiftNIO client alone
  memory        peak RSS of `check --json` vs `docker version` of each docker CLI
  readiness     `wait` returning after the daemon's first `_ping` answer vs 200 ms and 1 s poll loops
  serve         `serve` throughput (NDJSON and LSP framing) vs jansson's parse + dump of the same messages in C
  serve-rss     `serve`'s resident memory once `initialize` is answered
  devcontainer  `devcontainer up` with an `initializeCommand` hook vs without
  shim          the docker-path shim's added time per `docker` call (when the binary has the shim)
  recovery      `serve`'s `watch {recover}`: a kill -9 of the engine to `healthChanged` healthy again, against the
                engine's own cold start (spawn to first `_ping` answer)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import queue
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results" / "latest.json"
ROWS = ["check", "memory", "readiness", "serve", "serve-rss", "devcontainer", "shim", "recovery"]


# ---------------------------------------------------------------------------------------------------------------
# Running things


@dataclass
class Sample:
    wall_ms: float
    # user + system time of the child: steadier than wall time on a loaded machine.
    cpu_ms: float
    max_rss_kib: int
    status: int


class BenchError(Exception):
    pass


def run_timed(argv: list[str], env: dict[str, str], stdin: str = "/dev/null", expect: int | None = 0) -> Sample:
    """Runs argv to its end: wall time from spawn to reaped exit, and the child's peak RSS (getrusage)."""
    error_log = tempfile.NamedTemporaryFile(prefix="bench-stderr-", delete=False)
    error_log.close()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, error_log.name, os.O_WRONLY | os.O_TRUNC, 0),
    ]
    try:
        started = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        ended = time.perf_counter_ns()
        code = os.waitstatus_to_exitcode(status)
        if expect is not None and code != expect:
            raise BenchError(f"{' '.join(argv)} exited with {code}: {Path(error_log.name).read_text()[-2000:]}")
        cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
        return Sample((ended - started) / 1e6, cpu_ms, usage.ru_maxrss, code)
    finally:
        os.unlink(error_log.name)


def which(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BenchError(f"{name} is not on PATH (make deps installs it)")
    return found


def command_output(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        return f"({error})"


# ---------------------------------------------------------------------------------------------------------------
# The private daemon


def ping(socket_path: str, timeout: float = 1.0) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(socket_path)
            connection.sendall(b"GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
            return connection.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class PrivateDaemon:
    """A dockerd of our own, as TestSupport's DockerDaemon runs it: never /var/run/docker.sock."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = str(directory / "docker.sock")
        self.host = f"unix://{self.socket}"
        self.log = directory / "dockerd.log"
        self.process: subprocess.Popen | None = None

    def arguments(self) -> list[str]:
        d = self.directory
        return [
            which("dockerd"),
            "--host", self.host,
            "--data-root", str(d / "data"),
            "--exec-root", str(d / "exec"),
            "--pidfile", str(d / "docker.pid"),
            "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
            "--storage-driver", "vfs",
        ]  # fmt: skip

    def spawn(self) -> float:
        """Starts dockerd without waiting; returns the CLOCK_MONOTONIC moment (ns) of the spawn."""
        log = open(self.log, "ab")
        spawned = time.monotonic_ns()
        self.process = subprocess.Popen(
            self.arguments(), stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        return spawned

    def cold_start(self, timeout: float = 60) -> float:
        """Spawns dockerd and asks `_ping` every millisecond: ms from the spawn to the first answer."""
        spawned = self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ping(self.socket, timeout=0.5):
                return (time.monotonic_ns() - spawned) / 1e6
            if self.process.poll() is not None:
                raise BenchError(f"dockerd exited with {self.process.returncode}: {self.log_tail()}")
            time.sleep(0.001)
        raise BenchError(f"dockerd did not answer within {timeout} s: {self.log_tail()}")

    def start(self, timeout: float = 60) -> None:
        self.spawn()
        deadline = time.monotonic() + timeout
        delay = 0.005
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"dockerd exited with {self.process.returncode}: {self.log_tail()}")
            if ping(self.socket):
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        raise BenchError(f"dockerd did not answer within {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM by pid; SIGKILL if it lingers past 30 s."""
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # The socket goes with the daemon; a stale one would make the next round's waiter see `refused` first.
        Path(self.socket).unlink(missing_ok=True)

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return "(no log)"


def docker_peers(options: argparse.Namespace) -> list[str]:
    """The docker CLI on PATH (--docker) and Debian's (--debian-docker), each named once: the same file is one peer."""
    peers: list[str] = []
    for candidate in [options.docker or shutil.which("docker"), options.debian_docker]:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        if all(os.path.realpath(candidate) != os.path.realpath(peer) for peer in peers):
            peers.append(candidate)
    if not peers:
        raise BenchError("no docker CLI: neither on PATH nor /usr/bin/docker (make deps installs docker.io)")
    return peers


def process_alive(pid: int) -> bool:
    """Whether pid runs: a zombie (killed, not yet reaped by its parent) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class ServeSession:
    """`docker-preflight serve` with newline-delimited JSON-RPC; a thread reads its stdout and stamps each message
    with the CLOCK_MONOTONIC moment (ns) it arrived."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path):
        self.log = open(log, "ab")
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env)
        self.messages: queue.Queue[tuple[int, dict] | None] = queue.Queue()
        self.log_messages: list[str] = []
        self.next_id = 1
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        for line in self.process.stdout:
            arrived = time.monotonic_ns()
            try:
                self.messages.put((arrived, json.loads(line)))
            except ValueError:
                continue
        self.messages.put(None)

    def receive(self, deadline: float) -> tuple[int, dict] | None:
        """The next message before the monotonic deadline (s), or None; window/logMessage is kept aside."""
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                item = self.messages.get(timeout=remaining)
            except queue.Empty:
                return None
            if item is None:
                raise BenchError(f"serve ended (status {self.process.wait()}); see {self.log.name}")
            if item[1].get("method") == "window/logMessage":
                self.log_messages.append(str(item[1].get("params", {}).get("message")))
            return item
        return None

    def request(self, method: str, params: dict, timeout: float) -> dict:
        request_id = self.next_id
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while (item := self.receive(deadline)) is not None:
            if item[1].get("id") == request_id:
                if "error" in item[1]:
                    raise BenchError(f"{method}: {item[1]['error']}")
                return item[1]["result"]
        raise BenchError(f"{method} was not answered within {timeout} s")

    def next_health(self, healthy: bool, timeout: float) -> int | None:
        """The arrival (ns) of the next `healthChanged` with this `healthy`, or None within timeout seconds."""
        deadline = time.monotonic() + timeout
        while (item := self.receive(deadline)) is not None:
            arrived, message = item
            if message.get("method") == "healthChanged" and message.get("params", {}).get("healthy") is healthy:
                return arrived
        return None

    def drain(self) -> None:
        """Drops what already arrived, so that the next wait sees only what follows."""
        while True:
            try:
                item = self.messages.get_nowait()
            except queue.Empty:
                return
            if item is None:
                self.messages.put(None)
                return

    def close(self) -> None:
        """End of input ends the session (and its watch); SIGKILL by pid if it has not ended within 30 s."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------------------------------
# Statistics and results


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "p95": percentile(values, 0.95),
        "n": len(values),
        "values": [round(v, 3) for v in values],
    }


@dataclass
class Row:
    measure: str
    a: str
    b: str | None
    unit: str
    a_values: list[float]
    b_values: list[float] | None = None
    # How the row is judged: "ratio<=X" (A/B of medians), "ratio>=X", "median<=X", "p95<=X", "added<=X" (A-B).
    targets: list[str] = field(default_factory=list)
    note: str = ""
    # CPU time (user + system) of each side's runs, for one-shot rows.
    a_cpu: list[float] | None = None
    b_cpu: list[float] | None = None

    def ratio(self) -> float | None:
        if not self.b_values or not self.a_values:
            return None
        b = statistics.median(self.b_values)
        return statistics.median(self.a_values) / b if b else None

    def verdicts(self) -> list[tuple[str, bool]]:
        # A row without targets, or whose every run failed, has no verdict (and no median to take).
        if not self.targets or not self.a_values:
            return []
        a = summary(self.a_values)
        results = []
        for target in self.targets:
            kind, _, bound = target.partition("<=") if "<=" in target else target.partition(">=")
            bound_value = float(bound)
            if kind == "ratio":
                value = self.ratio()
            elif kind == "median":
                value = a["median"]
            elif kind == "p95":
                value = a["p95"]
            elif kind == "added":
                value = a["median"] - statistics.median(self.b_values)
            else:
                raise ValueError(target)
            met = value <= bound_value if "<=" in target else value >= bound_value
            results.append((target, met))
        return results

    def as_json(self) -> dict:
        return {
            "measure": self.measure,
            "a": self.a,
            "b": self.b,
            "unit": self.unit,
            "aStats": summary(self.a_values) if self.a_values else None,
            "bStats": summary(self.b_values) if self.b_values else None,
            "ratio": self.ratio(),
            "targets": [{"target": t, "met": met} for t, met in self.verdicts()],
            "note": self.note,
            "aCpuMs": summary(self.a_cpu) if self.a_cpu else None,
            "bCpuMs": summary(self.b_cpu) if self.b_cpu else None,
        }


def format_number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_stats(values: list[float] | None, unit: str) -> str:
    if not values:
        return "—"
    s = summary(values)
    return f"{format_number(s['median'])} ({format_number(s['min'])}–{format_number(s['max'])}) {unit}"


def render_table(rows: list[Row]) -> str:
    lines = [
        "| measure | A | B (peer) | A median (min–max) | B median (min–max) | A/B | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row.ratio()
        verdicts = row.verdicts()
        lines.append(
            "| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                row.measure,
                row.a,
                row.b or "—",
                format_stats(row.a_values, row.unit),
                format_stats(row.b_values, row.unit),
                f"{ratio:.2f}×" if ratio is not None else "—",
                ", ".join(t for t, _ in verdicts) or "—",
                ", ".join("yes" if met else "**no**" for _, met in verdicts) or "—",
            )
        )
    notes = [f"- {row.measure}: {row.note}" for row in rows if row.note]
    # Wall time on a shared machine carries its load; CPU time (user + system) of the process itself does not.
    notes += [
        f"- {row.measure}, CPU (user + system) median: A {format_number(statistics.median(row.a_cpu))} ms, "
        f"B ({row.b}) {format_number(statistics.median(row.b_cpu))} ms"
        for row in rows
        if row.a_cpu and row.b_cpu
    ]
    return "\n".join(lines + ([""] + notes if notes else []))


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "loadAverage": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------------------------------------------
# The rows


class Bench:
    def __init__(self, options: argparse.Namespace, workdir: Path, daemon: PrivateDaemon):
        self.options = options
        self.workdir = workdir
        self.daemon = daemon
        self.binary = str(Path(options.binary).resolve())
        # The docker CLI peers: the one on PATH and Debian's (docker.io), once each when they are the same file.
        self.dockers = docker_peers(options)
        # The CLI the other rows (Dev Containers, the shim) use: Debian's, as before.
        self.docker = self.dockers[-1]
        self.curl = which("curl")
        home = workdir / "home"
        home.mkdir(exist_ok=True)
        # Both sides see the same clean environment: the endpoint from DOCKER_HOST, no user configuration.
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local/state"),
            "DOCKER_HOST": daemon.host,
            "LANG": "C.UTF-8",
        }
        self.rows: list[Row] = []
        # Rows that could not run here, with the reason: printed under the table and kept in the JSON.
        self.skipped: list[tuple[str, str]] = []
        self.random = random.Random(8)
        # The moment (CLOCK_MONOTONIC ns) of the recovery row's latest kill -9.
        self.recovery_killed = 0
        self.tools = self.compile_tools()

    def compile_tools(self) -> dict[str, str]:
        tools = {}
        gcc = which("gcc")
        for name, libraries in [("readiness_timer", []), ("jansson_floor", ["-ljansson"]), ("engine_floor", []),
                                ("peak_rss", [])]:  # fmt: skip
            output = str(self.workdir / name)
            subprocess.run(
                [gcc, "-O2", "-Wall", "-o", output, str(BENCH / "c" / f"{name}.c"), *libraries], check=True
            )
            tools[name] = output
        return tools

    def log(self, message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    def interleaved(
        self, a: list[str], b: list[str], pairs: int, a_stdin: str = "/dev/null", b_stdin: str = "/dev/null",
        env: dict[str, str] | None = None,
    ) -> tuple[list[Sample], list[Sample]]:
        """A B, B A, A B, ...: each pair's two runs see the same moment of the machine, and neither side is always
        first. Two warm-up runs of each are not counted."""
        env = env or self.env
        for _ in range(2):
            run_timed(a, env, a_stdin)
            run_timed(b, env, b_stdin)
        a_samples, b_samples = [], []
        for index in range(pairs):
            if index % 2 == 0:
                a_samples.append(run_timed(a, env, a_stdin))
                b_samples.append(run_timed(b, env, b_stdin))
            else:
                b_samples.append(run_timed(b, env, b_stdin))
                a_samples.append(run_timed(a, env, a_stdin))
        return a_samples, b_samples

    def peak_rss_kib(self, argv: list[str]) -> int:
        """argv's own peak RSS: run through bench/c/peak_rss.c, since ru_maxrss of a child spawned from here starts
        at this interpreter's high-water mark (exec keeps it)."""
        with tempfile.NamedTemporaryFile(prefix="bench-rss-") as output:
            run_timed([self.tools["peak_rss"], output.name, *argv], self.env)
            return int(Path(output.name).read_text())

    def interleaved_peak_rss(self, a: list[str], b: list[str], pairs: int) -> tuple[list[int], list[int]]:
        """Peak RSS in KiB of A and B, in the order `interleaved` runs them (no warm-up: page-cache state is the same
        for both after the timing rows)."""
        a_kib, b_kib = [], []
        for index in range(pairs):
            first, second = (a, b) if index % 2 == 0 else (b, a)
            for argv in (first, second):
                (a_kib if argv is a else b_kib).append(self.peak_rss_kib(argv))
        return a_kib, b_kib

    # -- check and memory

    def check_rows(self, want_memory: bool) -> None:
        pairs = self.options.pairs
        check = [self.binary, "check", "--json"]
        peers = [
            ("C client: `/_ping`, `/version`, `/info` at once (bench/c/engine_floor.c)",
             [self.tools["engine_floor"], self.daemon.socket, "/_ping", "/version", "/info"], "ratio<=1.3",
             "the floor: the same three questions, on three connections at once, read to the end and nothing more"),
            ("`curl --unix-socket S http://localhost/_ping`",
             [self.curl, "-sf", "--unix-socket", self.daemon.socket, "http://localhost/_ping"], "ratio<=1.0",
             "curl asks only `_ping`; check also asks `/version` (and `/info` beside it), which dockerd 20.10 answers "
             "by running `runc --version` and `docker-init --version`"),
            ("`curl … http://localhost/version`",
             [self.curl, "-sf", "--unix-socket", self.daemon.socket, "http://localhost/version"], None,
             "the same engine work as check's readiness (`/version`), without a report"),
        ]  # fmt: skip
        peers += [
            (f"`docker version` ({self.docker_label(docker)})", [docker, "version"], "ratio<=0.4", "")
            for docker in self.dockers
        ]
        for label, peer, target, note in peers:
            self.log(f"check --json vs {label}: {pairs} pairs")
            a, b = self.interleaved(check, peer, pairs)
            self.rows.append(
                Row("one-shot check", "`docker-preflight check --json`", label, "ms",
                    [s.wall_ms for s in a], [s.wall_ms for s in b], [target] if target else [], note,
                    [s.cpu_ms for s in a], [s.cpu_ms for s in b])
            )  # fmt: skip
            if want_memory and peer[0] in self.dockers:
                self.log(f"peak memory of check --json vs {label}: {pairs} pairs")
                a_kib, b_kib = self.interleaved_peak_rss(check, peer, pairs)
                self.rows.append(
                    Row("peak memory of one-shot check", "`docker-preflight check --json`", label, "MiB",
                        [k / 1024 for k in a_kib], [k / 1024 for k in b_kib], ["ratio<=0.5"],
                        "max RSS from getrusage of the reaped child, forked by bench/c/peak_rss.c (a child of this "
                        "Python process would report at least the interpreter's own RSS)")
                )  # fmt: skip

        self.instruction_row()
        self.floor_rows()

    def instruction_row(self) -> None:
        """check's and the floor's user-space instructions, counted by callgrind: the same count run after run, where
        the times above move with the machine's load (the floor's own median moved from 6.7 to 11 ms within an hour
        here). One run each; skipped, and said so, without valgrind."""
        if not shutil.which("valgrind"):
            self.skipped.append(("instructions of one-shot check", "valgrind is not installed"))
            return
        floor = [self.tools["engine_floor"], self.daemon.socket, "/_ping", "/version", "/info"]
        with tempfile.TemporaryDirectory() as directory:
            # valgrind cannot read the DWARF swiftc writes; the symbol table is all it needs.
            stripped = os.path.join(directory, "docker-preflight")
            subprocess.run(["objcopy", "--strip-debug", self.binary, stripped], check=True)
            counts = [self.instructions([stripped, "check", "--json"], directory),
                      self.instructions(floor, directory)]  # fmt: skip
        if None in counts:
            self.skipped.append(("instructions of one-shot check", "callgrind gave no count"))
            return
        self.rows.append(
            Row("instructions of one-shot check", "`docker-preflight check --json`",
                "C client: `/_ping`, `/version`, `/info` at once (bench/c/engine_floor.c)", "M",
                [counts[0] / 1e6], [counts[1] / 1e6], [],
                "callgrind's count of one run each (user space; the kernel's work and the engine's are not in it)")
        )  # fmt: skip

    def instructions(self, argv: list[str], directory: str) -> int | None:
        out = os.path.join(directory, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # fmt: skip
        try:
            with open(out) as profile:
                for line in profile:
                    if line.startswith("summary:"):
                        return int(line.split()[1])
        except FileNotFoundError:
            return None
        return None

    def floor_rows(self) -> None:
        """What asking costs without docker-preflight: how low check could go, against the curl it is held to."""
        pairs = self.options.pairs
        curl = [self.curl, "-sf", "--unix-socket", self.daemon.socket, "http://localhost/_ping"]
        floors = [
            ("C client: `/_ping`, `/version`, `/info` at once",
             [self.tools["engine_floor"], self.daemon.socket, "/_ping", "/version", "/info"],
             "bench/c/engine_floor.c: what check asks, on three connections at once, read to the end and nothing "
             "more; the engine's own time, which no client can save"),
        ]  # fmt: skip
        if self.options.nio_floor:
            floors.append(
                ("SwiftNIO client alone: `/version`", [self.options.nio_floor, self.daemon.socket],
                 "bench/nio-floor: a SwiftNIO HTTP/1.1 client written the usual way (NIOPosix's singleton group, "
                 "NIOHTTP1, NIOAsyncChannel), built as docker-preflight is, asking `/version` only; no parser, no "
                 "`_ping`/`/info`, no report")
            )  # fmt: skip
        for label, command, note in floors:
            self.log(f"floor {label} vs curl /_ping: {pairs} pairs")
            a, b = self.interleaved(command, curl, pairs)
            self.rows.append(
                Row("one-shot floor", label, "`curl --unix-socket S http://localhost/_ping`", "ms",
                    [s.wall_ms for s in a], [s.wall_ms for s in b], [], note,
                    [s.cpu_ms for s in a], [s.cpu_ms for s in b])
            )  # fmt: skip

    def docker_label(self, docker: str | None = None) -> str:
        docker = docker or self.docker
        version = command_output([docker, "--version"])
        return f"{docker}, {version.removeprefix('Docker version ')}"

    # -- readiness

    def readiness_rows(self) -> None:
        rounds = self.options.rounds
        waiters = [
            ("`docker-preflight wait`", [self.binary, "wait", "--timeout", "60s"]),
            ("200 ms poll loop", ["/bin/sh", str(BENCH / "poll_loop.sh"), "0.2", self.daemon.socket]),
            ("1 s poll loop", ["/bin/sh", str(BENCH / "poll_loop.sh"), "1", self.daemon.socket]),
        ]
        latencies: dict[str, list[float]] = {label: [] for label, _ in waiters}
        startups: list[float] = []
        self.daemon.stop()
        for round_index in range(rounds):
            # Each round restarts the daemon once per waiter; the waiters take turns at going first.
            order = waiters[round_index % 3 :] + waiters[: round_index % 3]
            for label, command in order:
                latency, startup = self.readiness_round(command)
                latencies[label].append(latency)
                startups.append(startup)
            self.log(
                f"readiness round {round_index + 1}/{rounds}: "
                + ", ".join(f"{label} {values[-1]:.1f} ms" for label, values in latencies.items())
            )
        self.daemon.start()
        ours = latencies[waiters[0][0]]
        note = (
            "from the daemon's first `_ping` answer (an independent 1 ms poller) to the waiter's exit; "
            f"{rounds} daemon starts per waiter; dockerd took {statistics.median(startups):.0f} ms "
            "(median) from spawn to its first answer"
        )
        for label, _ in waiters[1:]:
            self.rows.append(
                Row("readiness detection latency", waiters[0][0], label, "ms", ours, latencies[label],
                    ["median<=10", "p95<=50"], note)
            )  # fmt: skip
            note = ""

    def readiness_round(self, waiter: list[str]) -> tuple[float, float]:
        """One daemon start: the waiter (run by the timer) is already waiting when dockerd is spawned."""
        timer = subprocess.Popen(
            [self.tools["readiness_timer"], self.daemon.socket, "--", *waiter],
            env=self.env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        # The waiter is up and watching before the daemon starts; a random head start puts the poll loops' ticks at
        # every phase of the daemon's start, as in life (a fixed one would favour or punish them the same each round).
        time.sleep(self.random.uniform(0.2, 1.2))
        spawned = self.daemon.spawn()
        try:
            output, _ = timer.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            timer.kill()
            raise BenchError(f"{' '.join(waiter)} did not end within 90 s")
        finally:
            self.daemon.stop()
        result = json.loads(output)
        if result["status"] != 0 or result["answeredNs"] < 0:
            raise BenchError(f"{' '.join(waiter)}: {result}; dockerd log: {self.daemon.log_tail()}")
        return (result["exitedNs"] - result["answeredNs"]) / 1e6, (result["answeredNs"] - spawned) / 1e6

    # -- recovery after a crash

    def recovery_rows(self) -> None:
        """`serve` with `watch {recover, allow}` keeps a dockerd of its own alive: its configured start command
        (PREFLIGHT_START_COMMAND, heal strategies restricted to `configured`) launches dockerd detached, as a user's
        script would. Each run kill -9s that dockerd (by the pid in its pidfile) and times the kill to the next
        `healthChanged` saying healthy; interleaved with it, the bench's own daemon's cold start is the floor."""
        runs = self.options.recovery_runs
        bound = self.options.recovery_timeout
        engine = PrivateDaemon(self.workdir / "recovery")
        engine.directory.mkdir(exist_ok=True)
        pidfile = engine.directory / "docker.pid"
        home = self.workdir / "recovery-home"
        (home / ".config" / "docker-preflight").mkdir(parents=True, exist_ok=True)
        (home / ".config" / "docker-preflight" / "config.json").write_text(
            json.dumps({"heal": {"strategies": ["configured"]}})
        )
        (home / "run").mkdir(mode=0o700, exist_ok=True)
        arguments = " ".join(shlex.quote(a) for a in engine.arguments())
        script = home / "start-engine"
        # What a user's start script does: launch the engine detached and return; no pidfile housekeeping.
        script.write_text(
            "#!/bin/sh\n"
            f"setsid {arguments} >> {shlex.quote(str(engine.log))} 2>&1 < /dev/null &\n"
            'echo "dockerd launched"\n'
        )
        script.chmod(0o755)
        env = {
            **self.env,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local/state"),
            "XDG_RUNTIME_DIR": str(home / "run"),
            "DOCKER_HOST": engine.host,
            "PREFLIGHT_START_COMMAND": json.dumps([str(script)]),
        }
        # The floor's daemon starts cold in each run; the two engines never answer at the same time.
        self.daemon.stop()
        session = ServeSession([self.binary, "serve"], env, home / "serve.log")
        a_values: list[float] = []
        b_values: list[float] = []
        failures: list[str] = []
        # kill → healthy of the failed runs that did recover, past the bound (ms).
        late: list[float] = []
        try:
            answer = session.request("watch", {"recover": True, "allow": True, "intervalMs": 100}, bound)
            if not answer.get("healthy") and session.next_health(True, bound) is None:
                raise BenchError(
                    f"watch {{recover}} did not start the engine within {bound:.0f} s: {session.log_messages[-3:]}; "
                    f"dockerd log: {engine.log_tail()}"
                )
            for index in range(runs):
                if index % 2 == 1:
                    b_values.append(self.cold_start_floor())
                outcome = self.recovery_run(session, pidfile, bound)
                if isinstance(outcome, float):
                    a_values.append(outcome)
                else:
                    failures.append(outcome)
                if index % 2 == 0:
                    b_values.append(self.cold_start_floor())
                self.log(
                    f"recovery run {index + 1}/{runs}: "
                    + (f"{outcome:.0f} ms" if isinstance(outcome, float) else f"failed ({outcome})")
                    + f"; cold start {b_values[-1]:.0f} ms"
                )
                if isinstance(outcome, float):
                    continue
                # Wait as long again: a recovery that came late is worth knowing; one that never comes leaves
                # nothing to kill, and the remaining runs cannot run.
                if (back := session.next_health(True, bound)) is not None:
                    late.append((back - self.recovery_killed) / 1e6)
                    self.log(f"recovery: the engine came back {late[-1] / 1000:.1f} s after the kill")
                else:
                    failures += ["not run: the engine did not come back"] * (runs - index - 1)
                    self.log(f"recovery: the engine did not come back within {bound:.0f} s; dockerd log:\n"
                             f"{engine.log_tail()}")  # fmt: skip
                    break
        finally:
            session.close()
            self.stop_recovered_engine(engine)
            self.daemon.start()
        note = (
            f"`serve` with `watch {{recover: true, allow: true, intervalMs: 100}}`, its configured start command "
            "launching dockerd detached (setsid); from `kill -9` of that dockerd to the next `healthChanged` with "
            f"`healthy: true`; B: the same dockerd flags, spawn to first `_ping` answer (1 ms poll), interleaved; "
            f"{runs} runs, each bounded to {bound:.0f} s"
        )
        if failures:
            reasons = sorted(set(failures))
            note += f"; **{len(failures)} of {runs} runs failed**: " + "; ".join(reasons)
            if late:
                note += "; the failed runs came back after " + ", ".join(f"{v / 1000:.1f}" for v in late) + " s"
        self.rows.append(
            Row("recovery after a crash", "`watch {recover}`: kill -9 → healthy", "dockerd cold start", "ms",
                a_values, b_values, [], note)
        )  # fmt: skip

    def recovery_run(self, session: ServeSession, pidfile: Path, bound: float) -> float | str:
        """One kill -9 and the wait for healthy again: ms, or why it failed."""
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError) as error:
            return f"no pid to kill ({error})"
        if not process_alive(pid):
            return f"pid {pid} in the pidfile is not a live process"
        session.drain()
        killed = self.recovery_killed = time.monotonic_ns()
        os.kill(pid, signal.SIGKILL)
        healthy = session.next_health(True, bound)
        if healthy is None:
            last = session.log_messages[-1] if session.log_messages else "no window/logMessage"
            return f"not healthy within {bound:.0f} s (last: {last[:160]})"
        return (healthy - killed) / 1e6

    def cold_start_floor(self) -> float:
        try:
            return self.daemon.cold_start()
        finally:
            self.daemon.stop()

    def stop_recovered_engine(self, engine: PrivateDaemon) -> None:
        """The dockerd the heals launched (init's child by now) and its containerd, by the pids in their pidfiles:
        SIGTERM, SIGKILL after 30 s. Only these pidfiles, which only this bench's daemons write."""
        pidfiles = [engine.directory / "docker.pid", engine.directory / "exec" / "containerd" / "containerd.pid"]
        for path in pidfiles:
            try:
                pid = int(path.read_text().strip())
            except (OSError, ValueError):
                continue
            if not process_alive(pid):
                continue
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)
        subprocess.run(["umount", "-l", str(engine.directory / "data")], capture_output=True)

    # -- serve

    def serve_messages(self, count: int) -> list[bytes]:
        """`initialize`, then `count` requests cycling through an initialize-sized request (a second `initialize`:
        -32600), a request answered by a task (`unwatch`: `{}`), an unknown method (-32601) and invalid params
        (-32602); `shutdown` last. Every one is answered."""
        initialize_params = {
            "processId": 4242,
            "clientInfo": {"name": "bench", "version": "1.0.0"},
            "rootUri": "file:///workspaces/project",
            "capabilities": {
                "window": {
                    "workDoneProgress": True,
                    "showMessage": {"messageActionItem": {"additionalPropertiesSupport": True}},
                },
                "general": {"positionEncodings": ["utf-16"]},
            },
            "initializationOptions": {"cancelOnEndOfInput": False},
            "trace": "off",
        }  # fmt: skip
        cycle = [
            {"method": "initialize", "params": initialize_params},
            {"method": "unwatch"},
            {"method": "no/such/method", "params": {"uri": "file:///workspaces/project/.devcontainer"}},
            {"method": "diagnose", "params": {"deep": "yes", "host": 42}},
        ]
        messages = [{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize_params}]
        for index in range(count):
            messages.append({"jsonrpc": "2.0", "id": index + 1, **cycle[index % len(cycle)]})
        messages.append({"jsonrpc": "2.0", "id": count + 1, "method": "shutdown"})
        return [json.dumps(m, separators=(",", ":")).encode() for m in messages]

    def serve_rows(self) -> None:
        count = self.options.messages
        messages = self.serve_messages(count)
        framings = {
            "NDJSON": b"".join(m + b"\n" for m in messages),
            "LSP": b"".join(b"Content-Length: %d\r\n\r\n" % len(m) + m for m in messages),
        }
        for framing, data in framings.items():
            path = self.workdir / f"messages-{framing}"
            path.write_bytes(data)
            self.validate_serve(path, framing, len(messages))
            serve = [self.binary, "serve"]
            floor = [self.tools["jansson_floor"]]
            pairs = self.options.serve_pairs
            self.log(f"serve ({framing}) vs the jansson floor: {pairs} pairs of {len(messages)} messages")
            a, b = self.interleaved(serve, floor, pairs, str(path), str(path))
            rate = lambda s: len(messages) / (s.wall_ms / 1000)  # noqa: E731
            self.rows.append(
                Row(f"`serve` throughput, {framing}", f"`docker-preflight serve` ({len(messages)} messages)",
                    "jansson parse + dump in C", "msg/s", [rate(s) for s in a], [rate(s) for s in b],
                    ["ratio>=0.8"],
                    "whole process lifetimes, start-up included; requests: a second `initialize` (-32600), "
                    "`unwatch` ({}), an unknown method (-32601), invalid params (-32602)"
                    if framing == "NDJSON" else "")
            )  # fmt: skip

    def validate_serve(self, path: Path, framing: str, expected: int) -> None:
        with open(path, "rb") as stdin:
            answered = subprocess.run(
                [self.binary, "serve"], stdin=stdin, capture_output=True, env=self.env, timeout=120
            )
        if answered.returncode != 0:
            raise BenchError(f"serve exited with {answered.returncode}: {answered.stderr.decode()[-2000:]}")
        count = answered.stdout.count(b"Content-Length:") if framing == "LSP" else answered.stdout.count(b"\n")
        if count != expected:
            raise BenchError(f"serve answered {count} of {expected} {framing} requests")

    def serve_rss_row(self) -> None:
        values = []
        for _ in range(self.options.rss_samples):
            process = subprocess.Popen(
                [self.binary, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env
            )
            process.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}\n')
            process.stdin.flush()
            process.stdout.readline()
            process.stdin.write(b'{"jsonrpc":"2.0","method":"initialized"}\n')
            process.stdin.flush()
            time.sleep(0.5)
            status = Path(f"/proc/{process.pid}/status").read_text()
            rss_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            values.append(rss_kib / 1024)
            process.stdin.close()
            process.wait(timeout=30)
        self.rows.append(
            Row("`serve` idle RSS", "after `initialize` (VmRSS)", None, "MiB", values, None, ["median<=10"],
                f"{len(values)} sessions, read from /proc/PID/status 0.5 s after `initialized`")
        )  # fmt: skip

    # -- Dev Containers

    def devcontainer_rows(self) -> None:
        devcontainer = shutil.which("devcontainer")
        if not devcontainer:
            self.log("devcontainer (PyPI devcontainer-rs) is not installed: Dev Container row skipped")
            self.skipped.append(("Dev Container overhead", "`devcontainer` (PyPI devcontainer-rs) is not installed"))
            return
        image = "preflight-bench-probe:latest"
        self.import_probe_image(image)
        # The hook devcontainer/README.md recommends.
        hook = [self.binary, "wait", "--heal", "--timeout", "120s"]
        workspaces = {}
        variants = [
            ("with-hook", {"initializeCommand": hook}),
            ("without-hook", {}),
            # What any hook costs devcontainer-rs (it spawns the command and waits for it), whatever the command.
            ("true-hook", {"initializeCommand": ["/bin/true"]}),
        ]
        for name, extra in variants:
            workspace = self.workdir / "workspaces" / name
            (workspace / ".devcontainer").mkdir(parents=True, exist_ok=True)
            config = {"name": f"bench {name}", "image": image, "overrideCommand": True, "userEnvProbe": "none",
                      "updateRemoteUserUID": False, **extra}  # fmt: skip
            (workspace / ".devcontainer" / "devcontainer.json").write_text(json.dumps(config, indent=2))
            workspaces[name] = [devcontainer, "up", "--workspace-folder", str(workspace), "--docker-path",
                                self.docker, "--log-level", "info", "--skip-post-create"]  # fmt: skip
        # The first `up` creates each container; the measured ones find it running, as a reopened editor does.
        for command in workspaces.values():
            run_timed(command, self.env)
        pairs = self.options.devcontainer_pairs
        version = command_output([devcontainer, "--version"])
        peers = [
            ("without-hook", "`devcontainer up` without the hook", ["added<=50"],
             f"devcontainer-rs {version}, engine healthy, container already running"),
            ("true-hook", "`devcontainer up`, `initializeCommand: /bin/true`", [],
             "the same against a hook that does nothing: what `wait` itself adds, beyond devcontainer-rs running a "
             "hook at all"),
        ]  # fmt: skip
        for peer, label, targets, note in peers:
            self.log(f"devcontainer up with the initializeCommand hook vs {peer}: {pairs} pairs")
            a, b = self.interleaved(workspaces["with-hook"], workspaces[peer], pairs)
            self.rows.append(
                Row("Dev Container overhead", "`devcontainer up`, `initializeCommand: docker-preflight wait --heal`",
                    label, "ms", [s.wall_ms for s in a], [s.wall_ms for s in b], targets, note,
                    [s.cpu_ms for s in a], [s.cpu_ms for s in b])
            )  # fmt: skip

    def import_probe_image(self, name: str) -> None:
        """An image made of busybox-static (`docker import`: nothing is pulled)."""
        busybox = next((p for p in ["/bin/busybox", "/usr/bin/busybox"] if os.access(p, os.X_OK)), None)
        if not busybox:
            raise BenchError("no /bin/busybox: install busybox-static")
        root = self.workdir / "probe-root"
        (root / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copy(busybox, root / "bin" / "busybox")
        for tool in ["sh", "true", "sleep", "id", "cat"]:
            link = root / "bin" / tool
            if not link.exists():
                link.symlink_to("busybox")
        tarball = self.workdir / "probe.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(tarball), "."], check=True)
        subprocess.run([self.docker, "import", str(tarball), name], env=self.env, check=True, capture_output=True)

    def shim_rows(self) -> None:
        """The docker-path shim: `docker` resolving to docker-preflight, which readies the engine and then execs the
        real CLI. Measured only when this binary has it."""
        shim_directory = self.workdir / "shim"
        shim_directory.mkdir(exist_ok=True)
        shim = shim_directory / "docker"
        if not shim.exists():
            shim.symlink_to(self.binary)
        # The shim finds the real CLI through the configuration's `dockerPath`, or on PATH after itself.
        config_home = self.workdir / "shim-config"
        (config_home / "docker-preflight").mkdir(parents=True, exist_ok=True)
        (config_home / "docker-preflight" / "config.json").write_text(json.dumps({"dockerPath": self.docker}))
        env = {**self.env, "XDG_CONFIG_HOME": str(config_home), "PATH": f"{shim_directory}:{self.env['PATH']}"}
        # A binary with the shim lists a `docker` subcommand in its help.
        listed = command_output([self.binary, "--help"], env=self.env).splitlines()
        if not any(line.strip().startswith("docker ") for line in listed):
            reason = "this binary has no `docker` subcommand (the docker-path shim; branch devcontainer)"
            self.log(f"docker-path shim row skipped: {reason}")
            self.skipped.append(("docker-path shim", reason))
            return
        probe = subprocess.run([str(shim), "--version"], env=env, capture_output=True, text=True, timeout=30)
        if not probe.stdout.startswith("Docker version"):
            raise BenchError(f"the shim did not reach the real docker CLI: {probe.stdout}{probe.stderr}")
        pairs = self.options.pairs
        for arguments in (["version"], ["ps", "-q"]):
            self.log(f"docker {' '.join(arguments)} through the shim vs docker alone: {pairs} pairs")
            a, b = self.interleaved([str(shim), *arguments], [self.docker, *arguments], pairs, env=env)
            self.rows.append(
                Row("docker-path shim", f"`docker {' '.join(arguments)}` through the shim",
                    f"`{self.docker} {' '.join(arguments)}`", "ms", [s.wall_ms for s in a], [s.wall_ms for s in b],
                    ["added<=50"],
                    "engine healthy: the shim checks readiness (a ready engine is remembered for 3 s, so back-to-back "
                    "runs mostly find it remembered, as a burst of docker commands does), then execs the real CLI")
            )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------


def stop_on_sigterm(_number, _frame):
    """SIGTERM ends the run as Ctrl-C does: the daemon is stopped and the directory removed."""
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the release docker-preflight to measure")
    parser.add_argument("--docker", help="a docker CLI peer (default: the one on PATH)")
    parser.add_argument("--debian-docker", default="/usr/bin/docker", help="the other docker CLI peer: Debian's")
    parser.add_argument("--nio-floor", help="the release bench/nio-floor binary (`make bench` builds it)")
    parser.add_argument("--pairs", type=int, default=30, help="interleaved pairs per one-shot row (>= 20)")
    parser.add_argument("--rounds", type=int, default=20, help="daemon starts per readiness waiter (>= 20)")
    parser.add_argument("--messages", type=int, default=20000, help="requests per serve run")
    parser.add_argument("--serve-pairs", type=int, default=20, help="interleaved pairs per serve framing")
    parser.add_argument("--devcontainer-pairs", type=int, default=20)
    parser.add_argument("--rss-samples", type=int, default=5)
    parser.add_argument("--recovery-runs", type=int, default=10, help="kill -9s of the engine under watch {recover}")
    parser.add_argument("--recovery-timeout", type=float, default=60, help="seconds a recovery may take (per run)")
    parser.add_argument("--only", default=",".join(ROWS), help=f"comma-separated rows: {', '.join(ROWS)}")
    parser.add_argument("--output", default=str(RESULTS))
    options = parser.parse_args()
    wanted = set(options.only.split(","))
    if unknown := wanted - set(ROWS):
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    for name in ("pairs", "rounds", "serve_pairs", "devcontainer_pairs"):
        if getattr(options, name) < 20:
            print(f"bench: --{name.replace('_', '-')} below 20: a quick look, not a result to publish", file=sys.stderr)
    if os.geteuid() != 0:
        print("bench: needs root to run its private dockerd", file=sys.stderr)
        return 2

    before = machine()
    workdir = Path(tempfile.mkdtemp(prefix="pfb"))  # short: a unix socket path has at most 107 bytes
    daemon = PrivateDaemon(workdir)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    started = time.time()
    try:
        daemon.start()
        bench = Bench(options, workdir, daemon)
        if wanted & {"check", "memory"}:
            bench.check_rows(want_memory="memory" in wanted)
        if "serve" in wanted:
            bench.serve_rows()
        if "serve-rss" in wanted:
            bench.serve_rss_row()
        if "shim" in wanted:
            bench.shim_rows()
        if "devcontainer" in wanted:
            bench.devcontainer_rows()
        if "readiness" in wanted:
            bench.readiness_rows()
        if "recovery" in wanted:
            bench.recovery_rows()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        daemon.stop()
        subprocess.run(["umount", "-l", str(workdir / "data")], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)

    rows = bench.rows
    table = render_table(rows)
    if bench.skipped:
        table += "\n\n" + "\n".join(f"- skipped: {measure}: {reason}" for measure, reason in bench.skipped)
    after = machine()
    environment = {
        "machine": {**before, "loadAverageAfter": after["loadAverage"]},
        "binary": bench.binary,
        "binaryBytes": os.path.getsize(bench.binary),
        "commit": command_output(["git", "-C", str(BENCH.parent), "rev-parse", "--short", "HEAD"]),
        "dockerd": command_output([which("dockerd"), "--version"]),
        "dockerCLIs": {docker: command_output([docker, "--version"]) for docker in bench.dockers},
        "curl": command_output([bench.curl, "--version"]).splitlines()[0],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started),
    }
    header = (
        f"{environment['machine']['cpu']}, {environment['machine']['cores']} cores, load "
        + " ".join(f"{x:.2f}" for x in before["loadAverage"])
        + f" (after: {' '.join(f'{x:.2f}' for x in after['loadAverage'])}); {environment['dockerd']}; "
        + "docker CLIs: " + ", ".join(f"{path} ({version})" for path, version in environment["dockerCLIs"].items())
        + f"; commit {environment['commit']}"
    )
    print(header + "\n\n" + table)
    output = Path(options.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "environment": environment,
        "rows": [r.as_json() for r in rows],
        "skipped": [{"measure": measure, "reason": reason} for measure, reason in bench.skipped],
    }, indent=2) + "\n")
    print(f"\n(written to {output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
