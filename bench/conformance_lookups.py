#!/usr/bin/env python3
"""The protocol conformance lookups a run of the binary makes, in the order they first happen.

    DOCKER_HOST=unix:///path/to/docker.sock python3 bench/conformance_lookups.py --binary BIN -- check --json

Each distinct (type, protocol) pair the Swift runtime is asked about misses its cache once, and a miss is a scan of
every conformance record in the binary (5,557 in a release build with swift-argument-parser): the cost README.md's
Performance section counts. Runs BIN under gdb with a breakpoint on the runtime's lookup (a static binary with its
symbol table: the release build, or `objcopy --strip-debug` of it; gdb reads swiftc's DWARF slowly, not wrongly) and
prints each pair with how many times it was asked. Needs gdb.
"""
import argparse
import os
import subprocess
import sys
import tempfile

LOOKUP = (
    "_ZL52swift_conformsToProtocolMaybeInstantiateSuperclasses"
    "PKN5swift14TargetMetadataINS_9InProcessEEEPKNS_24TargetProtocolDescriptorIS1_EEb"
)

GDB_SCRIPT = r'''
import os

import gdb
counts = {}
order = []

def relative(address):
    return address + int(gdb.parse_and_eval(f"*(int*){address}"))

def text(address):
    return gdb.parse_and_eval(f"(char*){address}").string()

def type_name(metadata):
    kind = int(gdb.parse_and_eval(f"*(unsigned long*){metadata}"))
    if 0x300 <= kind <= 0x7ff:
        return {0x301: "(tuple)", 0x302: "(function)", 0x303: "(existential)"}.get(kind, f"(kind {kind:#x})")
    # A class's description follows its header (40 bytes without Objective-C interop, 64 with); other nominal types
    # keep it right after the kind.
    offset = 40 if kind == 0 else 64 if kind > 0x7ff else 8
    description = int(gdb.parse_and_eval(f"*(unsigned long*)({metadata}+{offset})"))
    return text(relative(description + 8)) if description else f"kind {kind:#x}"

class Lookup(gdb.Breakpoint):
    def stop(self):
        # The result comes back through memory the caller passes first: the type and the protocol follow.
        metadata = int(gdb.parse_and_eval("$rsi"))
        protocol = int(gdb.parse_and_eval("$rdx"))
        try:
            pair = (type_name(metadata), text(relative(protocol + 8)))
        except gdb.error as error:
            pair = ("?", str(error))
        if pair not in counts:
            order.append(pair)
        counts[pair] = counts.get(pair, 0) + 1
        return False

address = int(gdb.parse_and_eval("(long)&'%s'"))
Lookup(f"*{address:#x}", internal=True)

def report(event):
    with open(os.environ["LOOKUPS_OUT"], "w") as out:
        for pair in order:
            out.write(f"{pair[0]} : {pair[1]} ({counts[pair]})\n")

gdb.events.exited.connect(report)
''' % LOOKUP


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    arguments = options.arguments[1:] if options.arguments[:1] == ["--"] else options.arguments
    with tempfile.TemporaryDirectory() as directory:
        script = os.path.join(directory, "lookups.py")
        out = os.path.join(directory, "lookups.txt")
        with open(script, "w") as file:
            file.write(GDB_SCRIPT)
        subprocess.run(
            ["gdb", "-q", "-batch", "-ex", "set pagination off", "-x", script, "-ex", "run", "--args",
             options.binary, *arguments],
            env=dict(os.environ, LOOKUPS_OUT=out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if not os.path.exists(out):
            print("no lookups recorded (is gdb installed, and does the binary keep its symbol table?)", file=sys.stderr)
            return 1
        pairs = open(out).read().splitlines()
    for pair in pairs:
        print(pair)
    print(f"{len(pairs)} distinct type and protocol pairs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
