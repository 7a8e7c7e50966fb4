"""The quick schema check (fastjsonschema) accepts exactly what GS1's schema as jsonschema reads it accepts: on
GS1's examples, the hash vectors' documents, a supplier's document and each way of breaking it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import fastjsonschema
import pytest

from tests.epcis.conftest import supplier_document
from traceability.epcis import schema

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = sorted((DATA / "epcis" / "examples").glob("*.jsonld")) + sorted((DATA / "epcis-hash").glob("*.jsonld"))


def _broken() -> list[dict]:
    cases = []
    for path, value in (
        (("bizStep",), "harvesting"),
        (("eventTime",), "31/10/2026"),
        (("quantityList", 0, "quantity"), "200 kg"),
        (("quantityList", 0, "epcClass"), "not a uri"),
        (("action",), "MAYBE"),
        (("eventTimeZoneOffset",), "+25:00"),
        (("unprefixedExtension",), 1),
    ):
        document = copy.deepcopy(supplier_document())
        node = document["epcisBody"]["eventList"][2]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        cases.append(document)
    return cases


def _fast_accepts(document) -> bool:
    try:
        schema._fast()(document)
        return True
    except fastjsonschema.JsonSchemaException:
        return False


@pytest.mark.parametrize(
    "document", [json.loads(p.read_text(encoding="utf-8")) for p in FILES] + [supplier_document()] + _broken()
)
def test_the_quick_check_and_the_full_one_agree(document):
    full = sorted(f"{list(e.absolute_path)}: {e.message}" for e in schema.validator().iter_errors(document))
    assert _fast_accepts(document) == (full == [])
    assert (schema.errors(document) == []) == (full == [])


@pytest.mark.parametrize("document", _broken())
def test_each_way_of_breaking_a_document_is_refused(document):
    assert schema.errors(document) != [] and not _fast_accepts(document)
