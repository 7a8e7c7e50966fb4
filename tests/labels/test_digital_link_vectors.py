"""GS1 Digital Link builder/parser against the upstream test vectors.

Vectors: GS1 Syntax Engine (dl.c unit tests) and digital-link.js, in ``tests/data/gs1-digital-link``
(its README names their sources). Case ids carry the upstream line number (``L1508``) so a failure
names its case.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from traceability.gs1 import has_valid_check_digit
from traceability.labels.ai_table import ai_table
from traceability.labels.digital_link import (
    DigitalLinkError,
    build_uri,
    generate,
    lot_uri,
    parse_uri,
    percent_decode,
    percent_encode,
    regenerate,
)

VECTORS = Path(__file__).resolve().parents[1] / "data" / "gs1-digital-link"
ENGINE = json.loads((VECTORS / "gs1-syntax-engine-dl-test-vectors.json").read_text("utf-8"))
JS = json.loads((VECTORS / "digital-link-js-vectors.json").read_text("utf-8"))


def cases(items, section):
    """pytest params with an id naming the upstream line (or the list index if it has none)."""
    return [
        pytest.param(c, id=f"{section}-L{c['source_line']}" if "source_line" in c else f"{section}-idx{i}")
        for i, c in enumerate(items)
    ]


STRICT_PARSE = [c for c in ENGINE["parse"] if "options" not in c]
LENIENT_PARSE = [c for c in ENGINE["parse"] if "options" in c]


def test_vector_counts_match_readme():
    assert (len(ENGINE["parse"]), len(STRICT_PARSE), len(ENGINE["generate"])) == (120, 102, 23)


@pytest.mark.parametrize("case", cases(STRICT_PARSE, "parse"))
def test_parse_default_options(case):
    if case["valid"]:
        assert parse_uri(case["uri"]) == [tuple(pair) for pair in case["ai_values"]]
    else:
        with pytest.raises(DigitalLinkError):
            parse_uri(case["uri"])


@pytest.mark.parametrize("case", cases(LENIENT_PARSE, "lenient"))
def test_parse_lenient_only_cases_are_rejected(case):
    # Valid upstream only with permitZeroSuppressedGTIN / permitConvenienceAlphas /
    # permitUnknownAIs; our parser has strict defaults only.
    with pytest.raises(DigitalLinkError):
        parse_uri(case["uri"])


@pytest.mark.parametrize("case", cases(ENGINE["generate"], "generate"))
def test_generate(case):
    def run():
        if "input_uri" in case:
            return regenerate(case["input_uri"], case["stem"])
        return generate(case["ai_data"], case["stem"])

    if case["valid"] and "options" not in case:
        uri = run()
        assert uri == case["uri"]
        if "ai_data" in case:  # the generated URI parses back to the same (deduplicated) AIs
            expected = dict(re.findall(r"\((\d+)\)([^(]*)", case["ai_data"]))
            assert dict(parse_uri(uri)) == expected
    else:  # invalid, or valid only with permitUnknownAIs (strict: rejected)
        with pytest.raises(DigitalLinkError):
            run()


@pytest.mark.parametrize("case", cases(ENGINE["percent_encode"], "encode"))
def test_percent_encode(case):
    assert percent_encode(case["value"]) == case["path_encoded"]
    assert percent_encode(case["value"], query=True) == case["query_encoded"]


@pytest.mark.parametrize("case", cases(ENGINE["percent_decode"], "decode"))
def test_percent_decode(case):
    assert percent_decode(case["encoded"]) == case["path_decoded"]
    assert percent_decode(case["encoded"], query=True) == case["query_decoded"]


@pytest.mark.parametrize("sequence", [pytest.param(s, id="-".join(s)) for s in ENGINE["valid_path_ai_sequences"]])
def test_valid_path_sequences_are_in_dictionary(sequence):
    alternatives = ai_table()[sequence[0]].dlpkey
    it = [iter(alt) for alt in alternatives]
    assert any(all(ai in i for ai in sequence[1:]) for i in it)


def covered_digits(case) -> str:
    covers, value = case["check_digit_covers"], case["value"]
    if m := re.fullmatch(r"first (\d+) digits", covers):
        return value[: int(m.group(1))]
    m = re.match(r"digits (\d+)-(\d+)", covers)
    return value[int(m.group(1)) - 1 : int(m.group(2))]


@pytest.mark.parametrize("case", cases(JS["check_digit"], "checkdigit"))
def test_check_digit_vectors(case):
    assert has_valid_check_digit(covered_digits(case)) is case["check_digit_valid"]
    if case["check_digit_valid"]:
        assert parse_uri(case["uri"]) == [(case["ai"], case["value"])]
    else:
        with pytest.raises(DigitalLinkError, match="csum"):
            parse_uri(case["uri"])


@pytest.mark.parametrize("case", cases(JS["uris"], "js-uri"))
def test_digital_link_js_uris(case):
    if case["valid"]:
        parse_uri(case["uri"])
    else:
        with pytest.raises(DigitalLinkError):
            parse_uri(case["uri"])


def test_lot_uri_round_trip():
    # A GTIN-13 is emitted as 14 digits; a trailing slash on the base is dropped.
    uri = lot_uri("https://x.vn/", "9520123456788", "BM24-0612-A1", serial="7/a+b", expiry=date(2025, 12, 31))
    assert uri == "https://x.vn/01/09520123456788/10/BM24-0612-A1/21/7%2Fa%2Bb?17=251231"
    assert parse_uri(uri) == [("01", "09520123456788"), ("10", "BM24-0612-A1"), ("21", "7/a+b"), ("17", "251231")]
    assert lot_uri("https://x.vn", "09520123456788", "L1") == "https://x.vn/01/09520123456788/10/L1"


def test_lot_uri_rejects_bad_data():
    with pytest.raises(DigitalLinkError):  # wrong check digit
        lot_uri("https://x.vn", "09520123456787", "L1")
    with pytest.raises(DigitalLinkError):  # space and diacritics are not CSET 82
        lot_uri("https://x.vn", "09520123456788", "Lô 1")
    with pytest.raises(DigitalLinkError):  # lot longer than X..20
        lot_uri("https://x.vn", "09520123456788", "L" * 21)


def test_build_uri_sorts_qualifiers_into_standard_order():
    uri = build_uri(
        "https://id.gs1.org",
        ("01", "09520123456788"),
        [("21", "S1"), ("10", "L/1"), ("22", "V")],
        [("99", "a+b"), ("17", "250100")],
    )
    assert uri == "https://id.gs1.org/01/09520123456788/22/V/10/L%2F1/21/S1?99=a%2Bb&17=250100"
    with pytest.raises(DigitalLinkError):  # 10 and 235 are alternative qualifier paths
        build_uri("https://a", ("01", "09520123456788"), [("235", "X"), ("10", "L")])
    with pytest.raises(DigitalLinkError):  # 10 belongs in the path, not the query
        build_uri("https://a", ("01", "09520123456788"), [], [("10", "L")])
