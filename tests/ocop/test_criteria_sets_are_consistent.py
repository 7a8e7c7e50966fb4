"""Consistency checks for the OCOP criteria sets in traceability/rules/ocop/ (data only, no app)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

OCOP_DIR = Path(__file__).resolve().parents[2] / "traceability" / "rules" / "ocop"
FILES = sorted(OCOP_DIR.glob("*.json"))
PART_MAX = {"A": 40, "B": 25, "C": 35}
PREFILL_KEYS = {
    "local_raw_material_share",
    "certified_area",
    "linkage_contracts",
    "legal_form",
    "traceable_label",
    "story_in_traceability",
    "quality_declaration",
    "quality_assurance",
}
CRITERION_ID = re.compile(r"^[A-Z]\d+\.\d+$")
TRACEABILITY_SETS = {"qd26-2026-set01", "qd26-2026-set07", "qd26-2026-set20"}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def criteria(doc: dict) -> list[dict]:
    return [c for part in doc["parts"] for section in part["sections"] for c in section["criteria"]]


@pytest.fixture(params=FILES, ids=[f.stem for f in FILES])
def sheet(request) -> tuple[Path, dict]:
    return request.param, load(request.param)


def test_expected_files_exist():
    assert TRACEABILITY_SETS <= {f.stem for f in FILES}


def test_header(sheet):
    path, doc = sheet
    assert doc["id"] == path.stem
    assert doc["code"] == "ocop-criteria"
    assert doc["version"] == "QĐ 26/2026/QĐ-TTg"
    assert doc["id"] == f"qd26-2026-set{doc['set_number']:02d}"
    assert f"bộ tiêu chí số {doc['set_number']}" in doc["legal_basis"]
    for key in ("name_vi", "name_en", "sector_vi", "group_vi", "note_en", "minimum_rule_en"):
        assert isinstance(doc[key], str) and doc[key].strip(), key
    assert doc["disqualifiers_vi"] and all(isinstance(d, str) and d.strip() for d in doc["disqualifiers_vi"])


def test_criterion_ids_unique_and_well_formed(sheet):
    _, doc = sheet
    ids = [c["id"] for c in criteria(doc)]
    assert len(ids) == len(set(ids))
    for part in doc["parts"]:
        for section in part["sections"]:
            assert section["id"].startswith(part["id"])
            for c in section["criteria"]:
                assert CRITERION_ID.match(c["id"]), c["id"]
                assert c["id"].startswith(section["id"] + "."), c["id"]


def test_part_and_section_totals(sheet):
    _, doc = sheet
    assert [p["id"] for p in doc["parts"]] == ["A", "B", "C"]
    for part in doc["parts"]:
        assert part["max"] == PART_MAX[part["id"]]
        assert sum(c["max"] for s in part["sections"] for c in s["criteria"]) == part["max"], part["id"]
        for section in part["sections"]:
            if "max" in section:
                assert sum(c["max"] for c in section["criteria"]) == section["max"], section["id"]


def test_options(sheet):
    _, doc = sheet
    for c in criteria(doc):
        options = c["options"]
        assert [o["n"] for o in options] == list(range(1, len(options) + 1)), c["id"]
        assert len(options) >= 2, c["id"]
        points = [o["points"] for o in options]
        assert all(isinstance(x, int) and x >= 0 for x in points), c["id"]
        assert points == sorted(points), c["id"]
        assert c["max"] == max(points), c["id"]
        for o in options:
            assert o["text_vi"].strip() and o["text_en"].strip(), c["id"]


def test_star_minimums(sheet):
    _, doc = sheet
    for c in criteria(doc):
        marks = [o["minimum_for"] for o in c["options"]]
        assert all(m in (None, 3, 4, 5) for m in marks), c["id"]
        used = [m for m in marks if m is not None]
        assert len(used) == len(set(used)), c["id"]
        # a higher star level never asks for less than a lower one
        by_level = {o["minimum_for"]: o["points"] for o in c["options"] if o["minimum_for"]}
        levels = sorted(by_level)
        assert [by_level[x] for x in levels] == sorted(by_level[x] for x in levels), c["id"]


def test_confidence_and_notes(sheet):
    _, doc = sheet
    for c in criteria(doc):
        assert c["confidence"] in ("C", "S", "U"), c["id"]
        if c["confidence"] != "C":
            assert isinstance(c.get("note_en"), str) and c["note_en"].strip(), c["id"]


def test_prefill_keys(sheet):
    _, doc = sheet
    seen = []
    for c in criteria(doc):
        assert "prefill" in c, c["id"]
        assert c["prefill"] is None or c["prefill"] in PREFILL_KEYS, c["id"]
        if c["prefill"]:
            seen.append(c["prefill"])
    assert len(seen) == len(set(seen)), "a prefill key is used twice"


def test_prefill_maps_point_at_options(sheet):
    _, doc = sheet
    for c in criteria(doc):
        mapping = c.get("prefill_map")
        if mapping is None:
            continue
        assert c["prefill"], c["id"]
        numbers = {o["n"] for o in c["options"]}
        targets = [n for _floor, n in mapping.get("above", []) + mapping.get("at_least", [])] + list(
            mapping.get("levels", {}).values()
        )
        assert targets and set(targets) <= numbers, c["id"]
        floors = [floor for floor, _n in mapping.get("above", []) + mapping.get("at_least", [])]
        assert floors == sorted(floors, reverse=True), c["id"]


@pytest.mark.parametrize("set_id", sorted(TRACEABILITY_SETS))
@pytest.mark.parametrize("key", ["traceable_label", "story_in_traceability"])
def test_traceability_criteria_are_four_star_minimums(set_id, key):
    doc = load(OCOP_DIR / f"{set_id}.json")
    found = [c for c in criteria(doc) if c["prefill"] == key]
    assert len(found) == 1, (set_id, key)
    assert any(o["minimum_for"] == 4 for o in found[0]["options"]), (set_id, key)
