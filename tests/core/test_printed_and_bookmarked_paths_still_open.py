"""Addresses that live outside the app: the codes printed on labels and the pages people bookmark.

Endpoint names and the modules behind them may be renamed; these paths may not, because a printed QR
code or a phone's bookmark cannot be updated. Each path must still reach a page, with the same values
read from it (by the router for pages, by the resolver's Digital Link parser for printed codes).
"""

from dataclasses import asdict

import pytest

from traceability.provenance import identifiers

PRINTED = [  # what a QR code on a bag, a bottle or a tray opens (GS1 Digital Link, and its GTIN-less form)
    ("/01/09520123000011/10/KQ2605A", {"gtin": "09520123000011", "lot": "KQ2605A"}),
    (
        "/01/09520123000011/10/KQ2605A/21/X7K2M9",
        {"gtin": "09520123000011", "lot": "KQ2605A", "serial": "X7K2M9"},
    ),
    (
        "/o/tay-hoang/p/KQ-TUOI/10/KQ2605A",
        {"org_code": "tay-hoang", "product_code": "KQ-TUOI", "lot": "KQ2605A"},
    ),
    (
        "/o/tay-hoang/p/KQ-TUOI/10/KQ2605A/21/X7K2M9",
        {"org_code": "tay-hoang", "product_code": "KQ-TUOI", "lot": "KQ2605A", "serial": "X7K2M9"},
    ),
]

BOOKMARKED = [  # the pages a member or a manager keeps on a phone's home screen or in a browser
    ("/", {}),
    ("/login", {}),
    ("/plantings", {}),
    ("/plantings/new", {}),
    ("/plantings/7", {"record_id": 7}),
    ("/plantings/7/diary.pdf", {"record_id": 7}),
    ("/inputs/new", {}),
    ("/harvests/new", {}),
    ("/villages", {}),
    ("/households", {}),
    ("/plots", {}),
    ("/permitted_inputs", {}),
    ("/lots", {}),
    ("/lots/7", {"record_id": 7}),
    ("/lots/7/trace", {"record_id": 7}),
    ("/processing/new", {}),
    ("/packing/new", {}),
    ("/sales/new", {}),
    ("/receipts/new", {}),
    ("/recalls/7", {"record_id": 7}),
    ("/recalls/7/report.pdf", {"record_id": 7}),
    ("/processing_yields", {}),
    ("/products", {}),
    ("/inspections", {}),
    ("/certificates", {}),
    ("/exports", {}),
    ("/ocop/dossiers", {}),
    ("/ocop/overview", {}),
]


@pytest.mark.parametrize(("path", "values"), PRINTED + BOOKMARKED, ids=[p for p, _ in PRINTED + BOOKMARKED])
def test_printed_and_bookmarked_paths_still_open_their_page(app, path, values):
    endpoint, args = app.url_map.bind("localhost").match(path, method="GET")
    assert endpoint in app.view_functions
    if endpoint == "provenance.resolve":
        asked = {k: v for k, v in asdict(identifiers.parse(path, "")).items() if v is not None}
        assert asked == values
    else:
        assert args == values
