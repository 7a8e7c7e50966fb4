"""Languages: every visible string is in the Vietnamese catalogue; formats follow the language."""

import datetime as dt
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from babel.messages.pofile import read_po

from traceability.i18n import compile_catalogues, format_date

ROOT = Path(__file__).resolve().parents[2]
VI_PO = ROOT / "traceability/translations/vi/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_string_in_code_and_templates_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "_n:1,2",
            "-o",
            str(pot),
            "traceability",
            "templates",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with VI_PO.open("rb") as f:
        catalogue = {m.id: m for m in read_po(f) if m.id}
    missing = sorted(extracted - set(catalogue))
    assert not missing, f"run 'flask --app traceability translate update' and translate: {missing[:10]}"

    def strings(message):
        return message.string if isinstance(message.string, tuple) else (message.string,)

    untranslated = sorted(str(i) for i in extracted if catalogue[i].fuzzy or not all(strings(catalogue[i])))
    assert not untranslated, untranslated[:10]
    wrong = [
        i
        for i in extracted
        for text in strings(catalogue[i])
        if sorted(PLACEHOLDER.findall(i if isinstance(i, str) else i[0])) != sorted(PLACEHOLDER.findall(text))
    ]
    assert not wrong, wrong


def test_every_translation_formats_as_its_source_does():
    """A template formats every translated string, placeholders or not (Jinja's new-style gettext),
    and Python code formats those given values: a translation must format wherever its source does.
    A stray "%" ("3 %", "%,") in a translation would answer 500 in that language only."""
    failures = []
    for po in sorted(ROOT.glob("traceability/translations/*/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            for message in read_po(f):
                if not message.id:
                    continue
                source = message.id if isinstance(message.id, str) else message.id[0]
                values = {name: 1 for name in re.findall(r"%\((\w+)\)", source)}
                try:
                    source % values
                except (ValueError, TypeError, KeyError):
                    continue  # not a format string: only ever used without values
                texts = message.string if isinstance(message.string, tuple) else (message.string,)
                for text in filter(None, texts):
                    try:
                        text % values
                    except (ValueError, TypeError, KeyError) as error:
                        failures.append(f"{po.parent.parent.name}: {text!r}: {error}")
    assert not failures, failures


def test_catalogues_compile_on_start_and_again_when_changed(tmp_path):
    target = compile_catalogues(tmp_path)
    mo = target / "vi/LC_MESSAGES/messages.mo"
    assert mo.stat().st_size > 1000
    first = mo.stat().st_mtime_ns
    compile_catalogues(tmp_path)
    assert mo.stat().st_mtime_ns == first  # up to date: not rebuilt


def test_dates_are_day_month_year():
    assert format_date(dt.date(2026, 12, 14)) == "14/12/2026"
    assert format_date(None) == ""


def test_number_separators_follow_the_language(app):
    from flask_babel import force_locale

    from traceability.i18n import format_number

    with app.test_request_context():
        with force_locale("vi"):
            assert format_number(Decimal("1234567.5")) == "1.234.567,5"
        with force_locale("en"):
            assert format_number(Decimal("1234567.5")) == "1,234,567.5"


def test_a_product_is_called_a_product_and_an_input_an_input(app, client):
    """One English word, two Vietnamese ones: a product sold is "Sản phẩm", a fertiliser or a spray
    applied is "Vật tư"; each form and page says the one it means."""
    from tests.conftest import login
    from tests.factories import make_bagged_lot

    with app.app_context():
        lot = make_bagged_lot()
    login(client, "0988888888")
    for path in ("/packing/new", f"/lots/{lot['lot_id']}"):
        page = client.get(path).get_data(as_text=True)
        assert "Sản phẩm" in page and "Vật tư" not in page, path
    assert re.search(r'<label for="product">Vật tư', client.get("/inputs/new").get_data(as_text=True))
