"""pygls's JSON-RPC client (pygls.client.JsonRPCClient) drives `docker-preflight serve` over LSP framing:
initialize, diagnose and waitReady with a workDoneToken ($/progress), a waitReady and a heal cancelled with
$/cancelRequest (-32800), shutdown and exit. pygls sends string (UUID) ids, a Content-Type header, and
`"params": null` with shutdown and exit."""

import asyncio
import json
import os

from client_test_support import Recorder, check, engine_host, progress_kinds, require, run, server_command

require("lsprotocol", "lsprotocol")
pygls_client = require("pygls.client", "pygls")
pygls_exceptions = require("pygls.exceptions", "pygls")

TIMEOUT = 60


def plain(value):
    """pygls hands results over as named tuples; back to dictionaries and lists."""
    if hasattr(value, "_asdict"):
        return {key: plain(member) for key, member in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(member) for member in value]
    return value


async def cancelled(protocol, method, params, msg_id, started):
    """Sends a request, cancels it once `started` is set, and checks that it answers -32800."""
    answer = protocol.send_request_async(method, params, msg_id=msg_id)
    await asyncio.wait_for(started.wait(), TIMEOUT)
    protocol.notify("$/cancelRequest", {"id": msg_id})
    try:
        await asyncio.wait_for(answer, TIMEOUT)
        check(False, f"the cancelled {method} answered with a result")
    except pygls_exceptions.JsonRpcException as error:
        check(error.code == -32800, f"the cancelled {method} answered {error.code}: {error}")


async def session():
    client = pygls_client.JsonRPCClient()
    recorder = Recorder("pygls")
    protocol = client.protocol
    # Record both ways: what pygls serializes, and every message it parses (the top-level object of each).
    send_data, structure_message = protocol._send_data, protocol.structure_message

    def recording_send(data):
        recorder.sent(json.loads(json.dumps(data, default=protocol._serialize_message)))
        send_data(data)

    def recording_structure(data):
        if "jsonrpc" in data:
            # A copy: pygls turns params and results into named tuples in place.
            recorder.received(json.loads(json.dumps(data)))
        return structure_message(data)

    protocol._send_data, protocol.structure_message = recording_send, recording_structure

    step_started, wait_began = asyncio.Event(), asyncio.Event()

    @client.feature("$/progress")
    def on_progress(params):
        if getattr(params.value, "message", "").startswith("step 1/1"):
            step_started.set()
        if params.token == "pygls-wait-down" and params.value.kind == "begin":
            wait_began.set()

    command = server_command()
    await client.start_io(command[0], *command[1:], env=dict(os.environ))

    async def request(method, params, msg_id=None):
        return plain(await asyncio.wait_for(protocol.send_request_async(method, params, msg_id=msg_id), TIMEOUT))

    result = await request(
        "initialize", {"processId": os.getpid(), "capabilities": {}, "clientInfo": {"name": "pygls"}})
    check(result["serverInfo"]["name"] == "docker-preflight", f"initialize: {result}")
    check({"diagnose", "heal", "waitReady"} <= set(result["capabilities"]["methods"]), f"initialize: {result}")
    protocol.notify("initialized", {})

    report = await request("diagnose", {"host": engine_host(), "workDoneToken": "pygls-diagnose"})
    check(report["healthy"] is True and report["status"] == "ready", f"diagnose: {report}")
    check(progress_kinds(recorder, "pygls-diagnose") == ["begin", "end"], "diagnose progress: begin, end")

    ready = await request("waitReady", {"host": engine_host(), "timeoutMs": 30000, "workDoneToken": "pygls-wait"})
    check(ready["ready"] is True and ready["report"]["healthy"] is True, f"waitReady: {ready}")
    kinds = progress_kinds(recorder, "pygls-wait")
    check(kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds, f"waitReady progress: {kinds}")

    # The server's own endpoint is down: the wait would last its whole 60 s, unless cancelled.
    await cancelled(protocol, "waitReady", {"timeoutMs": 60000, "workDoneToken": "pygls-wait-down"}, "wait-1",
                    wait_began)
    check(progress_kinds(recorder, "pygls-wait-down")[-1] == "end", "the cancelled wait's progress ends")

    await cancelled(
        protocol, "heal", {"allow": True, "strategies": ["configured"], "workDoneToken": "pygls-heal"}, "heal-1",
        step_started)
    check(progress_kinds(recorder, "pygls-heal")[-1] == "end", "the heal's progress ends")

    check(await request("shutdown", None) is None, "shutdown answers null")
    protocol.notify("exit", None)
    status = await asyncio.wait_for(client._server.wait(), TIMEOUT)
    check(status == 0, f"exit after shutdown: status {status}")
    await client.stop() if hasattr(client, "stop") else None
    recorder.finish()


run("pygls", lambda: asyncio.run(session()))
