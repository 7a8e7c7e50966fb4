"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json: generated from the routes of the
API blueprint and what each declares with ``@endpoint`` (its schemas, status and roles), so it says
exactly what is served and enforced.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, current_app, jsonify
from pydantic.json_schema import models_json_schema
from werkzeug.routing import Rule

from traceability.api.endpoint import MAX_BODY, IdempotencyHeader, Operation
from traceability.api.schemas.base import ErrorBody

bp = Blueprint("openapi", __name__)
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
REF = "#/components/schemas/{model}"
PATH_PARAMETERS = {
    "code": "A lot's code, as printed on its label",
    "planting_id": "A planting's id",
    "planting": "A planting's id, or the uuid the phone that started it gave it",
    "record": "The uuid a phone gave the record",
    "photo": "The uuid the phone gave the photo: sending it again is harmless",
}
# What an answer names that another operation takes in its path (OpenAPI links): a client, and a
# stateful fuzzer, can follow a new planting to recording on it.
LINKS = {
    "create_planting": {
        "RecordInput": {"operationId": "create_input", "parameters": {"planting": "$response.body#/id"}},
    },
}
STRING = {"type": "string"}
UUID = {"type": "string", "format": "uuid"}
# What the views look up; anything else is simply not found (404).
PATH_SCHEMAS = {
    "record": UUID,
    "photo": UUID,
    "planting": {"anyOf": [{"type": "string", "pattern": r"^[1-9][0-9]{0,9}$"}, UUID]},
}
ERRORS = {
    "400": "The body, query or a header does not match its schema (bad_request); the field is named",
    "401": "No valid token (unauthorized)",
    "403": "The token's role does not allow this (forbidden)",
    "404": "No such record in the token's organisation (not_found)",
    "409": "Another write was already received under this uuid or Idempotency-Key (conflict); "
    "the stored answer is in error.stored",
    "422": "A rule of the records is broken (invalid, or a more specific code); the field is named",
}
INFO = {
    "title": "Traceability API",
    "version": "1",
    "description": "Bearer tokens (create one under your account, or `flask --app traceability users token`). "
    "Quantities are decimals (a JSON number or a string of digits; answers give strings), dates YYYY-MM-DD, "
    "lots named by their code. A field record made on a phone carries the `uuid` the phone gave it and its "
    "`saved_at`: sent again it is answered as the first time, with nothing written. Texts have their runs of whitespace collapsed and may not hold control "
    f"characters. A body is one JSON object of at most {MAX_BODY // 1024} kB, 200 levels deep at most. "
    'Errors are {"error": {"code", "message", "field"}}, the message in the user\'s language '
    "(Vietnamese; ?lang=en for English).",
}


@bp.get("/api/v1/openapi.json")
def openapi():
    if "openapi" not in current_app.extensions:
        current_app.extensions["openapi"] = document(current_app)
    return jsonify(current_app.extensions["openapi"])


def api_operations(app: Flask) -> list[tuple[str, str, Rule, Operation]]:
    """(path as OpenAPI writes it, method, endpoint, declaration) for every route of the API blueprint."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = CONVERTER.sub(r"{\2}", rule.rule.removeprefix("/api/v1"))
            operation = app.view_functions[rule.endpoint].operation
            found += [(path, m.lower(), rule, operation) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found, key=lambda x: (x[0], x[1]))


def document(app: Flask) -> dict:
    operations = api_operations(app)
    models = {(ErrorBody, "serialization"), (IdempotencyHeader, "validation")}
    for _path, _method, _rule, op in operations:
        models |= {(op.response, "serialization")}
        models |= {(m, "validation") for m in (op.body, op.query) if m is not None}
    refs, top = models_json_schema(sorted(models, key=lambda x: (x[0].__name__, x[1])), ref_template=REF)
    schemas = top["$defs"]

    def parameters(model, where: str) -> list[dict]:
        definition = schemas[refs[(model, "validation")]["$ref"].rsplit("/", 1)[1]]
        required = set(definition.get("required", ()))
        return [
            {"name": name, "in": where, "required": name in required, "schema": schema}
            for name, schema in definition["properties"].items()
        ]

    paths: dict[str, dict] = {}
    for path, method, rule, op in operations:
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": PATH_PARAMETERS.get(name, name),
                "schema": PATH_SCHEMAS.get(name, {"type": "integer", "minimum": 0} if converter == "int" else STRING),
            }
            for converter, name in CONVERTER.findall(rule.rule)
        ]
        if op.query is not None:
            params += parameters(op.query, "query")
        writes = method in ("post", "put")
        if writes:
            params += [{**p, "required": False} for p in parameters(IdempotencyHeader, "header")]
        errors = {"401"}
        errors |= {"400"} if op.body or op.query or writes else set()
        errors |= {"403"} if op.roles is not None else set()
        errors |= {"404"} if "{" in path else set()
        errors |= {"409", "422"} if writes else set()
        entry = {
            "operationId": rule.endpoint.removeprefix("api."),
            "summary": op.summary,
            "parameters": params,
            "responses": {
                str(op.status): {
                    "description": "Created" if op.status == 201 else "OK",
                    "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
                    **({"links": LINKS[name]} if (name := rule.endpoint.removeprefix("api.")) in LINKS else {}),
                },
                **{code: {"$ref": f"#/components/responses/E{code}"} for code in sorted(errors)},
            },
        }
        if op.roles is not None:
            entry["description"] = "Roles: " + ", ".join(sorted(r.value for r in op.roles)) + "."
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        if op.raw_body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {
                    kind: {"schema": {"type": "string", "contentMediaType": kind}}
                    for kind in (op.raw_body, "image/png", "image/webp")
                },
            }
        paths.setdefault(path, {})[method] = entry

    error = {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {f"E{code}": {"description": text, "content": error} for code, text in ERRORS.items()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
