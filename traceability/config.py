"""Settings: defaults here, then ``instance/config.py``, then environment variables.

Precedence (later wins): the defaults below, ``instance/config.py``, the environment,
and finally the mapping a caller passes to ``create_app`` (tests do).
"""

from __future__ import annotations

import os
import secrets
from importlib.util import find_spec
from pathlib import Path


def _flag(text: str) -> bool:
    return text.lower() in ("1", "true", "yes", "on")


# Settings that may come from the environment, with how to read them.
ENV_SETTINGS = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "DATABASE_POOLED": _flag,
    "DATABASE_REPLICA_URL": str,
    "DATABASE_DIRECT_URL": str,
    "S3_BUCKET": str,
    "S3_ENDPOINT_URL": str,
    "S3_REGION": str,
    "REPLICA_MAX_LAG_SECONDS": float,
    "PUBLIC_BASE_URL": str,
    "TRACEABILITY_ENV": str,
    "PROXY_FIX_X_FOR": int,
    "LATE_ENTRY_DAYS": int,
    "REDIS_URL": str,
    "SCAN_ALERT_COUNT": int,
    "SCAN_ALERT_KM": int,
    "SCAN_FLUSH_SECONDS": float,
    "LOG_WITNESSES": lambda text: tuple(text.split()),  # verifier keys, separated by spaces
    "METRICS_TOKEN": str,
    "REQUEST_LOG": _flag,
}


class Defaults:
    # "development" creates a secret key in instance/; "production" refuses to start without one.
    TRACEABILITY_ENV = "development"
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file in instance/
    # DATABASE_URL names a pooler in transaction mode (PgBouncer): each transaction may run on another
    # server connection, so no server-side prepared statements (psycopg prepares after 5 runs).
    DATABASE_POOLED = False
    DATABASE_DIRECT_URL: str | None = None  # the database itself, for backup and restore, when DATABASE_URL is a pooler
    # A streaming replica the public pages, linksets, the EPCIS query and exports read from (replica.py).
    DATABASE_REPLICA_URL: str | None = None
    REPLICA_MAX_LAG_SECONDS = 10.0  # further behind than this, they read from the primary
    REPLICA_CHECK_SECONDS = 5.0  # how often each process measures the lag
    REPLICA_STICKY_SECONDS = 30  # after a write, the writer's pages read from the primary this long
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14  # a phone in the field stays logged in two weeks
    WTF_CSRF_TIME_LIMIT = None  # a form left open in the field must still submit: token lives as long as the session

    # Login throttling, counted in the database so every worker and server sees the same numbers.
    LOGIN_MAX_FAILURES_PER_LOGIN = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_WINDOW_SECONDS = 15 * 60

    # Number of proxies in front of the app whose X-Forwarded-For can be trusted (0: none).
    PROXY_FIX_X_FOR = 0
    # Above the 10 MB photo limit, so an oversized photo is refused by the form (input kept), not
    # by a bare 413; uploads are spooled to disk by the parser, not held in memory.
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    # Long jobs (print runs): with REDIS_URL an RQ queue served by `rq worker`; without, a thread of
    # each serving process claims them from the database.
    REDIS_URL: str | None = None
    EMBEDDED_WORKER = True
    # A field record entered more than this many days after it happened is marked late, for good.
    LATE_ENTRY_DAYS = 7
    # Scans of a unit serial: more counted scans than this, or buyers' provinces further apart than
    # this many km, and the unit's page warns that its code may be copied. Counting is guarded: one
    # address rescanning a unit within SCAN_REPEAT_MINUTES counts once; an address counts at most
    # SCAN_CLIENT_PER_HOUR scans an hour, and a unit at most SCAN_UNIT_PER_HOUR.
    # A lot's public page is rebuilt when its organisation records anything; else kept this long.
    PUBLIC_PAGE_CACHE_SECONDS = 300
    PUBLIC_PAGE_RECHECK_SECONDS = 5  # how stale a cached page may be after a recall
    # Labels: a sheet drawn inside the request up to this many labels; longer runs go to a job.
    LABELS_IN_REQUEST = 500
    PRINT_RUN_MAX_LABELS = 100_000
    SCAN_ALERT_COUNT = 20
    SCAN_ALERT_KM = 300
    SCAN_REPEAT_MINUTES = 30
    SCAN_CLIENT_PER_HOUR = 30
    SCAN_UNIT_PER_HOUR = 10
    # Scans are spooled by the page and written in batches this often by a thread of each process
    # (scans.recorder); 0 or None: only when ``flush`` is called (the tests do, to count exactly).
    # A second: the page already shows the visitor's scan (scans.counters), so only the dashboard
    # waits, and a crowd's scans cost a few transactions a second instead of one each quarter second.
    SCAN_FLUSH_SECONDS = 1.0
    SCAN_SPOOL_DIR: str | None = None  # None: instance/scan-spool
    # Each organisation's log signing key (transparency.keys): a file per organisation here, mode
    # 0600, unless LOG_KEY_<CODE> is set in the environment. None: instance/log-keys.
    LOG_KEYS_DIR: str | None = None
    CHECKPOINT_SECONDS = 300  # a new checkpoint at most this often, when the log has grown
    # The witnesses whose cosignatures this server keeps and publishes: their verifier keys, as
    # each prints with `flask --app traceability witness key` (the commune's, the province's).
    LOG_WITNESSES: tuple[str, ...] = ()
    LOG_WITNESS_NAMES: dict = {}  # witness key name → how a buyer's page names it ("UBND xã Quảng Thái")
    # /metrics answers a scraper sending this as its bearer token; unset, /metrics is off.
    METRICS_TOKEN: str | None = None
    # One JSON line per request (id, method, route, status, ms) on stderr; None: on in production only.
    REQUEST_LOG: bool | None = None
    # Photos, evidence files and print-run PDFs in this S3 bucket (blobs.py); None: in the database.
    # S3_ENDPOINT_URL for MinIO or another S3 service; credentials as boto3 reads them (AWS_ACCESS_KEY_ID…).
    S3_BUCKET: str | None = None
    S3_ENDPOINT_URL: str | None = None
    S3_REGION: str | None = None
    # werkzeug's default (scrypt). Tests choose a cheap method so hundreds of logins stay fast.
    PASSWORD_HASH_METHOD = "scrypt"


S3_MISSING = (
    "S3_BUCKET is set, but the s3 extra (boto3) is not installed: install it with pip install -e '.[s3]',"
    " or unset S3_BUCKET to keep files in the database."
)


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


RQ_MISSING = (
    "REDIS_URL is set, but the rq extra (rq and redis) is not installed: install it with "
    "pip install -e '.[rq]', or unset REDIS_URL to run long jobs in a thread of the app."
)


def load(app, overrides: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name, cast in ENV_SETTINGS.items():
        if name in os.environ and os.environ[name] != "":
            app.config[name] = cast(os.environ[name])
    if overrides:
        app.config.update(overrides)

    if not (overrides and "SQLALCHEMY_DATABASE_URI" in overrides):
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_uri(app)
    if app.config["DATABASE_POOLED"] and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        connect_args = {**options.get("connect_args", {}), "prepare_threshold": None}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
    if app.config["DATABASE_REPLICA_URL"]:
        app.config["DATABASE_REPLICA_URL"] = normalise_database_url(app.config["DATABASE_REPLICA_URL"])
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            raise ConfigError("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL (a replica of that database).")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file has no server or network to drop the connection: no ping before every request's query.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"].rstrip("/")
    _ensure_secret_key(app)
    # At start, not at the first print run: rq and redis are an optional extra.
    if app.config.get("REDIS_URL") and not (find_spec("rq") and find_spec("redis")):
        raise ConfigError(RQ_MISSING)
    if app.config.get("S3_BUCKET") and not find_spec("boto3"):
        raise ConfigError(S3_MISSING)

    production = app.config["TRACEABILITY_ENV"] == "production"
    if app.config["REQUEST_LOG"] is None:
        app.config["REQUEST_LOG"] = production
    # Cookies only over HTTPS in production; the embedded default is served over plain http.
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        app.config[name] = bool(app.config.get(name)) or production


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting providers hand out and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _database_uri(app) -> str:
    url = app.config.get("DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(Path(app.instance_path) / "traceability.db")


def _ensure_secret_key(app) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["TRACEABILITY_ENV"] == "production":
        raise ConfigError(
            "SECRET_KEY is not set. In production set the SECRET_KEY environment variable "
            "(for example: export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')) "
            "or put SECRET_KEY = '...' in instance/config.py."
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
