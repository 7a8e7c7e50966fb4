"""Schemathesis runs GS1's own OpenAPI document of the EPCIS 2.0 REST bindings against ``/epcis`` on a live
server: no server error, and every status code and content type one the document allows.

GS1's document describes the whole standard (29 paths, 63 operations); it is narrowed here, at run time, to
what this repository implements, and only so:

* the paths and methods served (discovery, events, one event, event types, capture and its jobs);
* on ``GET /events``, the query parameters served (any other is refused with a 400, tested elsewhere);
* ``400`` (``400QueryIssues``, GS1's own query exceptions) allowed on ``GET /events``: the standard answers a
  parameter of the wrong type with a ``QueryParameterException``, which the document lists under 400 but
  leaves out of that operation;
* the capture body, a ``oneOf`` of two schemas outside the document, as any JSON object;
* references to files outside the document (``JSON-Schema-Stub.json``, examples on gs1.github.io) replaced by
  an open schema: they cannot be fetched offline, and every body served is checked against the EPCIS JSON
  Schema by the other tests of this folder.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
import yaml
from werkzeug.serving import make_server

from tests.api.test_openapi_fuzzed_by_schemathesis import Counted, Quiet, run_schemathesis
from tests.epcis.conftest import supplier_document
from traceability.epcis.query import KNOWN

GS1_OPENAPI = Path(__file__).resolve().parents[1] / "data" / "epcis" / "rest" / "openapi.yaml"
SERVED = {
    "/": {"options", "get"},
    "/events": {"options", "get"},
    "/events/{eventID}": {"options", "get"},
    "/eventTypes": {"options", "get"},
    "/capture": {"options", "post", "get"},
    "/capture/{captureID}": {"options", "get"},
}


def _open_external(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and not node["$ref"].startswith("#"):
            return {}
        return {k: _open_external(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_open_external(v) for v in node]
    return node


def narrowed(base: str) -> dict:
    document = yaml.safe_load(GS1_OPENAPI.read_text(encoding="utf-8"))
    parameters = document["components"]["parameters"]
    paths = {}
    for path, methods in document["paths"].items():
        if path in SERVED:
            paths[path] = {m: op for m, op in methods.items() if m == "parameters" or m in SERVED[path]}
    events = paths["/events"]["get"]
    events["parameters"] = [
        p for p in events["parameters"] if parameters[p["$ref"].rsplit("/", 1)[-1]].get("in") != "query"
        or parameters[p["$ref"].rsplit("/", 1)[-1]]["name"] in KNOWN
    ]  # fmt: skip
    events["responses"]["400"] = {"$ref": "#/components/responses/400QueryIssues"}
    paths["/capture"]["post"]["requestBody"]["content"]["application/json"] = {"schema": {"type": "object"}}
    document["paths"] = paths
    document["servers"] = [{"url": f"{base}/epcis"}]
    return _open_external(document)


@pytest.fixture
def live(app, partners):
    """The app on a free local port, one request at a time, with the partners' records (and a capture of the
    supplier's document, so one event and one job are there to be read)."""
    assert partners("POST", "/capture", supplier_document()).status_code == 202
    counted = Counted(app.wsgi_app)
    app.wsgi_app = counted
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", counted
    server.shutdown()
    thread.join()


def test_schemathesis_on_gs1s_document_finds_nothing(live, partners, tmp_path: Path):
    base, counted = live
    spec = tmp_path / "epcis-openapi.json"
    spec.write_text(json.dumps(narrowed(base)))
    checks = "--checks=not_a_server_error,status_code_conformance,content_type_conformance"
    run, seconds = run_schemathesis(str(spec), [f"--url={base}/epcis", checks], partners.token, tmp_path)
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    print(
        f"\nschemathesis (GS1 EPCIS) on {database}: {counted.requests} requests, {len(counted.server_errors)} 5xx, {seconds:.1f} s"
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert counted.server_errors == []
    assert counted.requests >= 300
