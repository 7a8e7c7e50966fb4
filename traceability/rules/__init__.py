"""Versioned reference data: checklists, criteria sets, label rules.

Each JSON file carries its ``code``, ``version`` and ``legal_basis``, so a record made under one
version stays explainable when the rules change. Changing a rule is a data change, not a code change.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from pathlib import Path

RULES_DIR = Path(__file__).parent


@functools.cache
def load(name: str) -> dict:
    with (RULES_DIR / f"{name}.json").open(encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=4096)  # a pure function of names asked for again and again (every spray's)
def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: 'Chlorpyrifos-Ethyl 48%' → 'chlorpyrifos ethyl 48'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def banned_ingredient(active_ingredient: str | None) -> str | None:
    """The banned active named in ``active_ingredient``, if any (whole-word match on folded text)."""
    if not active_ingredient:
        return None
    folded = f" {fold(active_ingredient)} "
    for active in load("banned_actives")["actives"]:
        for name in (active["name"], *active["aliases"]):
            if f" {fold(name)} " in folded:
                return active["name"]
    return None
