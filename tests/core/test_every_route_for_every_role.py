"""Every GET route of the URL map, rendered for each demo role in both languages, with the demo data.

A crawl from the home page only finds what is linked; a page nobody links yet (or links only from
a form's answer) can still crash. So each role opens every GET route: with the values its own
pages link to where the route takes any (a lot's id, a dossier's id), else with the first record's.
Any 5xx, or an exception while rendering (a translated string whose placeholders do not match its
source), fails, naming the route, the role and the language. 403 and 404 are fine: a role may not
open everything.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Map

from traceability import demo
from traceability.demo.registry import DEMO_LOGINS

LINK = re.compile(r'href="(/[^"#]*)"')
NOT_PAGES = re.compile(r"/logout$|^/static/")
CRAWL = 120  # pages per role whose links are collected


def _links(client, limit: int) -> dict[str, list[str]]:
    """The paths the role's pages link to, by endpoint."""
    adapter = client.application.url_map.bind("localhost")
    found: dict[str, list[str]] = {}
    seen, todo = set(), ["/"]
    while todo and len(seen) < limit:
        path = todo.pop(0)
        if path in seen or NOT_PAGES.search(path):
            continue
        seen.add(path)
        response = client.get(path)
        try:
            endpoint, _args = adapter.match(path.split("?")[0], method="GET")
        except Exception:  # a redirect target outside the map, a 404 path
            endpoint = None
        if endpoint:
            found.setdefault(endpoint, []).append(path)
        if response.mimetype == "text/html" and response.status_code == 200:
            todo += [link.replace("&amp;", "&") for link in LINK.findall(response.get_data(as_text=True))]
    return found


def _paths(url_map: Map, linked: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(endpoint, path) for every GET rule: a linked path when the role's pages link one, else one
    built with 1 for each number and "1" for each text."""
    adapter = url_map.bind("localhost")
    paths = []
    for rule in url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.endpoint in linked:
            paths.append((rule.endpoint, linked[rule.endpoint][0]))
            continue
        values = {
            name: 1 if type(rule._converters[name]).__name__ == "IntegerConverter" else "1" for name in rule.arguments
        }
        try:
            paths.append((rule.endpoint, adapter.build(rule.endpoint, values, method="GET")))
        except Exception:  # a converter that takes no such value: the linked path is the only way in
            continue
    return paths


@pytest.mark.parametrize("login", [login for login, _role, _org in DEMO_LOGINS[:6]])
def test_every_get_route_renders_for_every_role(demo_app, login):
    client = demo_app.test_client()
    assert client.post("/login", data={"login": login, "password": demo.DEMO_PASSWORD}).status_code == 302
    linked = _links(client, CRAWL)
    failures, answered = [], 0
    for endpoint, path in _paths(demo_app.url_map, linked):
        for language in ("vi", "en"):
            url = path + ("&" if "?" in path else "?") + f"lang={language}"
            try:
                status = client.get(url).status_code
            except Exception as error:  # raised while rendering: the test app propagates it
                failures.append((endpoint, url, language, f"{type(error).__name__}: {error}"))
                continue
            answered += status == 200
            if status >= 500:
                failures.append((endpoint, url, language, status))
    assert answered > 40, answered  # the role really opened pages, not only refusals
    assert failures == [], "\n".join(map(str, failures))
