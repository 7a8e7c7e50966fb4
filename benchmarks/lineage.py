"""Benchmark of the lot-graph reads in ``traceability.lots.lineage`` at 10,000 and 1,000,000 lots.

    python benchmarks/lineage.py --lots 10000 [--database-url URL] [--repeat 20] [--explain]
    python benchmarks/lineage.py --compare [--database-url URL]

Builds a fresh database (a temporary SQLite file unless ``--database-url`` names a PostgreSQL
database, whose ``public`` schema is dropped and recreated), bulk-loads a synthetic lot graph with
``sa.insert(table)`` and lists of dicts (never the services: this measures reads only, so event
hashes are dummies), then times ``reachable()``, ``trace_forward()`` and ``trace_back()`` from two
designated lots whose lineage has the same size whatever the size of the database.

The shape of the graph: many independent families (3–6 harvest lots → 1–2 processing runs of 2–3
harvest lots each → 2–5 sale lots packed from each processed lot → 1–3 sales of each sale lot),
plus one "probe" family in the middle of the id range: the probe harvest lot feeds 30 processing
runs (each with 1–2 other harvest lots), each output is processed into 3 lots, each of those is
packed into 10 sale lots, and a blend of 8 of them (plus one first-stage lot directly) is packed
into 3 more sale lots; the first of those is the lot traced back.

The project's target: every measurement under 50 ms, and 1M/10k ratio of the medians under 2.
This is a script, not a test: it reports misses, it never fails because of them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402

TARGET_MS = 50.0
TARGET_RATIO = 2.0
CHUNK = 10_000  # rows per INSERT … executemany
WARMUP = 2
COMPARE_SIZES = (10_000, 1_000_000)

# The probe family (see the module docstring).
PROBE_RUNS = 30  # first-stage processing runs fed by the probe harvest lot
PROBE_SECOND_STAGE = 3  # lots processed from each first-stage lot
PROBE_PACKS = 10  # sale lots packed from each second-stage lot
PROBE_BLEND_INPUTS = 8  # second-stage lots blended into the lot whose sale lot is traced back
PROBE_BLEND_PACKS = 3
PROBE_FAMILY_MAX = 1 + PROBE_RUNS * 3 + PROBE_RUNS * PROBE_SECOND_STAGE * (1 + PROBE_PACKS) + 1 + PROBE_BLEND_PACKS

# (crop, processed product, sale product, lot code prefix, processed unit, net content of a unit, net unit)
CROPS = [
    ("Khổ qua", "TRA-KQ", "Trà khổ qua", "KQ", "kg", 0.1, "g"),
    ("Nghệ", "TBN", "Tinh bột nghệ", "NG", "kg", 0.2, "g"),
    ("Sả", "TD-SA", "Tinh dầu sả", "SA", "l", 0.01, "ml"),
    ("Dừa", "DAU-DUA", "Dầu dừa Đoan Ngọ", "DD", "l", 0.25, "ml"),
]
START_DATE = dt.date(2024, 1, 1)


def say(*args) -> None:
    print(*args, flush=True)


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------

def prepare_database(url: str | None, workdir: Path) -> str:
    """An empty database for one run; returns its SQLAlchemy URL."""
    if not url:
        return f"sqlite:///{workdir / 'bench.db'}"
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return url
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"unsupported database: {parsed.get_backend_name()}")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            say(f"creating database {parsed.database}")
            quoted = conn.dialect.identifier_preparer.quote(parsed.database)
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    admin.dispose()
    engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return parsed.render_as_string(hide_password=False)


def make_app(url: str, instance: Path):
    from traceability import create_app

    # A throwaway instance folder: the app compiles its catalogues there, and no developer's
    # instance/config.py leaks into the figures.
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True},
                      instance_path=str(instance))


# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------

@dataclass
class Probe:
    lot_id: int = 0  # the harvest lot traced forward
    sale_lot_id: int = 0  # the sale lot traced back
    descendants: set[int] = field(default_factory=set)
    ancestors: set[int] = field(default_factory=set)


class Builder:
    """Rows for every table, with ids assigned here so the graph is known without reading back."""

    def __init__(self, n_lots: int, seed: int = 20260101):
        from traceability.accounts.models import Membership, Organisation, User
        from traceability.events.models import Event, EventKind
        from traceability.farm.models import Household, InputApplication, Planting, Plot, Village
        from traceability.lots.models import Lot, LotKind, LotLink, LotStatus, Party, PartyKind, Sale
        from traceability.products.models import Product, ProductKind, Unit

        self.m = dict(Organisation=Organisation, User=User, Membership=Membership, Event=Event, Village=Village,
                      Household=Household, Plot=Plot, Planting=Planting, InputApplication=InputApplication,
                      Product=Product, Party=Party, Lot=Lot, LotLink=LotLink, Sale=Sale)
        self.EventKind, self.LotKind, self.LotStatus = EventKind, LotKind, LotStatus
        self.PartyKind, self.ProductKind, self.Unit = PartyKind, ProductKind, Unit
        self.n_lots = n_lots
        self.rng = random.Random(seed)
        self.next_id = {name: 1 for name in ("events", "lots", "lot_links", "sales", "input_applications")}
        self.buf: dict[str, list[dict]] = {name: [] for name in ("events", "lots", "lot_links", "sales")}
        self.org_id = self.user_id = 1
        self.probe = Probe()

    # ---- ids and rows -------------------------------------------------------------------
    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def event(self, kind, on: dt.date, payload: dict, plot_id=None, planting_id=None) -> int:
        event_id = self._id("events")
        self.buf["events"].append({
            "id": event_id, "organisation_id": self.org_id, "kind": kind, "occurred_on": on,
            "recorded_at": dt.datetime.combine(on, dt.time(10, 0)) + dt.timedelta(minutes=event_id % 600),
            "recorded_by_id": self.user_id, "for_household_id": None, "late": False, "supersedes_id": None,
            "reason": None, "plot_id": plot_id, "planting_id": planting_id, "payload": payload,
            "prev_hash": None, "hash": f"bench{event_id:059d}",  # dummy: no chain is computed here
        })
        return event_id

    def lot(self, kind, on: dt.date, prefix: str, quantity: float, unit: str, event_id: int, *, remaining=None,
            product_id=None, planting=None, crop=None, net_content=None, net_unit=None, expires_days=None) -> int:
        lot_id = self._id("lots")
        code = f"{on:%y%m%d}-{prefix}-{lot_id}"
        assert len(code) <= 20, code
        self.buf["lots"].append({
            "id": lot_id, "organisation_id": self.org_id, "code": code, "kind": kind, "product_id": product_id,
            "quantity": quantity, "unit": unit,
            "remaining_quantity": max(0.0, round(quantity if remaining is None else remaining, 3)),
            "status": self.LotStatus.ACTIVE, "produced_on": on,
            "expires_on": on + dt.timedelta(days=expires_days) if expires_days else None,
            "event_id": event_id, "created_at": dt.datetime.combine(on, dt.time(11, 0)),
            "planting_id": planting[0] if planting else None, "plot_id": planting[1] if planting else None,
            "harvester": "Nguyễn Văn A" if planting else None, "grade": "I" if planting else None,
            "yield_flagged": False, "yield_note": None, "vietgap_claim": bool(planting), "crop": crop,
            "net_content": net_content, "net_unit": net_unit, "supplier_id": None, "supplier_lot_code": None,
            "recall_id": None,
        })
        return lot_id

    def link(self, event_id: int, input_id: int, output_id: int, quantity: float) -> None:
        assert quantity > 0
        self.buf["lot_links"].append({"id": self._id("lot_links"), "organisation_id": self.org_id,
                                      "event_id": event_id, "input_lot_id": input_id, "output_lot_id": output_id,
                                      "quantity": round(quantity, 3)})

    def sell(self, lot_id: int, code_units: int, on: dt.date) -> int:
        """1–3 sales of a sale lot; returns the units left."""
        n = self.rng.randint(1, 3)
        left = code_units
        for i in range(n):
            qty = max(1, left // (n - i + 1))
            if qty > left:
                break
            sold_on = on + dt.timedelta(days=3 + 5 * i)
            event_id = self.event(self.EventKind.SALE, sold_on, {"lot": lot_id, "units": qty})
            self.buf["sales"].append({"id": self._id("sales"), "organisation_id": self.org_id,
                                      "event_id": event_id, "lot_id": lot_id,
                                      "buyer_id": self.rng.randint(1, self.n_parties), "quantity": qty,
                                      "sold_on": sold_on, "invoice_ref": f"HD{event_id}"})
            left -= qty
        return left

    # ---- reference data -----------------------------------------------------------------
    def reference_rows(self) -> list[tuple[str, list[dict]]]:
        now = dt.datetime(2024, 1, 1, 8, 0)
        rng = self.rng
        n_households, n_plots = 50, 200
        n_plantings = max(50, self.n_lots // 25)
        self.n_parties = 40
        plots = [{"id": i, "organisation_id": 1, "code": f"TH-{i:03d}", "name": f"Thửa {i}", "village_id": 1,
                  "household_id": 1 + (i - 1) % n_households, "area_m2": rng.randint(300, 3000),
                  "crop": CROPS[(i - 1) % len(CROPS)][0], "latitude": None, "longitude": None,
                  "created_at": now, "archived_at": None} for i in range(1, n_plots + 1)]
        self.plantings: list[list[tuple[int, int]]] = [[] for _ in CROPS]  # per crop: (planting id, plot id)
        plantings, applications = [], []
        for i in range(1, n_plantings + 1):
            plot = plots[rng.randrange(n_plots)]
            crop_index = (plot["id"] - 1) % len(CROPS)
            sown = START_DATE + dt.timedelta(days=rng.randrange(600))
            plantings.append({"id": i, "organisation_id": 1, "plot_id": plot["id"], "household_id": plot["household_id"],
                              "crop": plot["crop"], "sown_on": sown, "area_m2": plot["area_m2"],
                              "created_at": now, "non_conformant": False})
            self.plantings[crop_index].append((i, plot["id"]))
            for j in range(2):  # a fertiliser and a spray per season
                applied = sown + dt.timedelta(days=15 + 20 * j)
                kind = ("fertiliser", "plant_protection")[j]
                event_id = self.event(self.EventKind.INPUT_APPLICATION, applied, {"planting": i, "kind": kind},
                                      plot_id=plot["id"], planting_id=i)
                applications.append({"id": self._id("input_applications"), "organisation_id": 1, "event_id": event_id,
                                     "planting_id": i, "kind": kind,
                                     "trade_name": ("Phân hữu cơ vi sinh", "Chế phẩm Trichoderma")[j],
                                     "dose": 2.5, "dose_unit": "kg", "applied_on": applied,
                                     "phi_days": (None, 7)[j], "on_permitted_list": True, "superseded": False})
        products = []
        for i, (crop, code, name, _p, unit, net, net_unit) in enumerate(CROPS):
            products.append({"id": 2 * i + 1, "organisation_id": 1, "code": code, "name_vi": name,
                             "kind": self.ProductKind.PROCESSED, "unit": unit, "shelf_life_days": 365,
                             "created_at": now, "archived_at": None})
            products.append({"id": 2 * i + 2, "organisation_id": 1, "code": f"{code}-{int(net * 1000)}{net_unit.upper()}",
                             "name_vi": f"{name} {int(net * 1000)} {net_unit}", "kind": self.ProductKind.PROCESSED,
                             "unit": self.Unit.PIECE, "shelf_life_days": 365, "created_at": now, "archived_at": None})
        parties = [{"id": i, "organisation_id": 1, "name": f"Đại lý {i}", "kind": self.PartyKind.SHOP,
                    "created_at": now, "archived_at": None} for i in range(1, self.n_parties + 1)]
        m = self.m
        events, self.buf["events"] = self.buf["events"], []
        return [
            ("organisations", [{"id": 1, "code": "bench", "name": "HTX Benchmark", "kind": "cooperative",
                                "commune": "Quảng Thái", "province": "Huế", "created_at": now}]),
            ("users", [{"id": 1, "name": "Bench", "phone": "0900009999", "password_hash": "x", "active": True,
                        "created_at": now}]),
            ("memberships", [{"id": 1, "user_id": 1, "organisation_id": 1, "role": "manager", "created_at": now}]),
            ("villages", [{"id": 1, "organisation_id": 1, "name": "Thôn Tây Hoàng", "commune": "Quảng Thái",
                           "province": "Huế", "created_at": now}]),
            ("households", [{"id": i, "organisation_id": 1, "name": f"Hộ {i}", "village_id": 1, "created_at": now}
                            for i in range(1, n_households + 1)]),
            ("plots", plots), ("plantings", plantings), ("products", products), ("parties", parties),
            ("events", events), ("input_applications", applications),
        ] and [(name, rows) for name, rows in [
            ("organisations", None), ("users", None), ("memberships", None), ("villages", None),
            ("households", None), ("plots", plots), ("plantings", plantings), ("products", products),
            ("parties", parties), ("events", events), ("input_applications", applications)]] if False else [
            ("organisations", [{"id": 1, "code": "bench", "name": "HTX Benchmark", "kind": "cooperative",
                                "commune": "Quảng Thái", "province": "Huế", "created_at": now}]),
            ("users", [{"id": 1, "name": "Bench", "phone": "0900009999", "password_hash": "x", "active": True,
                        "created_at": now}]),
            ("memberships", [{"id": 1, "user_id": 1, "organisation_id": 1, "role": "manager", "created_at": now}]),
            ("villages", [{"id": 1, "organisation_id": 1, "name": "Thôn Tây Hoàng", "commune": "Quảng Thái",
                           "province": "Huế", "created_at": now}]),
            ("households", [{"id": i, "organisation_id": 1, "name": f"Hộ {i}", "village_id": 1, "created_at": now}
                            for i in range(1, n_households + 1)]),
            ("plots", plots), ("plantings", plantings), ("products", products), ("parties", parties),
            ("events", events), ("input_applications", applications),
        ]
