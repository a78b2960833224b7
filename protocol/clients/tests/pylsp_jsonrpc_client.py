"""python-lsp-jsonrpc (the JSON-RPC layer of python-lsp-server) drives `docker-preflight serve` over LSP framing:
initialize, diagnose and waitReady with a workDoneToken ($/progress), a waitReady and a heal cancelled by cancelling
their futures (the library sends $/cancelRequest itself), shutdown and exit."""

import os
import subprocess
import threading
from concurrent import futures

from client_test_support import Recorder, check, engine_host, progress_kinds, require, run, server_command

endpoint_module = require("pylsp_jsonrpc.endpoint", "python-lsp-jsonrpc")
streams = require("pylsp_jsonrpc.streams", "python-lsp-jsonrpc")
exceptions = require("pylsp_jsonrpc.exceptions", "python-lsp-jsonrpc")

TIMEOUT = 60


def session():
    recorder = Recorder("python-lsp-jsonrpc")
    server = subprocess.Popen(server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ))
    writer = streams.JsonRpcStreamWriter(server.stdin)
    reader = streams.JsonRpcStreamReader(server.stdout)
    started = {"heal": threading.Event(), "wait-down": threading.Event()}
    cancelled_answers = []
    cancelled_answer = threading.Condition()

    def send(message):
        recorder.sent(message)
        writer.write(message)

    def on_notification(method, params):
        if method != "$/progress":
            return
        if params["value"].get("message", "").startswith("step 1/1"):
            started["heal"].set()
        if params["token"] == "wait-down" and params["value"]["kind"] == "begin":
            started["wait-down"].set()

    class Dispatcher(dict):
        """Notifications from the server; python-lsp-jsonrpc looks methods up by name, with a default."""

        def __missing__(self, method):
            return lambda params: on_notification(method, params)

    endpoint = endpoint_module.Endpoint(Dispatcher(), send)

    def consume(message):
        recorder.received(message)
        if message.get("id") is not None and message.get("error", {}).get("code") == -32800:
            # The answer every cancelled request still gets (JSON-RPC owes one). python-lsp-jsonrpc 1.1 would settle
            # the future it already cancelled, which raises InvalidStateError and ends its reader thread: keep it.
            with cancelled_answer:
                cancelled_answers.append(message["id"])
                cancelled_answer.notify_all()
            return
        endpoint.consume(message)

    listener = threading.Thread(target=reader.listen, args=(consume,), daemon=True)
    listener.start()
    try:
        result = endpoint.request("initialize", {"processId": os.getpid(), "capabilities": {}}).result(TIMEOUT)
        check(result["protocolVersion"].startswith("1."), f"initialize: {result}")
        endpoint.notify("initialized", {})

        report = endpoint.request("diagnose", {"host": engine_host(), "workDoneToken": 7}).result(TIMEOUT)
        check(report["healthy"] is True and report["engine"]["apiVersion"], f"diagnose: {report}")
        check(progress_kinds(recorder, 7) == ["begin", "end"], "diagnose progress: begin, end")

        ready = endpoint.request("waitReady", {"host": engine_host(), "workDoneToken": "wait"}).result(TIMEOUT)
        check(ready["ready"] is True, f"waitReady: {ready}")
        kinds = progress_kinds(recorder, "wait")
        check(kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds, f"waitReady progress: {kinds}")

        def cancel(method, params, token):
            with cancelled_answer:
                before = len(cancelled_answers)
            future = endpoint.request(method, {**params, "workDoneToken": token})
            check(started[token].wait(TIMEOUT), f"{method} did not start")
            check(future.cancel(), f"the {method} future could not be cancelled")
            try:
                future.result(TIMEOUT)
            except (futures.CancelledError, exceptions.JsonRpcRequestCancelled):
                pass
            # The library forgets a cancelled request; the server still owes it -32800, after its progress ends.
            with cancelled_answer:
                answered = cancelled_answer.wait_for(lambda: len(cancelled_answers) == before + 1, TIMEOUT)
            check(answered, f"no -32800 for the cancelled {method}: {cancelled_answers}")
            check(progress_kinds(recorder, token)[-1] == "end", f"the {method}'s progress ends")

        # The server's own endpoint is down: the wait would last its whole 60 s, unless cancelled.
        cancel("waitReady", {"timeoutMs": 60000}, "wait-down")
        cancel("heal", {"allow": True, "strategies": ["configured"]}, "heal")

        check(endpoint.request("shutdown").result(TIMEOUT) is None, "shutdown answers null")
        endpoint.notify("exit")
        status = server.wait(TIMEOUT)
        check(status == 0, f"exit after shutdown: status {status}")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        endpoint.shutdown()
    listener.join(TIMEOUT)
    recorder.finish()


run("python-lsp-jsonrpc", session)
