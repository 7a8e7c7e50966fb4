"""The menu shows each role what it uses: a member the field's pages, a manager the registry too."""

import re

import pytest

from tests.conftest import login
from traceability import demo

MANAGERS_ONLY = [
    "/households",
    "/villages",
    "/products",
    "/certificates",
    "/ocop/dossiers",
    "/processing_yields",
    "/exports",
]


@pytest.fixture
def demo_client(demo_app, client):
    return client


def _menu(client) -> list[str]:
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('class="main-nav"') : page.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


def test_a_member_sees_the_fields_pages_not_the_registry(demo_client):
    login(demo_client, "0900000003", demo.DEMO_PASSWORD)
    menu = _menu(demo_client)
    assert {"/plots", "/permitted_inputs", "/inspections", "/plantings", "/lots"} <= set(menu)
    assert not set(MANAGERS_ONLY) & set(menu), menu


def test_a_manager_sees_the_registry_too(demo_client):
    login(demo_client, "0900000002", demo.DEMO_PASSWORD)
    assert set(MANAGERS_ONLY) <= set(_menu(demo_client))
