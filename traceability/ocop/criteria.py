"""OCOP criteria sets, read from ``rules/ocop/*.json``: one file per set and version.

A new set or a new version of the rules is a new file, never an edit of an old one: a rating keeps
the id of the set it was scored under, so it stays explainable when the rules change.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

SETS_DIR = Path(__file__).resolve().parent.parent / "rules" / "ocop"
STAR_LEVELS = (3, 4, 5)


@dataclass(frozen=True)
class Option:
    n: int
    text_vi: str
    text_en: str
    points: float
    minimum_for: int | None


@dataclass(frozen=True)
class Criterion:
    id: str
    part: str
    section: str
    name_vi: str
    name_en: str
    max: float
    options: tuple[Option, ...]
    prefill: str | None = None
    confidence: str = "C"

    def option(self, n: int) -> Option | None:
        return next((o for o in self.options if o.n == n), None)

    def minimum(self, level: int) -> Option | None:
        """The option this criterion requires (or better) for ``level`` stars, if any."""
        marked = [o for o in self.options if o.minimum_for is not None and o.minimum_for <= level]
        return max(marked, key=lambda o: (o.minimum_for, o.points)) if marked else None

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_vi


@dataclass(frozen=True)
class CriteriaSet:
    id: str
    version: str
    legal_basis: str
    set_number: int
    name_vi: str
    name_en: str
    parts: dict[str, float]  # part id → maximum points
    criteria: tuple[Criterion, ...]
    raw: dict

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_vi


def _parse(data: dict) -> CriteriaSet:
    criteria = []
    for part in data["parts"]:
        for section in part["sections"]:
            for c in section["criteria"]:
                options = tuple(
                    Option(o["n"], o["text_vi"], o.get("text_en", ""), o["points"], o.get("minimum_for"))
                    for o in c["options"]
                )
                criteria.append(
                    Criterion(
                        c["id"],
                        part["id"],
                        section["id"],
                        c["name_vi"],
                        c.get("name_en", ""),
                        c["max"],
                        options,
                        c.get("prefill"),
                        c.get("confidence", "C"),
                    )
                )
    return CriteriaSet(
        data["id"],
        data["version"],
        data["legal_basis"],
        data["set_number"],
        data["name_vi"],
        data.get("name_en", ""),
        {p["id"]: p["max"] for p in data["parts"]},
        tuple(criteria),
        data,
    )


@functools.cache
def all_sets() -> dict[str, CriteriaSet]:
    sets = {}
    for path in sorted(SETS_DIR.glob("*.json")):
        with path.open(encoding="utf-8") as f:
            criteria_set = _parse(json.load(f))
        sets[criteria_set.id] = criteria_set
    return sets


def get_set(set_id: str) -> CriteriaSet | None:
    return all_sets().get(set_id)
