"""The field app's shell: the service worker, the web manifest, the outbox page, the offline page.

Which pages are kept on the phone is decided here (``OFFLINE_PAGES``): a page the member may need
with no signal answers with ``X-Offline-Scope`` naming whose it is (user and organisation). The
worker keeps only such answers, in a cache of that scope alone, and the scripts empty it at logout.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from traceability.accounts.tenancy import PLOT_EDITORS, org_required
from traceability.offline.messages import MESSAGES

bp = Blueprint("offline", __name__)

# The pages a member opens in the field, kept on the phone after one visit online.
OFFLINE_PAGES = {
    "dashboard.index": "/",
    "farm.plantings": "/plantings",
    "farm.input_new": "/inputs/new",
    "farm.harvest_new": "/harvests/new",
    "farm.planting_new": "/plantings/new",
    "offline.outbox": "/outbox",
}
# Kept by the worker at install, whoever signs in: the same for everyone, no records in them.
ASSETS = ("css/app.css", "js/outbox.js", "js/field.js", "favicon.svg", "icons/icon-192.png", "icons/icon-512.png")


def offline_scope() -> str | None:
    """Whose records this page may keep on the phone: field workers of a producer organisation."""
    org = g.get("org")
    if not current_user.is_authenticated or org is None or org.kind.is_authority or g.role not in PLOT_EDITORS:
        return None
    return f"u{current_user.id}-o{org.id}"


def init_app(app: Flask) -> None:
    @app.context_processor
    def offline_context():
        scope = offline_scope() if g.get("org") is not None else None
        if scope is None:
            return {"offline_scope": None}
        words = {key: str(text) for key, text in MESSAGES.items()}
        return {
            "offline_scope": scope,
            "offline_setup": {"messages": words, "pages": list(OFFLINE_PAGES.values()), "org": g.org.id},
        }

    @app.after_request
    def mark_offline_pages(response):
        if response.status_code == 200 and OFFLINE_PAGES.get(request.endpoint or "") and (scope := offline_scope()):
            response.headers["X-Offline-Scope"] = scope
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("Cookie")
        return response


def _version() -> str:
    """Changes whenever the worker or a kept asset changes, so phones install the new ones."""
    if "offline_version" not in current_app.extensions:
        digest = hashlib.sha256()
        static = Path(current_app.static_folder)
        for name in ASSETS:
            digest.update((static / name).read_bytes())
        digest.update((Path(current_app.template_folder) / "offline" / "sw.js").read_bytes())
        current_app.extensions["offline_version"] = digest.hexdigest()[:12]
    return current_app.extensions["offline_version"]


@bp.get("/sw.js")
def service_worker():
    body = render_template(
        "offline/sw.js",
        version=_version(),
        assets=[url_for("static", filename=name) for name in ASSETS] + [url_for(".offline_page")],
        outbox_js=url_for("static", filename="js/outbox.js"),
    )
    # Never cached by the browser: a new version must reach the phone on its next visit online.
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}


@bp.get("/manifest.webmanifest")
def manifest():
    icons = [
        {"src": url_for("static", filename=f"icons/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
        for n in (192, 512)
    ]
    icons.append({**icons[-1], "purpose": "maskable"})
    document = {
        "name": _("Field diary · Traceability"),
        "short_name": _("Field diary"),
        "lang": g.get("lang") or "vi",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f4",
        "theme_color": "#1b5e20",
        "icons": icons,
    }
    return document, 200, {"Content-Type": "application/manifest+json"}


@bp.get("/outbox")
@login_required
@org_required()
def outbox():
    return render_template("offline/outbox.html")


@bp.get("/offline")
def offline_page():
    """Shown by the worker for a page not kept on the phone, when there is no network. No records in it."""
    return render_template("offline/offline.html")
