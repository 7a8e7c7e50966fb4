"""Traceability for Vietnamese cooperatives and OCOP products.

``create_app`` reads like a table of contents: configuration, extensions, languages, blueprints,
error pages, command line.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, g, request
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import traceability.models  # noqa: F401  (every table known before anything touches the database)
from traceability import cli, i18n, operations, replica, web
from traceability import config as app_config
from traceability.accounts.models import ORGANISATION_KIND_LABELS, ROLE_LABELS
from traceability.accounts.policy import Write
from traceability.accounts.tenancy import PLOT_EDITORS, REGISTRY_EDITORS, can, load_current_organisation
from traceability.accounts.views import bp as accounts_bp
from traceability.api.openapi import bp as openapi_bp
from traceability.api.views import bp as api_bp
from traceability.dashboard.views import bp as dashboard_bp
from traceability.database import MAX_ID
from traceability.diary.views import bp as diary_bp
from traceability.epcis import store as epcis_store
from traceability.epcis.pages import bp as partners_bp
from traceability.epcis.views import bp as epcis_bp
from traceability.errors import register_error_handlers
from traceability.exports.views import bp as exports_bp
from traceability.extensions import babel, csrf, db, login_manager, migrate
from traceability.farm.models import INPUT_KIND_LABELS, PLANTING_STATUS_LABELS, VIETGAP_STATUS_LABELS
from traceability.farm.views import bp as farm_bp
from traceability.jobs.runner import EmbeddedWorker, register_handlers
from traceability.labels.jobs import print_run
from traceability.labels.views import bp as labels_bp
from traceability.lots.models import DISPOSAL_LABELS, LOT_STATUS_LABELS, PARTY_KIND_LABELS
from traceability.lots.views import bp as lots_bp
from traceability.ocop.models import APPLICATION_TYPE_LABELS, DOSSIER_STATUS_LABELS, STEP_LABELS
from traceability.ocop.views import bp as ocop_bp
from traceability.offline import views as offline
from traceability.photos.views import bp as photos_bp
from traceability.products.models import PRODUCT_KIND_LABELS
from traceability.products.services import sanitise_story
from traceability.products.views import bp as products_bp
from traceability.provenance.labels import JOURNEY_LABELS
from traceability.provenance.views import bp as provenance_bp
from traceability.quality.models import CERTIFICATE_KIND_LABELS, INSPECTION_SCOPE_LABELS, RESULT_LABELS
from traceability.quality.views import bp as quality_bp
from traceability.transparency.views import bp as transparency_bp
from traceability.transparency.views import witnessing as witnessing_bp
from traceability.units import amounts_label, unit_label

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: 0 to ``MAX_ID`` (the id columns' range), unless a route says otherwise."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app_config.load(app, config)
    # Before any route is added: every <int:…> in a path is an id, so past MAX_ID it names nothing (404)
    # instead of reaching the database, which refuses a number its column cannot hold.
    app.url_map.converters["int"] = IdConverter

    register_extensions(app)
    register_blueprints(app)
    register_handlers(app, {"print_run": print_run})  # long jobs, by kind
    register_request_hooks(app)
    register_commands(app)
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    replica.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    translations = i18n.compile_catalogues(Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page says what it is; no extra flash
    login_manager.session_protection = "basic"
    i18n.register(app)
    epcis_store.init_app(app)  # our EPCIS events are made as their records commit


def register_blueprints(app: Flask) -> None:
    for blueprint in (
        accounts_bp,
        dashboard_bp,
        farm_bp,
        lots_bp,
        quality_bp,
        photos_bp,
        products_bp,
        api_bp,
        openapi_bp,
        exports_bp,
        epcis_bp,
        partners_bp,
        provenance_bp,
        labels_bp,
        ocop_bp,
        diary_bp,
        offline.bp,
        transparency_bp,
        witnessing_bp,
        operations.bp,
    ):
        app.register_blueprint(blueprint)


def register_request_hooks(app: Flask) -> None:
    operations.init_app(app)  # first: the request's id and start time, before any other hook

    @app.before_request
    def refuse_control_characters_in_paths():
        """A code in a URL with a NUL or another control character names no record; PostgreSQL would
        refuse the query outright, so such paths end here as not found. The resolver's paths are
        judged by the Digital Link parser instead, which answers 400 (GS1 Conformant Resolver)."""
        if request.endpoint == "provenance.resolve":
            return
        if any(isinstance(v, str) and not v.isprintable() for v in (request.view_args or {}).values()):
            abort(404)

    app.before_request(load_current_organisation)

    @app.before_request
    def start_embedded_worker():
        """The first request of a serving process starts its job thread (never for CLI commands)."""
        if (
            app.config["EMBEDDED_WORKER"]
            and not app.config.get("REDIS_URL")
            and not app.testing
            and "job_worker" not in app.extensions
        ):
            app.extensions["job_worker"] = EmbeddedWorker(app).start()

    register_error_handlers(app)
    web.init_app(app)  # one commit per request
    offline.init_app(app)  # which pages a phone keeps, and the words its scripts show
    # Labels of enum values, and the role checks, for every template.
    app.jinja_env.globals.update(
        can=can,
        REGISTRY_EDITORS=REGISTRY_EDITORS,
        PLOT_EDITORS=PLOT_EDITORS,
        Write=Write,  # can(Write.FIELD): the kinds of write of accounts.policy
        role_labels=ROLE_LABELS,
        org_kind_labels=ORGANISATION_KIND_LABELS,
        vietgap_labels=VIETGAP_STATUS_LABELS,
        product_kind_labels=PRODUCT_KIND_LABELS,
        input_kind_labels=INPUT_KIND_LABELS,
        planting_status_labels=PLANTING_STATUS_LABELS,
        lot_status_labels=LOT_STATUS_LABELS,
        certificate_kind_labels=CERTIFICATE_KIND_LABELS,
        inspection_scope_labels=INSPECTION_SCOPE_LABELS,
        result_labels=RESULT_LABELS,
        disposal_labels=DISPOSAL_LABELS,
        party_kind_labels=PARTY_KIND_LABELS,
        journey_labels=JOURNEY_LABELS,
        dossier_status_labels=DOSSIER_STATUS_LABELS,
        application_type_labels=APPLICATION_TYPE_LABELS,
        step_labels=STEP_LABELS,
    )

    app.jinja_env.filters["unit"] = unit_label  # {{ lot.unit|unit }}: "cái" on a Vietnamese page
    app.jinja_env.filters["amounts"] = amounts_label  # {kg: 12, piece: 40} → "12 kg + 40 cái"

    # Sanitised when saved and again when shown: a story written before a rule tightened stays safe.
    app.jinja_env.filters["story_html"] = lambda html: Markup(sanitise_story(html) or "")

    @app.context_processor
    def layout_context():
        return {"current_org": g.get("org"), "current_role": g.get("role")}

    production = app.config["TRACEABILITY_ENV"] == "production"

    @app.after_request
    def security_headers(response):
        if production:
            # Production is served over HTTPS only (README): a browser that has seen the site once
            # never tries plain http again, where a café's Wi-Fi could rewrite the page.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Everything is served from here: no CDN, no external fonts or scripts.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
        )
        return response


def register_commands(app: Flask) -> None:
    cli.register(app)
