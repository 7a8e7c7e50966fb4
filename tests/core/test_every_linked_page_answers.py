"""Walk the demo as each kind of user would: every page linked from their home, and from the pages
those link to, answers without a server error, in Vietnamese and in English."""

from __future__ import annotations

import re

import pytest

from traceability import demo

SKIP = re.compile(r"\.(pdf|zip|xlsx|csv|png|jsonld|json)(\?|$)|/logout|lang=|^/static/")


@pytest.mark.parametrize("login", ["0900000002", "0900000003", "0900000004", "canbo@quangthai.example"])
def test_every_linked_page_answers(demo_app, login):
    client = demo_app.test_client()
    assert client.post("/login", data={"login": login, "password": demo.DEMO_PASSWORD}).status_code == 302
    seen: set[str] = set()
    todo, failures = ["/"], []
    while todo and len(seen) < 150:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for language in ("vi", "en"):
            response = client.get(path + ("&" if "?" in path else "?") + f"lang={language}")
            if response.status_code >= 500:
                failures.append((path, language))
        if response.mimetype == "text/html":
            links = re.findall(r'href="(/[^"#]*)"', response.get_data(as_text=True))
            todo += [x.replace("&amp;", "&") for x in links if not SKIP.search(x)]
    assert len(seen) > 2  # the walk really went somewhere
    assert failures == []
