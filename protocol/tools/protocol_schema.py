"""The protocol's schemas (protocol/schema/index.json and the files it names) and a checker for whole sessions.

A session is the messages both sides exchanged, in order. The checker labels each message with its method (a
response gets the method of the request it answers), validates server messages against the schemas, and checks
the guarantees a schema cannot express: error codes documented for the method, and `$/progress` for a request
beginning first and ending before the request's response.

Client messages are the test's to choose (malformed ones included); one rule applies to them: params the server
accepted (answered with a result) must be valid params.
"""

import json
import pathlib

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent.parent / "schema"
SERVER, CLIENT = "server-to-client", "client-to-server"


class ProtocolSchemas:
    """index.json and every schema file under schema/, resolvable by their relative $refs."""

    def __init__(self, directory=SCHEMA_DIR):
        self.directory = pathlib.Path(directory)
        self.index = json.loads((self.directory / "index.json").read_text())
        resources = []
        for path in sorted(self.directory.rglob("*.json")):
            if path.name == "index.json":
                continue
            contents = json.loads(path.read_text())
            Draft202012Validator.check_schema(contents)
            resources.append((path.as_uri(), Resource.from_contents(contents, default_specification=DRAFT202012)))
        self.registry = Registry().with_resources(resources)
        self._validators = {}

    def validator(self, reference):
        """A validator for `reference`, a path relative to schema/ with an optional JSON pointer fragment."""
        if reference not in self._validators:
            file, _, pointer = reference.partition("#")
            uri = (self.directory / file).as_uri() + ("#" + pointer if pointer else "")
            self._validators[reference] = Draft202012Validator({"$ref": uri}, registry=self.registry)
        return self._validators[reference]

    def errors(self, reference, instance):
        """Readable violations of `reference` by `instance` (empty when valid)."""
        found = sorted(self.validator(reference).iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found]

    def method(self, name):
        return self.index["methods"].get(name)


class SessionChecker:
    """Checks one session's messages, fed in order with `add(direction, message)`; `violations` collects findings."""

    def __init__(self, schemas, label=""):
        self.schemas = schemas
        self.label = label
        self.violations = []
        self.seen = {}  # method -> number of server messages checked for it
        self.client_requests = {}  # id -> (method, params) of requests in flight
        self.server_requests = {}  # id -> method
        self.progress = {}  # token -> {"id": request id, "state": "none" | "begun" | "ended"}

    def add(self, direction, message):
        if isinstance(message, list):
            if direction == SERVER:
                self._check(message, "jsonrpc.json#/$defs/batchResponse", "a batch answer")
            for element in message:
                self._add_one(direction, element)
        else:
            self._add_one(direction, message)

    def _fail(self, what, problems):
        for problem in problems:
            self.violations.append(f"{self.label}{what}: {problem}")

    def _check(self, instance, reference, what):
        problems = self.schemas.errors(reference, instance)
        self._fail(what, problems)
        return not problems

    def _count(self, method):
        self.seen[method] = self.seen.get(method, 0) + 1

    def _add_one(self, direction, message):
        if direction == CLIENT:
            self._client_message(message)
        else:
            self._server_message(message)

    # Client messages: remembered, checked only once the server has accepted them.

    def _client_message(self, message):
        if not isinstance(message, dict):
            return
        method, id_ = message.get("method"), message.get("id")
        if isinstance(method, str) and "id" in message:
            self.client_requests[_key(id_)] = (method, message.get("params"))
            params = message.get("params")
            token = params.get("workDoneToken") if isinstance(params, dict) else None
            if isinstance(token, (int, str)) and not isinstance(token, bool):
                self.progress[_key(token)] = {"id": _key(id_), "state": "none"}
        elif isinstance(method, str):
            entry = self.schemas.method(method)
            if entry and entry["direction"] == CLIENT and entry.get("params") and message.get("params") is not None:
                # A notification is never answered: its params must simply be valid (tests send no bad ones).
                self._check(message["params"], entry["params"], f"{method} params")
        elif "id" in message and _key(id_) in self.server_requests:
            method = self.server_requests.pop(_key(id_))
            entry = self.schemas.method(method)
            if "result" in message and entry.get("result"):
                self._check(message["result"], entry["result"], f"the client's {method} result")

    # Server messages: every one must be valid.

    def _server_message(self, message):
        if not self._check(message, "jsonrpc.json#/$defs/message", "envelope"):
            return
        method = message.get("method")
        if method is None:
            self._response(message)
            return
        entry = self.schemas.method(method)
        kind = "request" if "id" in message else "notification"
        if entry is None or entry["direction"] != SERVER or entry["kind"] != kind:
            self._fail(method, [f"the server sent a {kind} {method!r}, which index.json does not list as one"])
            return
        self._count(method)
        params = message.get("params")
        if params is None:
            if entry.get("paramsRequired"):
                self._fail(method, ["params missing"])
        elif entry.get("params"):
            self._check(params, entry["params"], f"{method} params")
        if kind == "request":
            self.server_requests[_key(message["id"])] = method
        if method == "$/progress" and isinstance(params, dict):
            self._progress(params)

    def _progress(self, params):
        token, kind = _key(params.get("token")), (params.get("value") or {}).get("kind")
        tracked = self.progress.get(token)
        if tracked is None or tracked["state"] == "done":
            self._fail("$/progress", [f"token {token} belongs to no request in flight ({kind})"])
            return
        expected = {"begin": "none", "report": "begun", "end": "begun"}[kind]
        if tracked["state"] != expected:
            self._fail("$/progress", [f"token {token}: {kind} after {tracked['state']}"])
        tracked["state"] = {"begin": "begun", "report": "begun", "end": "ended"}[kind]

    def _response(self, message):
        id_ = _key(message.get("id"))
        request = self.client_requests.pop(id_, None) if message.get("id") is not None else None
        method = request[0] if request else None
        for token, tracked in self.progress.items():
            if tracked["id"] == id_ and tracked["state"] != "done":
                if tracked["state"] == "begun":
                    self._fail(f"{method} response", [f"sent before the end of the progress of token {token}"])
                tracked["state"] = "done"
        if "error" in message:
            self._error(method, message["error"])
            return
        if method is None:
            self._fail("response", [f"a result for id {message.get('id')!r}, which no request in flight had"])
            return
        entry = self.schemas.method(method)
        if entry is None or not entry.get("result"):
            self._fail(method, ["answered with a result, but index.json has no result schema for it"])
            return
        self._count(method)
        self._check(message["result"], entry["result"], f"{method} result")
        params = request[1]
        if entry.get("params") and params is not None:
            self._check(params, entry["params"], f"{method} params the server accepted")

    def _error(self, method, error):
        code = str(error.get("code"))
        documented = self.schemas.index["errors"].get(code)
        what = f"{method or 'unmatched'} error {code}"
        self._count(f"error {code}")
        if documented is None:
            self._fail(what, ["the code is not in index.json"])
            return
        entry = self.schemas.method(method) if method else None
        # A method's "errors" lists its domain codes; as an object, it may give a code data of its own.
        listed = (entry or {}).get("errors", [])
        if not documented.get("any") and code not in map(str, listed):
            self._fail(what, [f"index.json does not list {code} for {method}"])
        data_schema = (listed.get(code) if isinstance(listed, dict) else None) or documented.get("data")
        if "data" in error:
            if data_schema:
                self._check(error["data"], data_schema, f"{what} data")
            else:
                self._fail(what, ["carries data, but index.json gives the code none"])
        elif data_schema and not documented.get("dataOptional"):
            self._fail(what, ["data missing"])


def _key(value):
    """Ids and tokens as dictionary keys: 1 and "1" are different ids."""
    return json.dumps(value)
