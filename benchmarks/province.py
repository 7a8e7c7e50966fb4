"""A whole province on PostgreSQL: 500 producers' records bulk-loaded, then the pages people open, timed.

    python benchmarks/province.py --events 10000 [--wipe]
    python benchmarks/province.py --events 1000000 --wipe
    python benchmarks/province.py --compare 10000,1000000[,10000000] --wipe

The database (default ``postgresql+psycopg://postgres@127.0.0.1:5433/province``) is created if missing. One
that already holds organisations is refused unless ``--wipe`` is given: then its public schema is DROPPED and
recreated. Never point it at a database whose data you want to keep.

The province: 500 producer organisations of the demo's four kinds (bitter-melon cooperatives, turmeric
cooperative groups, lemongrass-oil and coconut-oil household businesses) over 25 communes, sized unevenly
(lognormal: a few large cooperatives, many small ones, newer ones with a shorter history), plus the province's
OCOP office and each commune's authority. Each producer has villages, households, plots, a season after season
of plantings with their sprays (with the pre-harvest intervals of the default permitted list) and fertiliser,
harvest lots, VietGAP inspections and certificates, processing runs (``lot_links``), sale lots packed with unit
serials, sales to its buyers, scans of some units and OCOP dossiers, with the ``events`` row behind every record
(a hash chain per organisation of dummy hashes, as ``lineage.py`` does) and the EPCIS event each deed makes
(``epcis_events``, ``epcis_identifiers``: the documents ``traceability/epcis/documents.py`` builds, checked
against it for the probe's events). ``--events`` is the total of ``events`` rows; every other table follows.

Rows are made here, never by the services (a read benchmark), and written with COPY; foreign-key triggers are
skipped while loading (``session_replication_role = replica``) and the secondary indexes built after, then
``ANALYZE``. One "probe" cooperative (Tây Hoàng, about 2,000 events) is made from its own random numbers, so its
records are the same at every size: only the rest of the province grows. After the load its API token and its
OCOP dossier are made by the real services (the dossier's answers pre-filled from its records).

Measured in process with the Flask test client on a production-like app, each page logged in as a real user:
the public lot and unit pages (built: the kept-page caches emptied before each request), the manager's trace of
a sale lot (back) and of a harvest lot (forward), the member's home, the manager's lot list with a search, the
OCOP dossier (pre-filled answers and figures), the province officials' OCOP overview across all 500 producers,
the EPCIS export of a lot's lineage, and an EPCIS query by lot (Bearer token). Anchor: ``GET /healthz`` on the
same app in the same run. Every answer must be 200; one that is not is printed as a problem (a bug in this data
or in the app). Misses are printed, never raised: the script exits 0 once the load has run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import describe_server, empty_postgresql

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5433/province"
BASE = "https://truyxuat.hue.example"  # PUBLIC_BASE_URL of the measured app: the labels' URIs start here
PASSWORD = "province-2026"
N_ORGS = 500
PROBE_INDEX = 250  # the probe's place among the producers: in the middle of every table's id range
PROBE_EVENTS = 2_000
PROBE_SEED = 20261204
HISTORY_DAYS = 730  # the longest history a producer has
TARGET_RATIO = 2.0  # each figure within 2× of the smallest size's
WARMUP = 2
FLUSH_ROWS = 200_000  # rows buffered before they are written (COPY)
PROVINCE = "Thành phố Huế"
COMMUNES = [
    "Quảng Thái", "Quảng Lợi", "Quảng Vinh", "Quảng Phú", "Quảng An", "Quảng Thành", "Quảng Thọ",
    "Phong Hiền", "Phong Chương", "Phong Bình", "Phong Thu", "Phong Xuân", "Hương Toàn", "Hương Vinh",
    "Hương Phong", "Vinh Thanh", "Vinh Xuân", "Vinh Hưng", "Lộc Bổn", "Lộc Sơn", "Lộc An", "Lộc Trì",
    "Phú Mỹ", "Phú Thuận", "Phú Lương",
]  # fmt: skip
VILLAGE_NAMES = ["Tây Hoàng", "Lai Hà", "Trung Làng", "Đoan Ngọ", "An Thành", "Phước Yên", "Đông Hồ", "Mỹ Xuyên"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý", "Huỳnh"]
GIVEN = ["Văn An", "Thị Bé", "Văn Cường", "Thị Dung", "Văn Em", "Thị Phượng", "Văn Giang", "Thị Hạnh", "Văn Hùng"]
BUYERS = [
    ("Thương lái chợ Đông Ba", "trader"), ("Siêu thị Co.op Huế", "supermarket"), ("Cửa hàng đặc sản Huế", "shop"),
    ("Đại lý nông sản Phú Bài", "trader"), ("Công ty chế biến Thuận An", "processor"), ("Bếp ăn trường học", "other"),
]  # fmt: skip
SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# The demo's four value chains. ``season`` is the days between sowings on a plot; ``inputs`` (days after sowing,
# trade name, dose, unit) come from the permitted list with its PHIs; ``picks`` are days after sowing; a run turns
# ``batch`` harvest lots into the processed product at ``yield`` (output unit per kg), packed in ``net`` units.
KINDS = {
    "melon": dict(
        org_kind="cooperative", name="Hợp tác xã khổ qua {}", crop="Khổ qua (mướp đắng)", season=120,
        variety="F1 TN 166", kg_m2=2.2, fresh_share=0.6, bought=False, criteria_set="qd26-2026-set01",
        inputs=[(0, "Phân chuồng hoai mục", 300, "kg"), (12, "NPK 16-16-8", 8, "kg"), (20, "Emagold 6.5EC", 20, "ml"),
                (32, "Amyla Top 325SC", 15, "ml"), (45, "Molbeng 2SL", 25, "ml"), (66, "Strepcoxin 18WP", 30, "g")],
        picks=list(range(52, 110, 7)), batch=(3, 6),
        products=[("KQ-TUOI", "Khổ qua tươi", "fresh", "kg", 10), ("KQ-SAY", "Khổ qua sấy lát", "processed", "g", 270)],
        process=("KQ-SAY", 70, "g", ["rửa, thái lát 3 mm", "sấy 55 °C, 10 giờ"], (40, 100)), net=(200, "g"),
    ),
    "turmeric": dict(
        org_kind="cooperative_group", name="Tổ hợp tác tinh bột nghệ {}", crop="Nghệ", season=365,
        variety="Nghệ vàng", kg_m2=2.5, fresh_share=0.0, bought=False, criteria_set="qd26-2026-set07",
        inputs=[(0, "Phân chuồng hoai mục", 400, "kg"), (60, "NPK 16-16-8", 12, "kg"), (120, "Urê", 6, "kg")],
        picks=[270, 271, 272], batch=(2, 3),
        products=[("TBN", "Tinh bột nghệ", "processed", "g", 365)],
        process=("TBN", 0.04, "kg", ["rửa, xay", "lọc, lắng 3 lần", "phơi khô"], (0.03, 0.06)), net=(100, "g"),
    ),
    "lemongrass": dict(
        org_kind="household_business", name="Cơ sở tinh dầu sả {}", crop="Sả chanh", season=180,
        variety="Sả chanh", kg_m2=1.2, fresh_share=0.0, bought=True, criteria_set="qd26-2026-set20",
        inputs=[(0, "Phân chuồng hoai mục", 200, "kg"), (40, "NPK 16-16-8", 6, "kg")],
        picks=[120, 150], batch=(2, 4),
        products=[("TD-SA", "Tinh dầu sả chanh", "processed", "ml", 365)],
        process=("TD-SA", 0.0025, "l", ["chưng cất hơi nước"], (0.0018, 0.003)), net=(10, "ml"),
    ),
    "coconut": dict(
        org_kind="household_business", name="Hộ kinh doanh dầu dừa {}", crop="Dừa", season=365,
        variety="Dừa xiêm", kg_m2=0.4, fresh_share=0.0, bought=True, criteria_set="qd26-2026-set07",
        inputs=[(0, "Phân chuồng hoai mục", 300, "kg"), (90, "NPK 16-16-8", 10, "kg")],
        picks=[30, 90, 150, 210, 270, 330], batch=(3, 6),
        products=[("DAU-DUA", "Dầu dừa", "processed", "ml", 730)],
        process=("DAU-DUA", 0.07, "l", ["ép lạnh", "lọc"], (0.06, 0.08)), net=(250, "ml"),
    ),
}  # fmt: skip
KIND_SHARES = [("melon", 0.4), ("turmeric", 0.25), ("lemongrass", 0.2), ("coconut", 0.15)]
# Events one plot makes in one season, value chain included (measured on the generator): sizes each producer.
EVENTS_PER_SEASON = {"melon": 26.0, "turmeric": 9.0, "lemongrass": 8.0, "coconut": 13.0}
UOM = {"kg": "KGM", "g": "GRM", "l": "LTR", "ml": "MLT"}
SERIALS_SHARE = 0.05  # packs printed with a serial per unit; the others one code per lot
MAX_UNITS = 300  # units per sale lot
SCANNED_SHARE = 0.03  # units whose code a buyer scanned

# Every table written, with its columns in the order the rows below give them.
COLUMNS = {
    "organisations": "id code name kind registration_number village commune province gs1_company_prefix gln "
    "public_phone created_at",
    "users": "id name phone email password_hash locale active created_at session_generation",
    "memberships": "id user_id organisation_id role household_id created_at",
    "villages": "id organisation_id name commune province created_at",
    "households": "id organisation_id name village_id phone created_at",
    "plots": "id organisation_id code name village_id household_id area_m2 crop vietgap_status created_at",
    "products": "id organisation_id code name_vi kind unit gtin shelf_life_days created_at",
    "permitted_inputs": "id organisation_id kind trade_name active_ingredient phi_days dose_unit source created_at",
    "parties": "id organisation_id name kind phone created_at",
    "events": "id organisation_id kind occurred_on recorded_at recorded_by_id clock_suspect late plot_id planting_id "
    "payload prev_hash hash",
    "plantings": "id organisation_id plot_id household_id crop variety seed_source sown_on area_m2 "
    "expected_harvest_from expected_harvest_to status non_conformant created_at",
    "input_applications": "id organisation_id event_id planting_id kind trade_name active_ingredient dose dose_unit "
    "area_m2 method applied_on phi_days on_permitted_list superseded",
    "lots": "id organisation_id code kind product_id quantity unit remaining_quantity status produced_on expires_on "
    "event_id created_at planting_id plot_id yield_flagged vietgap_claim crop net_content net_unit supplier_id "
    "supplier_lot_code",
    "lot_links": "id organisation_id event_id input_lot_id output_lot_id quantity",
    "processing_runs": "id organisation_id event_id processed_on steps yield_ratio expected_min expected_max "
    "yield_flagged",
    "sales": "id organisation_id event_id lot_id buyer_id quantity sold_on invoice_ref",
    "unit_serials": "id organisation_id lot_id serial",
    "unit_scans": "id organisation_id unit_serial_id scanned_at agent client province",
    "certificates": "id organisation_id event_id kind number issuer valid_from valid_to stars created_at",
    "certificate_households": "certificate_id household_id",
    "certificate_products": "certificate_id product_id",
    "lot_certificates": "lot_id certificate_id",
    "inspections": "id organisation_id event_id scope checklist_code checklist_version inspected_on inspector_id "
    "signed_off_at created_at",
    "inspection_results": "id inspection_id criterion_id result note",
    "non_conformities": "id organisation_id inspection_id criterion_id corrective_action due_on closed_on closing_note",
    "ocop_dossiers": "id organisation_id product_id criteria_set application_type status results_year revenue_vnd "
    "profit_vnd submitted_on stars created_at",
    "ocop_answers": "id dossier_id criterion_id option_n",
    "epcis_events": "id organisation_id origin event_id event_hash event_type event_time record_time biz_step "
    "biz_location public document",
    "epcis_identifiers": "id organisation_id epcis_event_id field value",
}
COLUMNS = {table: tuple(columns.split()) for table, columns in COLUMNS.items()}


def say(*args) -> None:
    print(*args, flush=True)


def gtin14(body13: str) -> str:
    """A GTIN-14 from its first 13 digits and the GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body13)))
    return body13 + str((10 - total % 10) % 10)


def number(value: float) -> int | float:
    """A quantity as EPCIS writes it: whole numbers as integers (``documents.number``)."""
    value = round(value, 3)
    return int(value) if value == int(value) else value


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


def prepare_database(url: str, wipe: bool, own_data: bool) -> bool:
    """Empty the database for a load; False (and why, said) when it holds organisations and may not be wiped.

    ``own_data``: what is there was loaded by this run (``--compare``'s earlier size), so it may go."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        say(f"province.py runs on PostgreSQL only (COPY, session_replication_role), not {parsed.get_backend_name()}")
        return False
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
    engine.dispose()
    if exists and not (wipe or own_data):
        engine = sa.create_engine(parsed)
        with engine.connect() as conn:
            has_table = conn.scalar(sa.text("SELECT to_regclass('public.organisations') IS NOT NULL"))
            rows = conn.scalar(sa.text("SELECT count(*) FROM organisations")) if has_table else 0
        engine.dispose()
        if rows:
            say(
                f"REFUSED: database {parsed.database!r} already holds {rows:,} organisations. This benchmark DROPS "
                "the public schema of the database it loads; give --wipe to let it (everything there is lost), "
                "or name another database with --database-url."
            )
            return False
    empty_postgresql(parsed, say)
    return True


def make_app(url: str, workdir: Path):
    from traceability import create_app

    # Production-like: production mode (secure cookies, CSRF, no debug), PostgreSQL, a public base URL. Without
    # the background threads (job worker, scan writer), which would add their statements to the counts; scans
    # are spooled as in production and never written during the measurements.
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TRACEABILITY_ENV": "production",
            "SECRET_KEY": "province-benchmark",
            "PUBLIC_BASE_URL": BASE,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "EMBEDDED_WORKER": False,
            "SCAN_FLUSH_SECONDS": 0,
            "SCAN_SPOOL_DIR": str(workdir / "scan-spool"),
            "LOG_KEYS_DIR": str(workdir / "log-keys"),
            "REQUEST_LOG": False,
        },
        instance_path=str(workdir / "instance"),
    )


# ---------------------------------------------------------------------------------------------
# The synthetic province
# ---------------------------------------------------------------------------------------------


@dataclass
class Probe:
    """What the measurements open: the probe cooperative's users and records (ids differ by size, content not)."""

    org_id: int = 0
    manager: str = "0900000002"
    member: str = "0900000003"
    official: str = "ocop@hue.example"
    manager_id: int = 0
    product_id: int = 0  # the product its OCOP dossier is for
    sale_lot: tuple = ()  # (id, code, gtin, serials) of a sale lot packed with serials, sold
    harvest_lot_id: int = 0  # a harvest lot processed and packed: traced forward
    events: dict = field(default_factory=dict)  # kind → an event id, for the EPCIS check


class Writer:
    """Rows buffered per table, written with COPY when enough have gathered."""

    def __init__(self, conn):
        self.conn = conn
        self.rows: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
        self.buffered = 0
        self.counts: dict[str, int] = dict.fromkeys(COLUMNS, 0)

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)
        self.buffered += 1
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        with self.conn.cursor() as cur:
            for table, rows in self.rows.items():
                if not rows:
                    continue
                with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                self.counts[table] += len(rows)
                rows.clear()
        self.conn.commit()
        self.buffered = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.buffered


class Province:
    """Every producer's records, made in the order they happened, with ids chosen here."""

    def __init__(self, writer: Writer, n_events: int, seed: int, today: dt.date, checklist: list[str]):
        self.w = writer
        self.n_events = n_events
        self.seed = seed
        self.today = today
        self.checklist = checklist
        self.next_id: dict[str, int] = {}
        self.probe = Probe()
        self.password_hash = None
        self.made_at = dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS + 30), dt.time(1, 0))
        permitted = json.loads(
            (Path(__file__).resolve().parent.parent / "traceability/rules/default_inputs.json").read_text()
        )
        self.permitted = permitted["inputs"]
        self.permitted_source = permitted["legal_basis"]
        self.phi = {p["trade_name"]: (p.get("phi_days"), p.get("active_ingredient"), p["kind"]) for p in self.permitted}

    def id(self, table: str) -> int:
        value = self.next_id.get(table, 1)
        self.next_id[table] = value + 1
        return value

    # ---- the province's organisations and their sizes ---------------------------------------
    def load(self, say_progress) -> None:
        from werkzeug.security import generate_password_hash

        # One hash for every user (the same password): hashing 10,000 passwords would only slow the load.
        self.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        rng = random.Random(self.seed)
        self.authorities(rng)
        weights = [rng.lognormvariate(0, 1.0) for _ in range(N_ORGS - 1)]
        kinds = rng.choices([k for k, _s in KIND_SHARES], [s for _k, s in KIND_SHARES], k=N_ORGS - 1)
        # Each producer's own events; what is left after the probe, shared by weight. The fixed records
        # (registry, certificates, inspections) of a tiny producer are part of its share.
        left_weight = sum(weights)
        started, reported = time.perf_counter(), 0
        for index in range(N_ORGS):
            if index == PROBE_INDEX:
                self.producer(index, "melon", PROBE_EVENTS, random.Random(PROBE_SEED), probe=True)
            else:
                # Its share of what is left: a producer that came out larger than its share leaves less to the
                # others, so the total lands near ``n_events`` whatever the estimates per season.
                i = index if index < PROBE_INDEX else index - 1
                made = self.next_id.get("events", 1) - 1
                left = self.n_events - made - (PROBE_EVENTS if index < PROBE_INDEX else 0)
                budget = max(0, left) * weights[i] / left_weight
                left_weight -= weights[i]
                self.producer(index, kinds[i], budget, random.Random(f"{self.seed}-{index}"))
            made = self.next_id.get("events", 1) - 1
            if made >= reported + self.n_events / 10 or index == N_ORGS - 1:
                reported = made
                elapsed = time.perf_counter() - started
                say_progress(
                    f"  {index + 1:>4} producers  {made:>11,} events  {self.w.total:>11,} rows  {elapsed:7.1f} s  "
                    f"{self.w.total / elapsed:>9,.0f} rows/s"
                )
        self.w.flush()

    def authorities(self, rng) -> None:
        created = self.made_at
        for n, commune in enumerate([None, *COMMUNES]):
            org_id = self.id("organisations")
            if commune is None:
                row = (org_id, "ubnd-hue", "Ủy ban nhân dân thành phố Huế (Văn phòng OCOP)", "province_authority")
                commune, login = COMMUNES[0], self.probe.official
            else:
                code = "ubnd-" + re.sub(r"[^a-z]+", "-", fold(commune)).strip("-")
                row = (org_id, code, f"Ủy ban nhân dân xã {commune}", "commune_authority")
                login = f"canbo{n}@{code}.example"
            self.w.add("organisations", (*row, None, None, commune, PROVINCE, None, None, None, created))
            self.user(org_id, "official", f"Cán bộ {commune}", email=login)

    def user(self, org_id: int, role: str, name: str, *, phone=None, email=None, household_id=None) -> int:
        user_id = self.id("users")
        self.w.add("users", (user_id, name, phone, email, self.password_hash, "vi", True, self.made_at, 0))
        self.w.add("memberships", (self.id("memberships"), user_id, org_id, role, household_id, self.made_at))
        return user_id

    # ---- one producer -------------------------------------------------------------------------
    def producer(self, index: int, kind: str, budget: float, rng: random.Random, probe: bool = False) -> None:
        spec = KINDS[kind]
        org = Org(self, index, kind, spec, rng, probe)
        # Its size: enough plots for its share of events over a full history, or one plot with a shorter one
        # (a producer that joined lately).
        per_plot = EVENTS_PER_SEASON[kind] * (HISTORY_DAYS / spec["season"])
        if budget >= per_plot:
            n_plots, days = max(1, round(budget / per_plot)), HISTORY_DAYS
        else:
            n_plots = 1
            days = max(spec["season"] // 2, min(HISTORY_DAYS, round(budget / EVENTS_PER_SEASON[kind] * spec["season"])))
        org.registry(n_plots)
        org.history(self.today - dt.timedelta(days=days))
        org.finish()  # its lots still in stock, and its OCOP records
        if probe:
            self.probe = org.as_probe(self.probe)


def fold(text: str) -> str:
    from traceability.rules import fold as rules_fold

    return rules_fold(text)


class Org:
    """One producer's rows: registry, then its seasons cycle by cycle, then its value chain after each cycle."""

    def __init__(self, p: Province, index: int, kind: str, spec: dict, rng: random.Random, probe: bool):
        self.p, self.w, self.kind, self.spec, self.rng, self.is_probe = p, p.w, kind, spec, rng, probe
        self.id = p.id("organisations")
        self.commune = COMMUNES[0] if probe else COMMUNES[index % len(COMMUNES)]
        village = VILLAGE_NAMES[index % len(VILLAGE_NAMES)] if not probe else "Tây Hoàng"
        self.code = "tay-hoang" if probe else f"{kind[:4]}-{index:03d}"
        self.name = spec["name"].format("Tây Hoàng" if probe else f"{village} {index}")
        self.prefix = f"952{90000 + index:05d}"  # GS1's example prefix 952: never a real company's
        self.gln = gtin14("0" + self.prefix + "0000")[1:]
        self.last_hash = "0" * 64
        self.lot_numbers: dict[tuple, int] = {}
        self.stock: list[dict] = []  # harvest or bought-in lots waiting for a processing run
        self.certificates: list[tuple[int, str, str, dt.date, dt.date]] = []  # (id, kind, number, from, to)
        self.probe_picks: list[dict] = []
        self.sale_lot = None
        w = self.w
        w.add(
            "organisations",
            (self.id, self.code, self.name, spec["org_kind"], f"33A{8000000 + index:07d}", village, self.commune,
             PROVINCE, self.prefix, self.gln, None, p.made_at),
        )  # fmt: skip

    # ---- rows with an event ------------------------------------------------------------------
    def event(self, kind: str, day: dt.date, payload: dict, plot_id=None, planting_id=None) -> tuple[int, str]:
        event_id = self.p.id("events")
        digest = f"{event_id:064x}"  # dummy: no chain is computed for a read benchmark
        recorded = dt.datetime.combine(day, dt.time(11, 0))  # 18:00 in Huế, stored as naive UTC
        self.w.add(
            "events",
            (event_id, self.id, kind, day, recorded, self.manager_id, False, False, plot_id, planting_id,
             json.dumps(payload), self.last_hash, digest),
        )  # fmt: skip
        self.last_hash = digest
        if self.is_probe:
            self.p.probe.events.setdefault(kind, event_id)
        return event_id, digest

    def epcis(self, event_id: int, digest: str, day: dt.date, body: dict, location: str, names: list, public: bool):
        """The stored EPCIS event of a deed, as ``documents.py`` builds it and ``store.values_for`` stores it."""
        row_id = self.p.id("epcis_events")
        event_hash = f"ni:///sha-256;{row_id:064x}?ver=CBV2.0"
        document = {
            "type": body.pop("type"),
            "eventTime": f"{day.isoformat()}T12:00:00+07:00",
            "eventTimeZoneOffset": "+07:00",
            "recordTime": f"{day.isoformat()}T11:00:00.000Z",
            "readPoint": {"id": location},
            "bizLocation": {"id": location},
            "coop:recordHash": digest,
            **body,
            "eventID": event_hash,
        }
        self.w.add(
            "epcis_events",
            (row_id, self.id, "own", event_id, event_hash, document["type"], dt.datetime.combine(day, dt.time(5, 0)),
             dt.datetime.combine(day, dt.time(11, 0)), document["bizStep"], self.canonical_location(location), public,
             json.dumps(document)),
        )  # fmt: skip
        for name, value in sorted(set(names)):
            self.w.add("epcis_identifiers", (self.p.id("epcis_identifiers"), self.id, row_id, name, value))

    # ---- identifiers, as labels/digital_link.py and epcis/identifiers.py write them --------------
    def sgln(self, extension: str = "0") -> str:
        return f"urn:epc:id:sgln:{self.prefix}.{self.gln[len(self.prefix) : 12]}.{extension}"

    def canonical_location(self, location: str) -> str:
        extension = location.rsplit(".", 1)[1]
        return f"https://id.gs1.org/414/{self.gln}" + ("" if extension == "0" else f"/254/{extension}")

    def lot_uri(self, lot: dict, serial: str | None = None) -> tuple[str, str]:
        """(the URI a label carries, its canonical form stored in ``epcis_identifiers``)."""
        if lot["gtin"]:
            uri = f"{BASE}/01/{lot['gtin']}/10/{lot['code']}"
            if serial:
                return f"{uri}/21/{serial}", f"https://id.gs1.org/01/{lot['gtin']}/21/{serial}"
            return uri, f"https://id.gs1.org/01/{lot['gtin']}/10/{lot['code']}"
        uri = f"{BASE}/o/{self.code}/p/crop/10/{lot['code']}"  # no GTIN: our own path, stored as it is
        return uri, uri

    def quantity(self, lot: dict, quantity: float, unit: str) -> tuple[dict, tuple]:
        uri, canonical = self.lot_uri(lot)
        element = {"epcClass": uri, "quantity": number(quantity)}
        if unit in UOM:
            element["uom"] = UOM[unit]
        return element, canonical

    # ---- registry ----------------------------------------------------------------------------
    def registry(self, n_plots: int) -> None:
        p, w, rng, spec, made = self.p, self.w, self.rng, self.spec, self.p.made_at
        n_households = max(1, round(n_plots / 1.4))
        n_villages = min(len(VILLAGE_NAMES), 1 + n_households // 40)
        self.manager_id = p.user(
            self.id, "manager", "Nguyễn Thị Hoa" if self.is_probe else self.person(),
            phone=self.probe_login("manager") or f"08{p.next_id.get('users', 1):08d}",
        )  # fmt: skip
        villages = []
        for v in range(n_villages):
            village_id = p.id("villages")
            w.add("villages", (village_id, self.id, VILLAGE_NAMES[v], self.commune, PROVINCE, made))
            villages.append(village_id)
        self.households, self.plots = [], []
        for h in range(n_households):
            household_id, village_id = p.id("households"), villages[h % n_villages]
            w.add("households", (household_id, self.id, self.person(), village_id, f"09{household_id:08d}", made))
            self.households.append(household_id)
            if h < 30:  # the members who record for their household on a phone
                login = self.probe_login("member") if h == 0 else None
                p.user(self.id, "member", self.person(), phone=login or f"08{p.next_id.get('users', 1):08d}",
                       household_id=household_id)  # fmt: skip
        for n in range(n_plots):
            plot_id, household_id = p.id("plots"), self.households[n % n_households]
            status = rng.choices(["certified", "converting", "none"], [5, 3, 2])[0]
            area = rng.randrange(1000, 5001, 500)
            # A1…Z99, then A1-1…: a large cooperative of the 10M province has over 2,574 plots.
            code = f"{chr(65 + n // 99 % 26)}{n % 99 + 1}" + (f"-{n // 2574}" if n >= 2574 else "")
            village_id = villages[self.households.index(household_id) % n_villages]
            w.add("plots", (plot_id, self.id, code, f"Ruộng {code}", village_id, household_id, area, spec["crop"],
                            status, made))  # fmt: skip
            self.plots.append(dict(id=plot_id, code=code, household_id=household_id, area=area, status=status))
        self.products = {}
        for n, (code, name, kind, unit, shelf) in enumerate(spec["products"]):
            product_id = p.id("products")
            gtin = gtin14("0" + self.prefix + f"{n + 1:04d}")
            w.add("products", (product_id, self.id, code, f"{name} {self.name.split(' ', 3)[-1]}", kind, unit, gtin,
                               shelf, made))  # fmt: skip
            self.products[code] = dict(id=product_id, gtin=gtin, shelf=shelf)
        for item in p.permitted:
            w.add(
                "permitted_inputs",
                (p.id("permitted_inputs"), self.id, item["kind"], item["trade_name"], item.get("active_ingredient"),
                 item.get("phi_days"), item.get("dose_unit"), item.get("source") or p.permitted_source, made),
            )  # fmt: skip
        self.buyers = []
        for n in range(min(len(BUYERS) * 5, 3 + n_households // 5)):
            name, kind = BUYERS[n % len(BUYERS)]
            party_id = p.id("parties")
            w.add("parties", (party_id, self.id, f"{name} {n // len(BUYERS) + 1}" if n >= len(BUYERS) else name, kind,
                              f"0905{party_id:06d}", made))  # fmt: skip
            self.buyers.append(party_id)

    def probe_login(self, role: str) -> str | None:
        return getattr(self.p.probe, role) if self.is_probe else None

    def person(self) -> str:
        return f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN)}"

    # ---- history -----------------------------------------------------------------------------
    def history(self, start: dt.date) -> None:
        spec, today = self.spec, self.p.today
        self.quality(start)
        cycle = 0
        while True:
            cycle_start = start + dt.timedelta(days=cycle * spec["season"])
            if cycle_start > today:
                break
            if self.kind in ("melon", "turmeric") and cycle_start.month in (6, 7, 8, 9) or cycle == 1:
                self.inspection(cycle_start + dt.timedelta(days=40))
            for plot in self.plots:
                sown = cycle_start + dt.timedelta(days=self.rng.randrange(0, 20))
                if sown <= today:
                    self.season(plot, sown)
            if spec["bought"]:
                self.receive(cycle_start + dt.timedelta(days=spec["picks"][-1]))
            self.value_chain()
            cycle += 1

    def quality(self, start: dt.date) -> None:
        """The certificates a producer holds: food safety for all, VietGAP for a grower's certified households."""
        p = self.p
        valid_from = max(start, self.p.today - dt.timedelta(days=640))
        kinds = [("food_safety", f"ATTP-{self.id:04d}", "Chi cục Quản lý chất lượng Nông lâm thủy sản Huế", 1100)]
        if self.kind in ("melon", "turmeric"):
            kinds.insert(0, ("vietgap", f"VietGAP-TT-{self.id:04d}", "VIETCERT", 715))
        for kind, number_, issuer, days in kinds:
            valid_to = valid_from + dt.timedelta(days=days)
            households = sorted({x["household_id"] for x in self.plots if x["status"] == "certified"})
            payload = {"kind": kind, "number": number_, "issuer": issuer, "valid_from": valid_from.isoformat(),
                       "valid_to": valid_to.isoformat(), "plots": [], "households": [], "products": [], "stars": None}  # fmt: skip
            event_id, _h = self.event("certificate", valid_from, payload)
            cert_id = p.id("certificates")
            self.w.add("certificates", (cert_id, self.id, event_id, kind, number_, issuer, valid_from, valid_to, None,
                                        dt.datetime.combine(valid_from, dt.time(11))))  # fmt: skip
            if kind == "vietgap":
                for household_id in households:
                    self.w.add("certificate_households", (cert_id, household_id))
            self.certificates.append((cert_id, kind, number_, valid_from, valid_to))

    def inspection(self, day: dt.date) -> None:
        if day > self.p.today:
            return
        p = self.p
        event_id, _h = self.event("inspection", day, {"scope": "organisation", "checklist": "vietgap-crops",
                                                      "version": "TCVN 11892-1:2017"})  # fmt: skip
        inspection_id = p.id("inspections")
        signed = dt.datetime.combine(day, dt.time(11))
        self.w.add("inspections", (inspection_id, self.id, event_id, "organisation", "vietgap-crops",
                                   "TCVN 11892-1:2017", day, self.manager_id, signed, signed))  # fmt: skip
        failed = self.rng.choice(self.p.checklist)
        for criterion in self.p.checklist:
            result, note = ("fail", "Vỏ chai thuốc BVTV còn để ở bờ ruộng.") if criterion == failed else ("pass", None)
            self.w.add("inspection_results", (p.id("inspection_results"), inspection_id, criterion, result, note))
        self.w.add(
            "non_conformities",
            (p.id("non_conformities"), self.id, inspection_id, failed, "Đặt thêm thùng chứa vỏ bao bì thuốc BVTV.",
             day + dt.timedelta(days=30), day + dt.timedelta(days=21) if day + dt.timedelta(days=21) <= self.p.today
             else None, "Đã khắc phục."),
        )  # fmt: skip

    def season(self, plot: dict, sown: dt.date) -> None:
        p, w, spec, today = self.p, self.w, self.spec, self.p.today
        planting_id = p.id("plantings")
        last_pick = sown + dt.timedelta(days=spec["picks"][-1])
        finished = last_pick + dt.timedelta(days=2) <= today
        payload = {"crop": spec["crop"], "variety": spec["variety"], "seed_source": "Đại lý vật tư " + self.commune,
                   "seed_lot": f"{spec['variety'][:5]}-{sown:%y%m}", "area_m2": f"{plot['area']}.00",
                   "expected_harvest_from": (sown + dt.timedelta(days=spec["picks"][0])).isoformat(),
                   "expected_harvest_to": last_pick.isoformat()}  # fmt: skip
        self.event("planting", sown, payload, plot["id"], planting_id)
        w.add(
            "plantings",
            (planting_id, self.id, plot["id"], plot["household_id"], spec["crop"], spec["variety"],
             payload["seed_source"], sown, plot["area"], sown + dt.timedelta(days=spec["picks"][0]), last_pick,
             "finished" if finished else "growing", False, dt.datetime.combine(sown, dt.time(11))),
        )  # fmt: skip
        work = [(offset, 0, item) for offset, *item in spec["inputs"]] + [(o, 1, None) for o in spec["picks"]]
        phi_until = sown
        for offset, is_pick, item in sorted(work):
            day = sown + dt.timedelta(days=offset)
            if day > today:
                break
            if not is_pick:
                phi_until = max(phi_until, self.input_application(plot, planting_id, day, *item))
            elif day >= phi_until:  # a pick inside a pre-harvest interval is skipped, as in the field
                self.harvest(plot, planting_id, day)
        if finished:
            self.event(
                "planting_end", last_pick + dt.timedelta(days=2), {"status": "finished"}, plot["id"], planting_id
            )

    def input_application(self, plot, planting_id, day, trade_name, dose, unit) -> dt.date:
        phi, active, kind = self.p.phi.get(trade_name, (None, None, "fertiliser"))
        method = "bón" if unit == "kg" else "phun"
        payload = {"kind": kind, "trade_name": trade_name, "active_ingredient": active, "dose": str(dose),
                   "dose_unit": unit, "area_m2": f"{plot['area']}.00", "method": method, "operator": None,
                   "phi_days": phi, "on_permitted_list": True, "banned_ingredient": None}  # fmt: skip
        event_id, _h = self.event("input_application", day, payload, plot["id"], planting_id)
        self.w.add(
            "input_applications",
            (self.p.id("input_applications"), self.id, event_id, planting_id, kind, trade_name, active, dose, unit,
             plot["area"], method, day, phi, True, False),
        )  # fmt: skip
        return day + dt.timedelta(days=phi or 0)

    def lot_code(self, day: dt.date, middle: str) -> str:
        key = (day, middle)
        self.lot_numbers[key] = self.lot_numbers.get(key, 0) + 1
        return f"{day:%y%m%d}-{middle}-{self.lot_numbers[key]}"

    def lot(self, kind, code, day, quantity, unit, event_id, *, product=None, plot=None, planting_id=None,
            net=None, supplier=None) -> dict:  # fmt: skip
        lot = dict(id=self.p.id("lots"), code=code, kind=kind, day=day, quantity=round(quantity, 3), unit=unit,
                   remaining=round(quantity, 3), product=product, gtin=product["gtin"] if product else None,
                   event_id=event_id, plot=plot, planting_id=planting_id, net=net, supplier=supplier)  # fmt: skip
        return lot

    def write_lot(self, lot: dict) -> None:
        """A lot's row once everything taken from it is known (its remaining quantity and status)."""
        product, plot, net, supplier = lot["product"], lot["plot"], lot["net"], lot["supplier"]
        claim = bool(plot and plot["status"] == "certified")
        status = "consumed" if lot["remaining"] <= 0 else "active"
        self.w.add(
            "lots",
            (lot["id"], self.id, lot["code"], lot["kind"], product["id"] if product else None, lot["quantity"],
             lot["unit"], max(0, lot["remaining"]), status, lot["day"],
             lot["day"] + dt.timedelta(days=product["shelf"]) if product else None, lot["event_id"],
             dt.datetime.combine(lot["day"], dt.time(11)), lot["planting_id"], plot["id"] if plot else None, False,
             claim, self.spec["crop"] if lot["kind"] == "harvest" else None, net[0] if net else None,
             net[1] if net else None, supplier, f"{lot['day']:%d%m}" if supplier else None),
        )  # fmt: skip
        if lot["kind"] == "harvest":
            for cert_id, kind, _n, valid_from, valid_to in self.certificates:
                if valid_from <= lot["day"] <= valid_to and (kind != "vietgap" or claim):
                    self.w.add("lot_certificates", (lot["id"], cert_id))

    def harvest(self, plot: dict, planting_id: int, day: dt.date) -> None:
        spec = self.spec
        kg = round(plot["area"] * spec["kg_m2"] / len(spec["picks"]) * self.rng.uniform(0.8, 1.2))
        code = self.lot_code(day, plot["code"])
        claim = plot["status"] == "certified"
        numbers = [n for _i, k, n, f, t in self.certificates if f <= day <= t and (k != "vietgap" or claim)]
        payload = {"lot_code": code, "quantity": str(kg), "unit": "kg", "harvester": None, "grade": None,
                   "yield_flagged": False, "vietgap_claim": claim, "certificates": numbers}  # fmt: skip
        event_id, digest = self.event("harvest", day, payload, plot["id"], planting_id)
        lot = self.lot("harvest", code, day, kg, "kg", event_id, plot=plot, planting_id=planting_id)
        element, canonical = self.quantity(lot, kg, "kg")
        location = self.sgln(plot["code"])
        body = {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "disposition": "active",
                "quantityList": [element], "ilmd": {"cbvmda:countryOfOrigin": "VN"}}  # fmt: skip
        self.epcis(event_id, digest, day, body, location, [("quantityList", canonical)], True)
        if self.rng.random() < spec["fresh_share"]:  # sold fresh, as picked, to a trader
            self.sale(lot, day, kg)
            self.write_lot(lot)
        else:
            self.stock.append(lot)

    def receive(self, day: dt.date) -> None:
        """Raw material bought in from a neighbour (lemongrass, coconuts), as ``trade.receive_lot`` records it."""
        if day > self.p.today:
            return
        supplier, kg = self.rng.choice(self.buyers), self.rng.randrange(300, 1200, 50)
        code = self.lot_code(day, "IN")
        payload = {"lot": code, "supplier_id": supplier, "supplier_lot_code": f"{day:%d%m}", "crop": self.spec["crop"],
                   "product": None, "quantity": str(kg), "unit": "kg"}  # fmt: skip
        event_id, digest = self.event("receiving", day, payload)
        lot = self.lot("harvest", code, day, kg, "kg", event_id, supplier=supplier)
        element, canonical = self.quantity(lot, kg, "kg")
        org_uri = f"{BASE}/o/{self.code}"
        body = {"type": "ObjectEvent", "action": "ADD", "bizStep": "receiving", "disposition": "active",
                "quantityList": [element],
                "sourceList": [{"type": "owning_party", "source": f"{org_uri}/party/{supplier}"}],
                "destinationList": [{"type": "owning_party", "destination": org_uri}]}  # fmt: skip
        self.epcis(event_id, digest, day, body, self.sgln(), [("quantityList", canonical)], False)
        self.stock.append(lot)

    def value_chain(self) -> None:
        """The cycle's lots in stock, in batches, processed, packed and sold."""
        spec, today, rng = self.spec, self.p.today, self.rng
        stock, self.stock = sorted(self.stock, key=lambda x: x["day"]), []
        while stock:
            n = rng.randint(*spec["batch"])
            batch, stock = stock[:n], stock[n:]
            day = batch[-1]["day"] + dt.timedelta(days=3)
            if day > today:
                self.stock.extend(batch)  # still waiting for its run: the next cycle's
                continue
            self.process(batch, day)
        if self.stock and self.stock[0]["day"] < today - dt.timedelta(days=60):  # left over: kept, as it is
            for lot in self.stock:
                self.write_lot(lot)
            self.stock = []

    def process(self, inputs: list[dict], day: dt.date) -> None:
        p, spec = self.p, self.spec
        code, ratio, unit, steps, expected = spec["process"]
        product = self.products[code]
        kg = sum(x["remaining"] for x in inputs)
        made = round(kg * ratio, 3)
        payload = {"inputs": [{"lot": x["code"], "quantity": f"{x['remaining']:.3f}", "unit": "kg"} for x in inputs],
                   "outputs": [{"product": code, "quantity": str(made), "unit": unit}],
                   "steps": [{"step": s} for s in steps], "yield_ratio": f"{made / kg:.6f}", "yield_flagged": False}  # fmt: skip
        event_id, digest = self.event("processing", day, payload)
        output = self.lot("processed", self.lot_code(day, code), day, made, unit, event_id, product=product)
        elements, names = [], []
        for lot in inputs:
            element, canonical = self.quantity(lot, lot["remaining"], "kg")
            elements.append(element)
            names.append(("inputQuantityList", canonical))
            self.w.add("lot_links", (p.id("lot_links"), self.id, event_id, lot["id"], output["id"], lot["remaining"]))
            lot["remaining"] = 0
            self.write_lot(lot)
            if self.is_probe and lot["planting_id"]:
                self.probe_picks.append(lot)
        element, canonical = self.quantity(output, made, unit)
        names.append(("outputQuantityList", canonical))
        self.w.add(
            "processing_runs",
            (p.id("processing_runs"), self.id, event_id, day, json.dumps(payload["steps"]), round(made / kg, 6),
             expected[0], expected[1], False),
        )  # fmt: skip
        body = {"type": "TransformationEvent", "inputQuantityList": elements, "outputQuantityList": [element],
                "bizStep": "creating_class_instance", "disposition": "active"}  # fmt: skip
        self.epcis(event_id, digest, day, body, self.sgln(), names, True)
        # Packed into sale lots over the next days: what the output holds, at most three lots of MAX_UNITS.
        net, net_unit = spec["net"]
        per_unit = net / 1000 if unit in ("kg", "l") else net  # the output's unit per packed unit
        for k in range(3):
            units = min(MAX_UNITS, int(output["remaining"] * 0.95 / per_unit))
            packed_on = day + dt.timedelta(days=1 + k)
            if units < 1 or packed_on > self.p.today:
                break
            self.pack(output, packed_on, units, per_unit, net, net_unit)
        self.write_lot(output)

    def pack(self, source: dict, day: dt.date, units: int, per_unit: float, net, net_unit) -> None:
        p, rng = self.p, self.rng
        used = round(units * per_unit, 3)
        product = source["product"]
        serials = rng.random() < SERIALS_SHARE or (self.is_probe and self.sale_lot is None)
        code = self.lot_code(day, self.spec["process"][0])
        payload = {"source": source["code"], "used": f"{used:.3f}", "unit": source["unit"],
                   "product": self.spec["process"][0], "units": units, "net_content": str(net), "net_unit": net_unit,
                   "serials": serials}  # fmt: skip
        event_id, digest = self.event("packing", day, payload)
        lot = self.lot("sale", code, day, units, "piece", event_id, product=product, net=(net, net_unit))
        self.w.add("lot_links", (p.id("lot_links"), self.id, event_id, source["id"], lot["id"], used))
        source["remaining"] = round(source["remaining"] - used, 3)
        inputs, in_name = self.quantity(source, used, source["unit"])
        output, out_name = self.quantity(lot, units, "piece")
        body = {"type": "TransformationEvent", "inputQuantityList": [inputs], "outputQuantityList": [output],
                "bizStep": "packing", "disposition": "active"}  # fmt: skip
        names = [("inputQuantityList", in_name), ("outputQuantityList", out_name)]
        codes = []
        if serials:
            for _ in range(units):
                serial = "".join(SERIAL_ALPHABET[(bits >> s) & 31] for bits in (rng.getrandbits(60),) for s in
                                 range(0, 60, 5))  # fmt: skip
                serial_id = p.id("unit_serials")
                self.w.add("unit_serials", (serial_id, self.id, lot["id"], serial))
                codes.append(serial)
                if rng.random() < SCANNED_SHARE:
                    scanned = dt.datetime.combine(day + dt.timedelta(days=rng.randrange(3, 60)), dt.time(3, 30))
                    if scanned.date() <= self.p.today:
                        self.w.add("unit_scans", (p.id("unit_scans"), self.id, serial_id, scanned, "Zalo · Android",
                                                  f"{rng.getrandbits(63):016x}", None))  # fmt: skip
            uris = [self.lot_uri(lot, s) for s in codes]
            body["outputEPCList"] = [uri for uri, _c in uris]
            names += [("outputEPCList", canonical) for _u, canonical in uris]
        self.epcis(event_id, digest, day, body, self.sgln(), names, True)
        # Sold in one to three deliveries, the last a few weeks on.
        n_sales = rng.randint(1, 3)
        for i in range(n_sales):
            sold = units // (n_sales + 1)
            sold_on = day + dt.timedelta(days=2 + 9 * i)
            if sold < 1 or sold_on > self.p.today:
                break
            self.sale(lot, sold_on, sold)
        self.write_lot(lot)
        if self.is_probe and serials and self.sale_lot is None:
            self.sale_lot = (lot["id"], lot["code"], lot["gtin"], codes)

    def sale(self, lot: dict, day: dt.date, quantity: float) -> None:
        buyer = self.rng.choice(self.buyers)
        invoice = f"HD-{self.p.next_id.get('sales', 1):07d}" if self.rng.random() < 0.5 else None
        payload = {"lot": lot["code"], "quantity": str(number(quantity)), "unit": lot["unit"], "buyer_id": buyer,
                   "invoice_ref": invoice}  # fmt: skip
        event_id, digest = self.event("sale", day, payload)
        self.w.add("sales", (self.p.id("sales"), self.id, event_id, lot["id"], buyer, quantity, day, invoice))
        lot["remaining"] = round(lot["remaining"] - quantity, 3)
        element, canonical = self.quantity(lot, quantity, lot["unit"])
        org_uri = f"{BASE}/o/{self.code}"
        body = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
                "quantityList": [element], "sourceList": [{"type": "owning_party", "source": org_uri}],
                "destinationList": [{"type": "owning_party", "destination": f"{org_uri}/party/{buyer}"}]}  # fmt: skip
        if invoice:
            body["bizTransactionList"] = [{"type": "inv", "bizTransaction": f"{org_uri}/inv/{invoice}"}]
        self.epcis(event_id, digest, day, body, self.sgln(), [("quantityList", canonical)], False)

    # ---- after the history -------------------------------------------------------------------
    def finish(self) -> None:
        for lot in self.stock:
            self.write_lot(lot)
        self.stock = []
        self.dossiers()

    def dossiers(self) -> None:
        """OCOP: some producers' products rated (a certificate with stars), some dossiers on their way."""
        p, rng, today = self.p, self.rng, self.p.today
        if self.is_probe:
            return  # the probe's dossier is made by the services after the load, pre-filled from its records
        code = self.spec["process"][0]
        product = self.products[code]
        if rng.random() < 0.3:
            stars = rng.choice([3, 3, 3, 4, 4, 5])
            valid_from = today - dt.timedelta(days=rng.randrange(30, 1000))
            payload = {"kind": "ocop", "number": f"QĐ {self.id}/QĐ-UBND", "issuer": "UBND thành phố Huế",
                       "valid_from": valid_from.isoformat(), "valid_to": (valid_from + dt.timedelta(days=1095)).isoformat(),
                       "plots": [], "households": [], "products": [code], "stars": stars}  # fmt: skip
            event_id, _h = self.event("certificate", min(valid_from, today), payload)
            cert_id = p.id("certificates")
            self.w.add("certificates", (cert_id, self.id, event_id, "ocop", payload["number"], payload["issuer"],
                                        valid_from, valid_from + dt.timedelta(days=1095), stars,
                                        dt.datetime.combine(valid_from, dt.time(11))))  # fmt: skip
            self.w.add("certificate_products", (cert_id, product["id"]))
        if rng.random() < 0.4:
            status = rng.choices(["draft", "submitted", "returned", "reviewed", "sent", "rated"], [5, 2, 1, 1, 1, 1])[0]
            submitted = today - dt.timedelta(days=rng.randrange(5, 60)) if status != "draft" else None
            dossier_id = p.id("ocop_dossiers")
            self.w.add(
                "ocop_dossiers",
                (dossier_id, self.id, product["id"], self.spec["criteria_set"], "first", status, today.year - 1,
                 rng.randrange(200, 3000) * 1_000_000, rng.randrange(20, 400) * 1_000_000, submitted,
                 rng.choice([3, 4]) if status == "rated" else None, p.made_at),
            )  # fmt: skip
            for criterion in ("A1.3", "A1.4", "A2.1", "A2.2", "B4.1", "B4.2", "C6.1", "C6.2"):
                self.w.add("ocop_answers", (p.id("ocop_answers"), dossier_id, criterion, rng.randint(1, 3)))

    def as_probe(self, probe: Probe) -> Probe:
        probe.org_id, probe.manager_id = self.id, self.manager_id
        probe.product_id = self.products["KQ-TUOI"]["id"]
        probe.sale_lot = self.sale_lot
        probe.harvest_lot_id = self.probe_picks[0]["id"]
        return probe


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def secondary_indexes(conn) -> list[tuple[str, str]]:
    """(name, definition) of every index no constraint stands on: built after the load, in one pass each."""
    return conn.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
           ORDER BY 1"""
    ).fetchall()


def load(app, url: str, n_events: int, seed: int) -> tuple[Probe, dict[str, int], dict[str, float]]:
    import psycopg

    from traceability.clock import local_today
    from traceability.extensions import db
    from traceability.quality import services as quality

    timings = {}
    with app.app_context():
        db.create_all()
        checklist = list(quality.criteria_by_id(quality.checklist()))
        today = local_today()
        db.engine.dispose()
    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        # The rows are consistent by construction (the probe's pages prove it, and the references are not
        # checked row by row): foreign-key triggers off while loading, as lineage.py does (superuser only).
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        indexes = secondary_indexes(conn)
        for name, _definition in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.commit()
        writer = Writer(conn)
        province = Province(writer, n_events, seed, today, checklist)
        started = time.perf_counter()
        province.load(say)
        timings["rows"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            conn.execute(definition)
        conn.commit()
        timings["indexes"] = time.perf_counter() - started
        # lots.from_plot, as the app sets it when a lot is made (and migration 0017 for older lots).
        conn.execute("UPDATE lots SET from_plot = TRUE WHERE plot_id IS NOT NULL")
        while conn.execute(
            "UPDATE lots SET from_plot = TRUE WHERE NOT from_plot AND EXISTS (SELECT 1 FROM lot_links"
            " JOIN lots AS made_from ON made_from.id = lot_links.input_lot_id"
            " WHERE lot_links.output_lot_id = lots.id AND made_from.from_plot)"
        ).rowcount:
            pass
        conn.commit()
        for table in COLUMNS:
            if "id" in COLUMNS[table]:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 "
                    f"FROM {table}), false)"
                )
        conn.execute("RESET session_replication_role")
        conn.commit()
        started = time.perf_counter()
        conn.autocommit = True
        conn.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - started
    return province.probe, writer.counts, timings


def after_load(app, probe: Probe) -> tuple[str, int]:
    """What the real services make on the probe: its API token and its OCOP dossier, pre-filled from its records."""
    from traceability.accounts.models import Organisation, User
    from traceability.accounts.tokens import create_token
    from traceability.extensions import db
    from traceability.ocop import services as ocop

    with app.app_context():
        org = db.session.get(Organisation, probe.org_id)
        manager = db.session.get(User, probe.manager_id)
        _row, token = create_token(manager, org, "province benchmark")
        dossier = ocop.start_dossier(org, manager, product_id=probe.product_id, criteria_set="qd26-2026-set01")
        for criterion_id, option in (("A1.3", 1), ("A1.4", 2), ("A2.1", 2), ("B4.1", 3), ("C6.1", 3)):
            ocop.save_answer(dossier, criterion_id, option)
        db.session.commit()
        dossier_id = dossier.id
        db.engine.dispose()
    return token, dossier_id


def check_epcis(app, probe: Probe) -> list[str]:
    """The probe's stored EPCIS documents against what ``documents.py`` builds from the same rows."""
    from traceability.accounts.models import Organisation
    from traceability.epcis import documents
    from traceability.epcis.models import EpcisEvent
    from traceability.events.models import Event
    from traceability.extensions import db

    problems = []
    with app.app_context():
        org = db.session.get(Organisation, probe.org_id)
        for kind, event_id in sorted(probe.events.items()):
            if kind not in documents.BUILDERS:
                continue
            event = db.session.get(Event, event_id)
            built = documents.event_documents(org, [event])[0]
            stored = db.session.scalar(sa.select(EpcisEvent.document).where(EpcisEvent.event_id == event_id))
            stored = {k: v for k, v in stored.items() if k != "eventID"}
            if built != stored:
                keys = sorted(k for k in built.keys() | stored.keys() if built.get(k) != stored.get(k))
                problems.append(
                    f"EPCIS {kind} event {event_id}: differs from documents.py in {keys}: "
                    + "; ".join(f"{k}: built {built.get(k)!r:.120} stored {stored.get(k)!r:.120}" for k in keys)
                )
        db.session.remove()
        db.engine.dispose()
    return problems


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    path: str
    times_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    slowest: list[tuple[float, str, object]] = field(default_factory=list)  # (ms, SQL, parameters) of the last run
    size: int = 0  # bytes of the last answer

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:  # nearest rank
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def sql(self) -> str:
        low, high = min(self.statements), max(self.statements)
        return str(low) if low == high else f"{low}–{high}"


CACHES = ("public_page_cache", "unit_refs", "unit_cards", "unit_counters")


def logged_in(app, login: str):
    """A test client with a real login: the form, its CSRF token and the password, as a browser sends them."""
    client = app.test_client()
    page = client.get("/login", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    answer = client.post(
        "/login",
        data={"csrf_token": token.group(1) if token else "", "login": login, "password": PASSWORD},
        base_url=BASE,
        headers={"Referer": f"{BASE}/login"},  # over HTTPS, Flask-WTF checks that the form came from this site
    )
    if answer.status_code != 302:
        say(f"  PROBLEM: login as {login} answered {answer.status_code}")
    return client


def cases(app, probe: Probe, token: str, dossier_id: int) -> list[tuple]:
    """(name, client, path, headers, build fresh): the pages measured, each opened by who opens it."""
    sale_id, code, gtin, serials = probe.sale_lot
    public, manager = app.test_client(), logged_in(app, probe.manager)
    member, official = logged_in(app, probe.member), logged_in(app, probe.official)
    lot_path = f"/01/{gtin}/10/{code}"
    epc_class = quote(f"https://id.gs1.org/01/{gtin}/10/{code}", safe="")
    bearer = {"Authorization": f"Bearer {token}"}
    units = iter(serials * 100)
    return [
        ("anchor: GET /healthz", public, "/healthz", {}, False),
        ("public lot page, built", public, lot_path, {}, True),
        ("public lot page, kept", public, lot_path, {}, False),
        ("unit page (serial), built", public, lambda: f"{lot_path}/21/{next(units)}", {}, True),
        ("trace of a sale lot (back)", manager, f"/lots/{sale_id}/trace", {}, False),
        ("trace of a harvest lot (forward)", manager, f"/lots/{probe.harvest_lot_id}/trace", {}, False),
        ("member's home", member, "/", {}, False),
        ("manager's lot list, search", manager, "/lots?q=SAY", {}, False),
        ("OCOP dossier, pre-filled", manager, f"/ocop/dossiers/{dossier_id}", {}, False),
        ("officials' OCOP overview", official, "/ocop/overview", {}, False),
        ("export: a lot's EPCIS", manager, f"/lots/{sale_id}/export/epcis.jsonld", {}, False),
        ("EPCIS query by lot", public, f"/epcis/events?MATCH_anyEPCClass={epc_class}", bearer, False),
    ]


def measure(app, probe: Probe, token: str, dossier_id: int, repeat: int) -> list[Result]:
    from traceability.extensions import db

    executed: list[list] = []

    def before(_conn, _cursor, statement, parameters, _context, _many) -> None:
        executed.append([time.perf_counter(), statement, parameters])

    def after(_conn, _cursor, _statement, _parameters, _context, _many) -> None:
        executed[-1][0] = time.perf_counter() - executed[-1][0]

    results = []
    measured = cases(app, probe, token, dossier_id)  # outside an app context: each request has its own
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before)
        sa.event.listen(db.engine, "after_cursor_execute", after)
    try:
        for name, client, path, headers, fresh in measured:
            result = Result(name, path if isinstance(path, str) else path())
            for i in range(WARMUP + repeat):
                if fresh:  # what a page costs to build: the process's kept pages and codes forgotten
                    for key in CACHES:
                        app.extensions.pop(key, None)
                url = path if isinstance(path, str) else path()
                gc.collect()
                executed.clear()
                started = time.perf_counter()
                answer = client.get(url, headers=headers, base_url=BASE)
                elapsed = time.perf_counter() - started
                body = answer.get_data()
                if i >= WARMUP:
                    result.times_ms.append(elapsed * 1000)
                    result.statements.append(len(executed))
                    result.statuses.add(answer.status_code)
                    result.size = len(body)
                    result.slowest = sorted(((t * 1000, s, p) for t, s, p in executed), key=lambda x: -x[0])[:3]
            results.append(result)
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", before)
            sa.event.remove(db.engine, "after_cursor_execute", after)
            db.engine.dispose()
    return results


def explain(app, results: list[Result]) -> None:
    """The plan of each page's slowest statement, with the parameters it ran with."""
    from traceability.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            for r in results[1:]:
                if not r.slowest:
                    continue
                ms, statement, parameters = r.slowest[0]
                say(f"\n-- {r.name}: slowest statement ({ms:.1f} ms):\n   {' '.join(statement.split())[:600]}")
                try:
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                except sa.exc.DBAPIError as error:
                    say(f"   (no plan: {error.orig})")
                    conn.rollback()
                    continue
                for (line,) in plan:
                    say("   " + line)
                conn.rollback()
        db.engine.dispose()


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def size_label(n: int) -> str:
    return f"{n // 1_000_000:,}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n / 1000:,.0f}k"


def print_run(n_events: int, results: list[Result]) -> list[str]:
    anchor = results[0].median
    say(f"\n{size_label(n_events)} events: medians and p95 in ms; × anchor = median ÷ the anchor's median")
    header = f"{'measurement':<34} {'status':>6} {'SQL':>5} {'median':>8} {'p95':>8} {'× anchor':>9} {'KB':>7}"
    say(header)
    say("-" * len(header))
    problems = []
    for r in results:
        status = ",".join(map(str, sorted(r.statuses)))
        say(
            f"{r.name:<34} {status:>6} {r.sql:>5} {r.median:>8.2f} {r.p95:>8.2f} {r.median / anchor:>9.1f} "
            f"{r.size / 1024:>7.1f}"
        )
        if r.statuses != {200}:
            problems.append(f"{size_label(n_events)} {r.name} ({r.path}) answered {status}, not 200")
    say("  the slowest statement of each page (last run):")
    for r in results[1:]:
        if r.slowest:
            ms, statement, _p = r.slowest[0]
            say(f"    {r.name:<34} {ms:>7.2f} ms  {' '.join(statement.split())[:110]}")
    return problems


def print_comparison(runs: list[tuple[int, list[Result]]]) -> list[str]:
    sizes = [n for n, _r in runs]
    small = runs[0][1]
    labels = [size_label(n) for n in sizes]
    say(
        f"\nCompared with {labels[0]} events (ratio = median ÷ the {labels[0]} median; target: within "
        f"{TARGET_RATIO:.0f}× of the {labels[0]} figure)"
    )
    header = (
        f"{'measurement':<34} "
        + " ".join(f"{'SQL ' + lb:>9}" for lb in labels)
        + " "
        + " ".join(f"{'med ' + lb:>9}" for lb in labels)
        + " "
        + " ".join(f"{'× ' + lb:>8}" for lb in labels[1:])
        + "  verdict"
    )
    say(header)
    say("-" * len(header))
    misses = []
    for i, base in enumerate(small):
        rows = [results[i] for _n, results in runs]
        ratios = [r.median / base.median for r in rows[1:]]
        worst = max(ratios)
        verdict = "ok" if worst <= TARGET_RATIO else f"MISSES: {worst:.1f}× ≥ {TARGET_RATIO:.0f}×"
        grown = [r.sql for r in rows]
        if len(set(grown)) > 1:
            verdict += "  (SQL count grows)"
        if i == 0:
            verdict = "(anchor)"
        say(
            f"{base.name:<34} "
            + " ".join(f"{s:>9}" for s in grown)
            + " "
            + " ".join(f"{r.median:>9.2f}" for r in rows)
            + " "
            + " ".join(f"{x:>8.2f}" for x in ratios)
            + f"  {verdict}"
        )
        if i and worst > TARGET_RATIO:
            misses.append(f"{base.name}: {worst:.1f}× the {labels[0]} median")
    # Extrapolation from the two largest sizes: the growth per tenfold of events, assumed to repeat.
    (n1, r1), (n2, r2) = runs[-2], runs[-1]
    target = 50_000_000
    decades_measured, decades_ahead = math.log10(n2 / n1), math.log10(target / n2)
    say(
        f"\nExtrapolation to 50M events: the growth of each median from {size_label(n1)} to {size_label(n2)}, taken "
        f"per tenfold of events and assumed to repeat for the {decades_ahead:.2f} decade(s) to 50M "
        f"(median_50M = median_{size_label(n2)} × growth^{decades_ahead:.2f})"
    )
    for a, b in zip(r1[1:], r2[1:], strict=True):
        per_decade = (b.median / a.median) ** (1 / decades_measured)
        predicted = b.median * per_decade**decades_ahead
        say(
            f"  {a.name:<34} ×{per_decade:5.2f} per decade → {predicted:8.1f} ms at 50M "
            f"({predicted / small[[x.name for x in small].index(a.name)].median:5.1f}× the {labels[0]} figure)"
        )
    return misses


# ---------------------------------------------------------------------------------------------


def run_size(n_events: int, args, workdir: Path, own_data: bool) -> list[Result] | None:
    url = sa.engine.make_url(args.database_url).render_as_string(hide_password=False)
    if not prepare_database(url, args.wipe, own_data):
        return None
    app = make_app(url, workdir / f"app-{n_events}")
    from traceability.extensions import db

    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            server = describe_server(conn)
        db.engine.dispose()
    say(f"\n== {server}, {n_events:,} events ({sa.engine.make_url(url).render_as_string()}): loading ==")
    probe, counts, timings = load(app, url, n_events, args.seed)
    rows = sum(counts.values())
    say(
        f"  loaded {rows:,} rows in {timings['rows']:.1f} s ({rows / timings['rows']:,.0f} rows/s), secondary indexes "
        f"built in {timings['indexes']:.1f} s, ANALYZE {timings['analyze']:.1f} s: "
        f"{sum(timings.values()):.1f} s in all ({rows / sum(timings.values()):,.0f} rows/s)"
    )
    say("  " + ", ".join(f"{t} {n:,}" for t, n in sorted(counts.items(), key=lambda x: -x[1]) if n))
    token, dossier_id = after_load(app, probe)
    problems = check_epcis(app, probe)
    for problem in problems:
        say("  PROBLEM: " + problem)
    say(
        f"  probe: organisation {probe.org_id} (Tây Hoàng), sale lot {probe.sale_lot[0]} {probe.sale_lot[1]} with "
        f"{len(probe.sale_lot[3])} serials, harvest lot {probe.harvest_lot_id}, dossier {dossier_id}"
        + ("; its EPCIS documents are as documents.py makes them" if not problems else "")
    )
    results = measure(app, probe, token, dossier_id, args.repeat)
    problems = print_run(n_events, results)
    for problem in problems:
        say("  PROBLEM: " + problem)
    if args.explain and n_events == args.largest:
        explain(app, results)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events rows in the province (default 10000)")
    parser.add_argument("--compare", help="sizes to run one after the other, e.g. 10000,1000000[,10000000]")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="default %(default)s (its schema is DROPPED)")
    parser.add_argument("--wipe", action="store_true", help="drop the database's data if it holds organisations")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests of each page (default 15)")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each page's slowest query (largest size)"
    )
    parser.add_argument("--seed", type=int, default=20261204, help="seed of the province (not the probe's)")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.compare.split(",")] if args.compare else [args.events]
    args.largest = max(sizes)  # --explain prints the plans of the largest size only
    if min(sizes) < 2 * PROBE_EVENTS or args.repeat < 1:
        parser.error(f"at least {2 * PROBE_EVENTS:,} events (the probe alone has {PROBE_EVENTS:,}); --repeat ≥ 1")
    runs = []
    with tempfile.TemporaryDirectory(prefix="province-bench-") as tmp:
        for i, n in enumerate(sorted(sizes)):
            results = run_size(n, args, Path(tmp), own_data=i > 0)
            if results is None:
                return 2
            runs.append((n, results))
    if len(runs) > 1:
        misses = print_comparison(runs)
        say("")
        if misses:
            say(f"{len(misses)} page(s) MISS the target (within {TARGET_RATIO:.0f}× of the smallest size):")
            for miss in misses:
                say("  - " + miss)
        else:
            say(f"Every page stays within {TARGET_RATIO:.0f}× of the smallest size.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
