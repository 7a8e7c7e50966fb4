"""The OpenAPI 3 description of API v1, served at /api/v1/openapi.json (a test keeps it true)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from traceability.units import NET_CONTENT_UNITS, Unit

bp = Blueprint("openapi", __name__)


def _body(required: list[str], properties: dict) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": properties}}},
    }


S, N, I, D = (  # noqa: E741
    {"type": "string"},
    {"oneOf": [{"type": "number"}, {"type": "string"}]},
    {"type": "integer"},
    {  # noqa: E741
        "type": "string",
        "format": "date",
    },
)
UNIT = {"enum": [u.value for u in Unit]}
ERRORS = {str(code): {"$ref": "#/components/responses/Error"} for code in (400, 401, 403, 404, 422)}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": S,
    "description": "A retry with the same key and body returns the first answer instead of writing twice.",
}
LOT = {"name": "code", "in": "path", "required": True, "schema": S}


def _post(summary: str, body: dict, parameters=()) -> dict:
    return {
        "post": {
            "summary": summary,
            "parameters": [IDEMPOTENCY, *parameters],
            "requestBody": body,
            "responses": {"201": {"description": "Created"}, **ERRORS},
        }
    }


PATHS = {
    "/products": {
        "get": {
            "summary": "Products of the token's organisation",
            "responses": {"200": {"description": "OK"}, **ERRORS},
        }
    },
    "/plots": _post(
        "Register a plot",
        _body(
            ["code", "name", "village_id", "area_m2", "crop"],
            {"code": S, "name": S, "village_id": I, "area_m2": N, "crop": S, "household_id": I},
        ),
    ),
    "/plantings": _post(
        "Start a season on a plot",
        _body(["plot_id", "sown_on"], {"plot_id": I, "sown_on": D, "crop": S, "variety": S, "area_m2": N}),
    ),
    "/plantings/{planting_id}/inputs": _post(
        "Record a spray or fertiliser",
        _body(
            ["applied_on", "trade_name"],
            {
                "applied_on": D,
                "trade_name": S,
                "kind": {"enum": ["fertiliser", "plant_protection", "other"]},
                "dose": N,
                "dose_unit": S,
                "active_ingredient": S,
                "phi_days": I,
            },
        ),
        [{"name": "planting_id", "in": "path", "required": True, "schema": I}],
    ),
    "/harvests": _post(
        "Harvest a planting into a harvest lot (refused while a PHI runs)",
        _body(["planting_id", "quantity_kg"], {"planting_id": I, "harvested_on": D, "quantity_kg": N, "grade": S}),
    ),
    "/processing-runs": _post(
        "Process input lots into output lots (mass balance checked)",
        _body(
            ["inputs", "outputs"],
            {
                "processed_on": D,
                "reason": S,
                "steps": {"type": "array", "items": S},
                "inputs": {"type": "array", "items": {"type": "object", "properties": {"lot_code": S, "quantity": N}}},
                "outputs": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"product_code": S, "quantity": N, "unit": UNIT}},
                },
            },
        ),
    ),
    "/packings": _post(
        "Pack part of a lot into a sale lot of units",
        _body(
            ["source_lot_code", "product_code", "units", "net_content", "net_unit"],
            {
                "source_lot_code": S,
                "product_code": S,
                "units": I,
                "net_content": N,
                "net_unit": {"enum": [u.value for u in NET_CONTENT_UNITS]},
                "packed_on": D,
                "serials": {"type": "boolean"},
            },
        ),
    ),
    "/sales": _post(
        "Sell part of a lot to a buyer",
        _body(
            ["lot_code", "buyer_name", "quantity"],
            {"lot_code": S, "buyer_name": S, "buyer_kind": S, "quantity": N, "sold_on": D, "invoice_ref": S},
        ),
    ),
    "/lots/{code}/recall": _post(
        "Recall a lot and everything made from it", _body(["reason"], {"reason": S, "opened_on": D}), [LOT]
    ),
    "/lots/{code}": {
        "get": {"summary": "One lot", "parameters": [LOT], "responses": {"200": {"description": "OK"}, **ERRORS}}
    },
    "/lots/{code}/trace": {
        "get": {
            "summary": "Trace back or forward",
            "parameters": [LOT, {"name": "direction", "in": "query", "schema": {"enum": ["back", "forward"]}}],
            "responses": {"200": {"description": "OK"}, **ERRORS},
        }
    },
    "/ocop/criteria-sets": {
        "get": {
            "summary": "OCOP criteria sets with their criteria, options, points and star "
            "minimums (one entry per set and version)",
            "responses": {"200": {"description": "OK"}, **ERRORS},
        }
    },
    "/ocop/score": {
        "post": {
            "summary": "Score OCOP answers: part subtotals, total, band stars, stars awarded, what the next star needs",
            "requestBody": _body(
                ["set", "answers"],
                {
                    "set": S,
                    "answers": {
                        "type": "object",
                        "additionalProperties": I,
                        "description": 'Criterion id as printed → option number counting from 1, e.g. {"A1.1": 2}',
                    },
                },
            ),
            "responses": {"200": {"description": "OK"}, **ERRORS},
        }
    },
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Traceability API",
        "version": "1",
        "description": "Bearer tokens (create one under your account, or `flask --app traceability users "
        "token`). Quantities are decimals, dates YYYY-MM-DD, lots named by their code.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "responses": {
            "Error": {
                "description": "An error",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "error": {
                                    "type": "object",
                                    "properties": {
                                        "code": S,
                                        "message": S,
                                        "field": {"type": "string", "nullable": True},
                                    },
                                }
                            },
                        }
                    }
                },
            }
        },
    },
}


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(DOCUMENT)
