"""Languages: Vietnamese first, English too. Locale choice, number and date formats, catalogues.

The ``.po`` catalogues are the source; they are compiled to ``.mo`` files under ``instance/``
whenever the ``.po`` is newer, so nobody has to remember a compile step.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, g, has_request_context, request, session
from flask_babel import format_decimal, get_locale
from flask_login import current_user

SOURCE_DIR = Path(__file__).parent / "translations"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.args.get("lang") in languages:  # a public page's language link (?lang=en)
        return request.args["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    # A buyer's phone says which language it reads (GS1 resolver rule), and so may a partner's EPCIS client.
    if request.blueprint in ("provenance", "epcis"):
        return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def compile_catalogues(target: Path) -> Path:
    """Compile every ``.po`` whose ``.mo`` in ``target`` is missing or older. Returns ``target``."""
    for po_path in SOURCE_DIR.glob("*/LC_MESSAGES/messages.po"):
        relative = po_path.relative_to(SOURCE_DIR).with_suffix(".mo")
        mo_path = target / relative
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        # A file of its own, renamed into place: several workers (server processes, test workers)
        # may start at once, and one must never move the half-written file of another.
        handle, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix="messages.", suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.chmod(tmp, 0o644)  # as any compiled file: mkstemp makes it the owner's alone
        os.replace(tmp, mo_path)
    return target


def current_language() -> str:
    return str(get_locale() or "vi")


def format_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy in both languages: the form on Vietnamese labels and papers."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def format_number(value: Decimal | float | int | None, digits: int = 2) -> str:
    """Vietnamese separators in Vietnamese (1.234,5), English ones in English (1,234.5)."""
    if value is None:
        return ""
    return format_decimal(value, format=f"#,##0.{'#' * digits}" if digits else "#,##0")


def register(app) -> None:
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["number"] = format_number

    @app.before_request
    def _remember_language():
        g.lang = current_language()
