"""Who counts as a person scanning: the rules are data (rules/scan_visitors.json), with examples of
each family of machine fetcher and of the phones buyers really use, checked here one by one."""

from __future__ import annotations

import pytest

from traceability.rules import load
from traceability.scans.visitors import machine_family, why_not_a_person

RULES = load("scan_visitors")
NAVIGATE = {"Accept": "text/html", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
MACHINES = [(m["family"], agent) for m in RULES["not_people"] for agent in m["examples"]]


@pytest.mark.parametrize("agent", RULES["people_examples"])
def test_the_phones_buyers_use_count(agent):
    assert machine_family(agent) is None
    assert why_not_a_person("GET", {**NAVIGATE, "User-Agent": agent}, {}, wants_html=True) is None


@pytest.mark.parametrize(("family", "agent"), MACHINES, ids=[a[:40] for _f, a in MACHINES])
def test_each_family_of_fetcher_does_not_count(family, agent):
    assert why_not_a_person("GET", {**NAVIGATE, "User-Agent": agent}, {}, wants_html=True) is not None
    if agent.startswith("Mozilla/5.0 "):  # the others are not even browsers
        assert machine_family(agent) == family


def test_what_a_person_does_not_do():
    phone = {**NAVIGATE, "User-Agent": RULES["people_examples"][0]}
    assert why_not_a_person("HEAD", phone, {}, wants_html=True) == "method"
    assert why_not_a_person("GET", phone, {}, wants_html=False) == "format"
    assert why_not_a_person("GET", {**phone, "Sec-Purpose": "prefetch;prerender"}, {}, wants_html=True) == "prefetch"
    assert why_not_a_person("GET", {**phone, "Purpose": "preview"}, {}, wants_html=True) == "prefetch"
    assert why_not_a_person("GET", {**phone, "Sec-Fetch-Mode": "cors"}, {}, wants_html=True) == "not a navigation"
    assert why_not_a_person("GET", {**phone, "Sec-Fetch-Dest": "iframe"}, {}, wants_html=True) == "not a navigation"
    assert why_not_a_person("GET", phone, {"foo": "bar"}, wants_html=True) == "query"
    assert why_not_a_person("GET", phone, {"linkType": "gs1:pip"}, wants_html=True) == "query"
    # What apps add to a link they open, and a label's own AI attributes, still count.
    assert (
        why_not_a_person("GET", phone, {"utm_source": "zalo", "zarsrc": "30", "17": "271231"}, wants_html=True) is None
    )
