"""The public paths answer as a GS1-conformant resolver must, rule by rule of
``gs1-resolver.md``, at the unit, lot and GTIN level; and GS1's own Digital Link vectors, sent as
paths, resolve (valid) or answer 400 (invalid)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import sqlalchemy as sa

from tests.factories import STARCH_GTIN as GTIN
from tests.factories import (
    make_bagged_lot,
    make_ocop_certificate,
    make_org,
    make_product,
    make_user,
    written_scans,
)
from traceability.accounts.models import Organisation, Role, User
from traceability.extensions import db
from traceability.products.models import Product

DATA = Path(__file__).parent.parent / "data"
SCHEMA = json.loads((DATA / "gs1-resolver" / "gs1-linkset-schema.json").read_text())
VECTORS = json.loads((DATA / "gs1-digital-link" / "gs1-syntax-engine-dl-test-vectors.json").read_text())["parse"]
VOC = "https://gs1.org/voc/"
LINKSET = "application/linkset+json"


@pytest.fixture
def paths(app) -> dict[str, str]:
    """The three levels of one bagged starch lot with an OCOP certificate (its product's)."""
    with app.app_context():
        lot = make_bagged_lot()
        org = db.session.get(Organisation, lot["org_id"])
        manager = db.session.scalar(sa.select(User).where(User.phone == "0988888888"))
        product_id = db.session.scalar(sa.select(Product.id).where(Product.gtin == GTIN))
        make_ocop_certificate(
            org,
            manager,
            product_id,
            number="OCOP-2026-07",
            valid=(30, 700),
        )
        db.session.commit()
    return {"unit": f"{lot['url']}/21/{lot['serials'][0]}", "lot": lot["url"], "gtin": f"/01/{GTIN}"}


LEVELS = ("unit", "lot", "gtin")


def _linkset_header(response) -> bool:
    return any('rel="linkset"' in link and "linkType=linkset" in link for link in response.headers.getlist("Link"))


# 1. GET, HEAD and OPTIONS; CORS
@pytest.mark.parametrize("level", LEVELS)
def test_1_get_head_options_and_cors(client, paths, level):
    get = client.get(paths[level])
    head = client.head(paths[level])
    assert get.status_code == head.status_code == 200 and head.get_data() == b""
    assert get.headers["Access-Control-Allow-Origin"] == head.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        paths[level],
        headers={
            "Origin": "https://scanner.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept-language",
        },
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "accept-language" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Link" in get.headers["Access-Control-Expose-Headers"]


# 2. Syntax errors are 400
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("tail", ["/foo", "/10/LOT/foo", "/99/X", "/10/", "/22/A%00B"])
def test_2_invalid_paths_are_400_never_404_or_200(client, paths, level, tail):
    response = client.get(paths[level] + tail)
    assert response.status_code == 400, (paths[level] + tail, response.status_code)
    assert "không hợp lệ" in response.get_data(as_text=True)


def test_2_bad_check_digit_and_qualifier_order_are_400(client, paths):
    bad = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)
    assert client.get(f"/01/{bad}").status_code == 400
    assert client.get(f"/01/{GTIN}/21/X/10/Y").status_code == 400
    assert client.get(f"/01/{GTIN}?10=ABC").status_code == 400  # a qualifier belongs in the path


# 3. One default link per item, served
@pytest.mark.parametrize("level", LEVELS)
def test_3_one_default_link_per_item_served(client, paths, level):
    page = client.get(paths[level])
    assert page.status_code == 200 and page.mimetype == "text/html"
    linkset = client.get(paths[level] + "?linkType=linkset").get_json()["linkset"]
    for entry in linkset:
        assert len(entry[VOC + "defaultLink"]) == 1
    assert urlsplit(linkset[0][VOC + "defaultLink"][0]["href"]).path == paths[level]
    assert client.get(paths[level] + "?linkType=gs1:defaultLink").get_data() == page.get_data()


# 4. Link types: selected by short or full name, 404 when missing
@pytest.mark.parametrize("level", LEVELS)
def test_4_pip_selects_the_product_page(client, paths, level):
    for name in ("gs1:pip", VOC + "pip"):
        response = client.get(f"{paths[level]}?linkType={name}")
        if level == "gtin":
            assert response.status_code == 200 and "Tinh bột nghệ Lai Hà" in response.get_data(as_text=True)
        else:
            assert response.status_code == 307 and urlsplit(response.headers["Location"]).path == paths["gtin"]


@pytest.mark.parametrize("level", LEVELS)
def test_4_the_lots_link_types_and_404_for_a_missing_one(client, paths, level):
    history = client.get(f"{paths[level]}?linkType=gs1:traceability")
    recall = client.get(f"{paths[level]}?linkType=gs1:recallStatus")
    if level == "lot":
        assert history.status_code == 200 and history.get_json()["journey"]
        assert recall.status_code == 200 and recall.get_json()["recalled"] is False
    elif level == "unit":  # a unit answers for its lot: sent there
        assert history.status_code == 307 and history.headers["Location"].endswith("?linkType=gs1:traceability")
        assert urlsplit(recall.headers["Location"]).path == paths["lot"]
    else:  # a product has no history of its own
        assert history.status_code == recall.status_code == 404
    certificates = client.get(f"{paths[level]}?linkType=gs1:certificationInfo")
    assert certificates.status_code in (200, 307)
    if certificates.status_code == 200:
        assert certificates.get_json()["ocop"][0]["stars"] == 3
    for missing in ("gs1:hasRetailers", "gs1:nonsense", "https://example.com/voc/pip"):
        response = client.get(f"{paths[level]}?linkType={missing}")
        assert response.status_code == 404 and _linkset_header(response)


def test_4_certification_link_only_where_a_certificate_is_valid(app, client):
    with app.app_context():
        org = make_org("no-cert")
        make_product(org, code="NC", gtin="09520123999995")
        db.session.commit()
    assert client.get("/01/09520123999995?linkType=gs1:certificationInfo").status_code == 404


# 5. The linkset, three ways, valid against GS1's schema, with the JSON-LD context
def test_5_the_schema_tells_a_gs1_linkset_from_others():
    jsonschema.validate(json.loads((DATA / "gs1-resolver" / "valid-gs1-example.json").read_text()), SCHEMA)
    for name in ("invalid-gs1-example.json", "valid-basic-example.json"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(json.loads((DATA / "gs1-resolver" / name).read_text()), SCHEMA)


@pytest.mark.parametrize("level", LEVELS)
def test_5_linkset_three_ways_valid_and_walking_up(app, client, paths, level):
    answers = [
        client.get(f"{paths[level]}?linkType=linkset"),
        client.get(f"{paths[level]}?linkType=all"),
        client.get(paths[level], headers={"Accept": LINKSET}),
    ]
    for response in answers:
        assert response.status_code == 200 and response.mimetype == LINKSET
        jsonschema.validate(response.get_json(), SCHEMA)
        context = [x for x in response.headers.getlist("Link") if "json-ld#context" in x]
        assert context and client.get(urlsplit(context[0][1 : context[0].index(">")]).path).status_code == 200
    assert answers[0].get_json() == answers[2].get_json()
    anchors = [urlsplit(e["anchor"]).path for e in answers[0].get_json()["linkset"]]
    assert anchors == [paths[lv] for lv in LEVELS[LEVELS.index(level) :]]  # every level up to the GTIN
    for entry in answers[0].get_json()["linkset"]:
        for rel, targets in entry.items():
            if rel.startswith(VOC):
                assert all({"href", "title", "hreflang", "type"} <= set(t) for t in targets)
    assert written_scans(app) == 0  # a linkset is not a scan


def test_5_a_browser_asking_for_anything_gets_the_page(client, paths):
    page = client.get(paths["lot"], headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.mimetype == "text/html"
    assert client.get(paths["lot"], headers={"Accept": "*/*"}).mimetype == "text/html"


# 6. Link: rel="linkset" on every resolution
@pytest.mark.parametrize("level", LEVELS)
def test_6_every_resolution_names_its_linkset(client, paths, level):
    for query in ("", "?linkType=gs1:pip", "?linkType=gs1:traceability", "?linkType=linkset"):
        assert _linkset_header(client.get(paths[level] + query)), query


# 7. Query string passed on when redirecting
def test_7_query_string_passed_on(client, paths):
    response = client.get(f"{paths['lot']}?linkType=gs1:pip&utm_source=zalo&17=271231")
    assert response.status_code == 307
    location = urlsplit(response.headers["Location"])
    assert location.path == paths["gtin"] and location.query == "utm_source=zalo&17=271231"


# 8. Accept-Language picks the language, Vietnamese by default
@pytest.mark.parametrize("level", LEVELS)
def test_8_accept_language(app, paths, level):
    english = app.test_client().get(paths[level], headers={"Accept-Language": "en-GB,en;q=0.9"})
    vietnamese = app.test_client().get(paths[level], headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    default = app.test_client().get(paths[level])
    assert "Producer" in english.get_data(as_text=True) and '<html lang="en">' in english.get_data(as_text=True)
    assert "Nhà sản xuất" in vietnamese.get_data(as_text=True) and "Nhà sản xuất" in default.get_data(as_text=True)
    assert "Accept-Language" in english.headers["Vary"]


# 9. Walk-up: an unknown lot or serial falls back, with the warning first
def test_9_unknown_lot_walks_up_to_the_product_with_the_warning(app, client, paths):
    response = client.get(f"/01/{GTIN}/10/NEVERMADE")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert page.index("NEVERMADE") < page.index("<h1>") and "không phải hàng thật" in page
    linkset = client.get(f"/01/{GTIN}/10/NEVERMADE?linkType=linkset").get_json()["linkset"]
    assert [urlsplit(e["anchor"]).path for e in linkset] == [paths["gtin"]]
    assert client.get(f"/01/{GTIN}/10/NEVERMADE?linkType=gs1:traceability").status_code == 404


def test_9_unknown_serial_walks_up_to_the_lot_with_the_warning(app, client, paths):
    response = client.get(f"{paths['lot']}/21/NEVERPRINTED")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.index("NEVERPRINTED") < page.index("<h1>")
    assert written_scans(app) == 0
    # A serial alone under the GTIN is found (serials are unique), one never printed walks up.
    serial = paths["unit"].rsplit("/", 1)[1]
    assert serial in client.get(f"/01/{GTIN}/21/{serial}").get_data(as_text=True)
    assert client.get(f"/01/{GTIN}/21/NEVERPRINTED").status_code == 200
    # A qualifier we keep nothing for (a variant) walks up too.
    assert "Tinh bột nghệ Lai Hà" in client.get(f"/01/{GTIN}/22/V1/10/X").get_data(as_text=True)


def test_9_an_unknown_gtin_stays_404(client, paths):
    for path in ("/01/09520123999995", "/01/09520123999995/10/X", "/01/09520123999995/10/X/21/Y"):
        response = client.get(path)
        assert response.status_code == 404 and "không có trong hồ sơ" in response.get_data(as_text=True)


# 10. The GTIN alone resolves: product, producer, OCOP while valid, lots on sale
def test_10_the_gtin_alone_is_a_product_page(client, paths):
    page = client.get(paths["gtin"]).get_data(as_text=True)
    assert "Tinh bột nghệ Lai Hà" in page and "Tổ hợp tác tinh bột nghệ Lai Hà" in page
    assert "OCOP 3 sao" in page and paths["lot"].rsplit("/", 1)[1] in page
    data = client.get(paths["gtin"], headers={"Accept": "application/json"}).get_json()
    assert data["ocop"][0]["stars"] == 3 and data["lots_on_sale"][0]["code"] == paths["lot"].rsplit("/", 1)[1]
    assert "Nguyễn Văn Quản" not in page  # the manager is nobody's business here


# 11. The description file
def test_11_description_file(client, app):
    response = client.get("/.well-known/gs1resolver")
    data = response.get_json()
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert data["resolverRoot"] == app.config["PUBLIC_BASE_URL"] and data["supportedPrimaryKeys"] == ["01"]
    assert data["linkTypeDefaultCanBeLinkset"] is True and data["name"]
    assert {"namespace": VOC, "prefix": "gs1:"} in data["supportedLinkType"]


# 12. A trailing slash tolerated
@pytest.mark.parametrize("level", LEVELS)
def test_12_trailing_slash(client, paths, level):
    assert client.get(paths[level] + "/").get_data() == client.get(paths[level]).get_data()


# Scans are a person's GET only, and resolver traffic never counts
def test_resolver_traffic_never_counts_as_a_scan(app, client, paths):
    from tests.factories import BROWSER, scan

    unit = paths["unit"]
    client.head(unit, headers=BROWSER)
    client.options(unit, headers=BROWSER)
    client.get(unit + "?linkType=linkset", headers=BROWSER)
    client.get(unit, headers={**BROWSER, "Accept": LINKSET})
    client.get(unit, headers={**BROWSER, "Accept": "application/json"})
    client.get(unit + "?foo=bar", headers=BROWSER)
    client.get(unit, headers={**BROWSER, "Sec-Purpose": "prefetch"})
    client.get(unit, headers={**BROWSER, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"})
    for agent in (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0",
        "TelegramBot (like TwitterBot)",
        "curl/8.5.0",
        "",
    ):
        client.get(unit, headers={**BROWSER, "User-Agent": agent})
    assert written_scans(app) == 0
    assert scan(client, unit + "?utm_source=zalo&zarsrc=30").status_code == 200  # what apps add still counts
    assert written_scans(app) == 1
    assert scan(client, unit, "10.1.1.1", **{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
    assert written_scans(app) == 2


# GS1's own vectors, sent as paths to this server
def _vector_cases(valid: bool) -> list[str]:
    cases = []
    for case in VECTORS:
        parts = urlsplit(case["uri"])
        # Cases about the domain, the scheme or lenient options say nothing about a path sent here.
        if "options" in case or case["valid"] is not valid or parts.netloc not in ("a", "id.gs1.org", "example.com"):
            continue
        if case["uri"].startswith(f"https://{parts.netloc}/01/"):
            cases.append(case["uri"][len(f"https://{parts.netloc}") :].partition("#")[0])
    return cases


@pytest.fixture
def vector_products(app):
    with app.app_context():
        org = make_org("vectors")
        make_user(org, Role.MANAGER)
        for gtin in ("12312312312333", "09520123456788"):
            make_product(org, gtin=gtin)
        db.session.commit()


def test_every_valid_gs1_vector_resolves(client, vector_products):
    cases = _vector_cases(valid=True)
    assert len(cases) >= 25
    for path in cases:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)


def test_every_invalid_gs1_vector_is_400(client, vector_products):
    cases = _vector_cases(valid=False)
    assert len(cases) >= 15
    for path in cases:
        response = client.get(path)
        assert response.status_code == 400, (path, response.status_code)


# Bad input: the right 4xx, never a 500, never a scan counted
def test_odd_requests_get_a_4xx_or_a_page_and_never_count(app, client, paths):
    import random

    from tests.factories import BROWSER

    rng = random.Random(13)
    unit = paths["unit"]
    odd_accepts = [
        "application/linkset+json;q=abc",
        "*/*;q=0",
        "text/html;level=1;q=0.5, */*;q=2",
        ";;;,,,",
        "\u00e9/\u00e9",
        "x" * 8000,
        "application/json, application/linkset+json",
    ]
    for accept in odd_accepts:
        response = client.get(unit, headers={"Accept": accept, "User-Agent": "curl/8"})
        assert response.status_code < 500, accept
    for _ in range(60):
        word = "".join(rng.choice("abcXYZ:/%._-~0123") for _ in range(rng.randint(1, 40)))
        response = client.get(f"{unit}?linkType={word}", headers=BROWSER)
        assert response.status_code in (200, 307, 400, 404), (word, response.status_code)
    huge = client.get(f"{paths['lot']}?{'a=' + 'b' * 5000}", headers=BROWSER)
    assert huge.status_code == 414
    for extra in ("?17=" + "9" * 300, "?01=123", "?99=" + "%FF" * 50, "/21/" + "Z" * 21):
        assert client.get(paths["lot"] + extra, headers=BROWSER).status_code == 400, extra
    assert written_scans(app) == 0


def test_every_linkset_of_the_demo_validates(app, client):
    """Each demo lot's, product's and (a sample of) units' linksets, against GS1's schema."""
    from traceability import demo
    from traceability.labels.digital_link import label_uri, product_uri
    from traceability.lots.models import Lot, UnitSerial

    with app.app_context():
        demo.load()
        db.session.commit()
        paths = set()
        for lot in db.session.scalars(sa.select(Lot)):
            org = db.session.get(Organisation, lot.organisation_id)
            paths.add(urlsplit(label_uri(org, lot)).path)
            if lot.product is not None:
                paths.add(urlsplit(product_uri(org, lot.product)).path)
        for unit in db.session.scalars(sa.select(UnitSerial).order_by(UnitSerial.id).limit(40)):
            lot = db.session.get(Lot, unit.lot_id)
            paths.add(urlsplit(label_uri(db.session.get(Organisation, lot.organisation_id), lot, unit.serial)).path)
    assert len(paths) > 100
    for path in sorted(paths):
        response = client.get(path, headers={"Accept": LINKSET})
        assert response.status_code == 200 and response.mimetype == LINKSET, path
        jsonschema.validate(response.get_json(), SCHEMA)
