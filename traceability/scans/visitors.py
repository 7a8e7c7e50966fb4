"""Whether a request for a unit's page is a person scanning the label, the only thing that counts.

A resolver is asked many things that are not a buyer scanning: HEAD and OPTIONS probes, linksets,
JSON, a chat app drawing a link's card (Zalo and Facebook fetch a shared URL), search engines,
prefetches, scripts, a resolver test run. The counters, and the copied-code warning that rests on
them, must count none of these. The rules are data (``rules/scan_visitors.json``); the page itself
is served to every one of them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from traceability.rules import load


@dataclass(frozen=True)
class Rules:
    machines: tuple[tuple[str, re.Pattern], ...]
    browser: re.Pattern
    prefetch: tuple[tuple[str, re.Pattern], ...]
    names: frozenset[str]
    prefixes: tuple[str, ...]


@functools.cache
def rules() -> Rules:
    data = load("scan_visitors")
    tolerated = data["tolerated_query_parameters"]
    return Rules(
        machines=tuple((m["family"], re.compile(m["pattern"])) for m in data["not_people"]),
        browser=re.compile(data["browser_pattern"]),
        prefetch=tuple((name, re.compile(p, re.IGNORECASE)) for name, p in data["prefetch_headers"].items()),
        names=frozenset(tolerated["names"]),
        prefixes=tuple(tolerated["prefixes"]),
    )


def machine_family(user_agent: str) -> str | None:
    """The family of fetcher ``user_agent`` announces (None for an ordinary browser)."""
    return next((family for family, pattern in rules().machines if pattern.search(user_agent)), None)


@functools.lru_cache(maxsize=4096)
def _agent_reason(agent: str) -> str | None:
    """Why this user agent is not a person's browser, or None. Kept: phones of a crowd announce
    the same few strings, and a scan should not run every rule's pattern each time."""
    if not rules().browser.search(agent):
        return "not a browser"
    return machine_family(agent)


def why_not_a_person(
    method: str, headers: Mapping[str, str], query: Mapping[str, str], *, wants_html: bool
) -> str | None:
    """None when this looks like a person's scan; otherwise the reason it does not count."""
    r = rules()
    if method != "GET":
        return "method"
    if not wants_html:
        return "format"
    if reason := _agent_reason(headers.get("User-Agent", "")):
        return reason
    for name, pattern in r.prefetch:
        if pattern.search(headers.get(name, "")):
            return "prefetch"
    # A page opened by a person is a navigation; fetch() from a script (a resolver's tester) is not.
    if (
        headers.get("Sec-Fetch-Mode", "navigate") != "navigate"
        or headers.get("Sec-Fetch-Dest", "document") != "document"
    ):
        return "not a navigation"
    for name in query:
        if not (name.isdigit() or name in r.names or name.startswith(r.prefixes)):
            return "query"
    return None
