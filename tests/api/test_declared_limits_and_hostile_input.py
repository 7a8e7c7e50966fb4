"""API v1 against its published document: every declared limit is enforced, and hostile input is a 400
(never a 500) on SQLite and PostgreSQL alike."""

import copy
import json
import re
import uuid

import pytest

from tests.factories import make_org, make_planting, make_plot, make_product, make_user, make_village
from traceability.accounts.models import Role
from traceability.accounts.tenancy import MAX_ID
from traceability.accounts.tokens import create_token
from traceability.extensions import db


@pytest.fixture
def api(app, client):
    with app.app_context():
        org = make_org("limits")
        manager = make_user(org, Role.MANAGER)
        plot = make_plot(org, make_village(org, "Lai Hà"), code="N1", area="3000")
        planting = make_planting(org, manager, plot, sown_days_ago=100, crop="Nghệ")
        make_product(org, code="TBN")
        _row, token = create_token(manager, org, "limits")
        db.session.commit()
        planting_id = planting.id

    def call(method, path, body=None, raw=None, content_type="application/json", **headers):
        path = path.replace("{planting_id}", str(planting_id)).replace("{code}", "NO-SUCH-LOT")
        data = raw if raw is not None else None if body is None else json.dumps(body)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type, **headers}
        response = client.open(f"/api/v1{path}", method=method, data=data, headers=headers)
        assert response.status_code < 500, (path, response.get_data(as_text=True))
        return response

    call.document = client.get("/api/v1/openapi.json").json
    return call


def _resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _branches(document, schema):
    """The alternatives a value may take (``anyOf``), without ``null``."""
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        return [b for alt in schema["anyOf"] for b in _branches(document, alt)]
    return [] if schema.get("type") == "null" else [schema]


def _sample(document, schema):
    """A value that keeps every declared limit of ``schema``: the smallest that does."""
    branch = _branches(document, schema)[0]
    if "enum" in branch:
        return branch["enum"][0]
    kind = branch.get("type")
    if kind == "object":
        return {name: _sample(document, s) for name, s in branch.get("properties", {}).items()}
    if kind == "array":
        return [_sample(document, branch["items"])] * max(branch.get("minItems", 0), 1)
    if kind == "string":
        formats = {"date": "2026-01-01", "date-time": "2026-01-01T08:00:00+07:00", "uuid": str(uuid.uuid4())}
        return formats.get(branch.get("format"), "A")
    if kind == "boolean":
        return False
    return branch.get("minimum", 1)


def _not_matching(pattern):
    return next(s for s in ("a b", "é", "a\\b", "a\x01b") if not re.search(pattern, s))


def _cases(document, schema, path):
    """(where, value one past a limit, value at it or None, field the error names) for each limit."""
    for branch in _branches(document, schema):
        kind = branch.get("type")
        if kind == "object" and "properties" in branch:
            for name, sub in branch["properties"].items():
                yield from _cases(document, sub, [*path, name])
            continue
        if kind == "object":  # a map: its size, its keys, its values
            if "maxProperties" in branch:
                yield path, {f"K{i}": None for i in range(branch["maxProperties"] + 1)}, None, _named(path)
            if "maxLength" in branch.get("propertyNames", {}):
                key = "K" * branch["propertyNames"]["maxLength"]
                yield path, {key + "K": None}, {key: None}, _named([*path, key + "K"])
            for _p, beyond, at, _f in _cases(document, branch["additionalProperties"], []):
                yield path, {"K": beyond}, None if at is None else {"K": at}, _named([*path, "K"])
            continue
        if kind == "array":
            item = _sample(document, branch["items"])
            if "maxItems" in branch:
                yield path, [item] * (branch["maxItems"] + 1), [item] * branch["maxItems"], _named(path)
            if branch.get("minItems"):
                yield path, [item] * (branch["minItems"] - 1), [item] * branch["minItems"], _named(path)
            yield from _cases(document, branch["items"], [*path, 0])
            continue
        limits = []
        if "maxLength" in branch:
            limits.append(("A" * (branch["maxLength"] + 1), "A" * branch["maxLength"]))
        if "pattern" in branch:
            limits.append((_not_matching(branch["pattern"]), None))
        if branch.get("format") == "date":
            limits.append(("2026-02-30", "2026-02-28"))
        if "enum" in branch:
            limits.append(("not-one-of-them", branch["enum"][-1]))
        for key, beyond, at in (
            ("maximum", lambda m: m + 1, lambda m: m),
            ("minimum", lambda m: m - 1, lambda m: m),
            ("exclusiveMaximum", lambda m: int(m), lambda m: f"{int(m) - 1}"),
            ("exclusiveMinimum", lambda m: int(m), lambda m: int(m) + 1),
            ("multipleOf", lambda m: 1 + m / 10, lambda m: f"{1 + m:.{len(str(m)) - 2}f}"),
        ):
            if key in branch:
                limits.append((beyond(branch[key]), at(branch[key])))
        if kind in ("integer", "boolean", "string") and len(_branches(document, schema)) == 1:
            limits.append(({"a": "wrong type"}, None))
        yield from ((path, beyond, at, _named(path)) for beyond, at in limits)


def _named(path):
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _put(body, path, value):
    body = copy.deepcopy(body)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def test_every_declared_limit_answers_400_one_past_it_and_not_at_it(api):
    document, checked = api.document, 0
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            body = _sample(document, schema) if schema else None
            if schema:
                example = _resolve(document, schema)["examples"][0]
                assert api(method.upper(), route, example).status_code != 400, (route, example)
                assert api(method.upper(), route, body).status_code != 400, (route, body)
                for path, beyond, at, field in _cases(document, schema, []):
                    refused = api(method.upper(), route, _put(body, path, beyond))
                    assert refused.status_code == 400, (route, field, beyond, refused.json)
                    assert refused.json["error"]["field"] == field and refused.json["error"]["message"]
                    if at is not None:  # at the limit the schema lets it through (a rule may still refuse it)
                        error = api(method.upper(), route, _put(body, path, at)).json.get("error") or {}
                        assert error.get("field") != field or error["code"] != "bad_request", (route, field, at)
                    checked += 1
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    continue
                for _path, beyond, _at, _field in _cases(document, parameter["schema"], []):
                    if not isinstance(beyond, str):
                        continue
                    if parameter["in"] == "header":
                        refused = api(method.upper(), route, body, **{parameter["name"]: beyond})
                    else:
                        refused = api(method.upper(), f"{route}?{parameter['name']}={beyond}", body)
                    assert refused.status_code == 400 and refused.json["error"]["field"] == parameter["name"], (
                        route,
                        beyond,
                        refused.json,
                    )
                    checked += 1
    assert checked >= 80  # the walk found the limits: it cannot pass by finding none


@pytest.mark.parametrize(
    "raw",
    [
        "[]",
        '"a text"',
        "1",
        "null",
        "true",
        "{",
        "",
        '{"planting_id": 1, "quantity_kg": NaN}',
        '{"planting_id": 1, "quantity_kg": Infinity}',
        '{"planting_id": 1, "quantity_kg": 1e400}',
        '{"planting_id": 100000000000000000000, "quantity_kg": 5}',
        '{"planting_id": 1e400, "quantity_kg": 5}',
        '{"planting_id": 1, "quantity_kg": 5, "grade": "\\ud800"}',
        '{"planting_id": 1, "quantity_kg": 5, "grade": "A\\u0000"}',
        '{"planting_id": 1, "quantity_kg": 5, "grade": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "[" * 100_000 + "]" * 100_000,
        '{"planting_id": [1], "quantity_kg": {"kg": 5}}',
        '{"planting_id": true, "quantity_kg": 5}',
        '{"planting_id": 1, "quantity_kg": "1e3"}',
        '{"planting_id": 1, "quantity_kg": -5}',
    ],
)
def test_hostile_bodies_are_400(api, raw):
    response = api("POST", "/harvests", raw=raw)
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"planting_id": 1, "quantity_kg": 5, "grade": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8
        b'{"planting_id": 1, "quantity_kg": 5, "grade": "\xff"}',
        b"\x00",
    ],
)
def test_bytes_that_are_not_utf8_json_are_400(api, raw):
    response = api("POST", "/harvests", raw=raw)
    assert response.status_code == 400 and response.json["error"]["field"] is None


def test_enormous_bodies_and_lists_are_400(api):
    item = {"lot_code": "A", "quantity": 1}
    body = {"inputs": [item] * 5000, "outputs": [{"product_code": "TBN", "quantity": 1}]}
    response = api("POST", "/processing-runs", body)
    assert response.status_code == 400 and response.json["error"]["field"] == "inputs"
    response = api("POST", "/processing-runs", {**body, "inputs": [item] * 100_000})
    assert response.status_code == 400 and "kB" in response.json["error"]["message"]
    response = api("POST", "/harvests", {"planting_id": 1, "quantity_kg": 5, "grade": "A" * 200_000})
    assert response.status_code == 400 and response.json["error"]["field"] == "grade"


def test_a_body_must_be_sent_as_json(api):
    response = api("POST", "/harvests", {"planting_id": 1, "quantity_kg": 5}, content_type="text/plain")
    assert response.status_code == 400 and "JSON" in response.json["error"]["message"]


def test_hostile_urls_and_headers_are_400_or_404(api):
    assert (
        api("POST", f"/plantings/{MAX_ID + 1}/inputs", {"applied_on": "2026-01-01", "trade_name": "X"}).status_code
        == 404
    )
    assert api("GET", "/lots/100000000000000000000").status_code == 404
    assert api("GET", "/lots/A%00B").status_code == 404
    for query in ("direction=%00", "direction=%ED%A0%80", "direction=" + "x" * 10_000):
        response = api("GET", f"/lots/X/trace?{query}")
        assert response.status_code == 400 and response.json["error"]["field"] == "direction"
    body = {"planting_id": 1, "quantity_kg": 5}
    response = api("POST", "/harvests", body, **{"Idempotency-Key": "khóa"})
    assert response.status_code == 400 and response.json["error"]["field"] == "Idempotency-Key"


def test_extreme_dates_and_quantities_are_refused_by_the_rules_not_by_a_crash(api):
    harvest = api("POST", "/harvests", {"planting_id": 1, "quantity_kg": 5})
    assert harvest.status_code == 201
    code, tbn = harvest.json["code"], {"product_code": "TBN", "quantity": 1}
    for day in ("0001-01-01", "9999-12-31"):
        for route, body in (
            ("/harvests", {"planting_id": 1, "quantity_kg": 5, "harvested_on": day}),
            ("/plantings", {"plot_id": 1, "sown_on": day}),
            ("/sales", {"lot_code": code, "buyer_name": "X", "quantity": 1, "sold_on": day}),
            (
                "/processing-runs",
                {"inputs": [{"lot_code": code, "quantity": 1}], "outputs": [tbn], "processed_on": day},
            ),
        ):
            assert api("POST", route, body).status_code in (201, 422)
    huge = api("POST", "/sales", {"lot_code": code, "buyer_name": "X", "quantity": "99999999999.999"})
    assert huge.status_code == 422 and huge.json["error"]["field"] == "quantity"


def test_messages_are_vietnamese_unless_english_is_asked_for(api):
    body = {"planting_id": "một", "quantity_kg": 5}
    assert api("POST", "/harvests", body).json["error"]["message"] == "planting_id phải là số nguyên."
    assert api("POST", "/harvests?lang=en", body).json["error"]["message"] == "planting_id must be a whole number."
