"""Benchmark of the lot-graph reads in ``traceability.lots.lineage`` at 10,000 and 1,000,000 lots.

    python benchmarks/lineage.py --lots 10000 [--database-url URL] [--repeat 20] [--explain]
    python benchmarks/lineage.py --compare [--database-url URL]

Builds a fresh database (a temporary SQLite file unless ``--database-url`` names one; a PostgreSQL
database is created if missing and its ``public`` schema dropped and recreated), bulk-loads a
synthetic lot graph with ``sa.insert(table)`` and lists of dicts (never the services: this measures
reads only, so event hashes are dummies), then times ``reachable()``, ``trace_forward()`` and
``trace_back()`` from two designated lots whose lineage is the same whatever the database's size.

The graph: many independent families (3–6 harvest lots → 1–2 processing runs of 2–3 of them →
2–5 sale lots packed from each processed lot → 1–3 sales of each sale lot), plus one "probe" family
in the middle of the id range: the probe harvest lot feeds 30 processing runs (each with 1–2 other
harvest lots), each output is processed into 3 lots, each of those is packed into 10 sale lots, and
a blend of 8 of them (plus one first-stage lot directly) is packed into 3 more sale lots, the first
of which is the sale lot traced back.

The project's target: each measurement under 50 ms, each trace at most 3 × the recursive query it is built on
(measured in the same run), and a 1M/10k ratio of the medians under 2.
This is a script, not a test: it says when a measurement misses the target, it never fails.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import math
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run from anywhere, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import empty_postgresql, remove_sqlite_files

TARGET_MS = 50.0
TARGET_RATIO = 2.0
TARGET_QUERY_RATIO = 3.0  # a trace against the raw recursive query it is built on
CHUNK = 10_000  # rows per INSERT executemany
WARMUP = 2
COMPARE_SIZES = (10_000, 1_000_000)
MIN_LOTS = 5_000

# The probe family (see the module docstring).
PROBE_RUNS = 30  # first-stage processing runs fed by the probe harvest lot
PROBE_SECOND_STAGE = 3  # lots processed from each first-stage lot
PROBE_PACKS = 10  # sale lots packed from each second-stage lot
PROBE_BLEND_INPUTS = 8  # second-stage lots blended into the lot whose sale lot is traced back
PROBE_BLEND_PACKS = 3
PROBE_FAMILY_MAX = (
    1 + PROBE_RUNS * (1 + 2) + PROBE_RUNS * PROBE_SECOND_STAGE * (1 + PROBE_PACKS) + 1 + PROBE_BLEND_PACKS
)
FAMILY_MAX = 6 + 2 * (1 + 5)  # the largest ordinary family

# (crop, processed product code, its name, lot code prefix, processed unit, net content per unit, net unit)
CROPS = [
    ("Khổ qua", "TRA-KQ", "Trà khổ qua", "KQ", "kg", 0.1, "g"),
    ("Nghệ", "TBN", "Tinh bột nghệ", "NG", "kg", 0.2, "g"),
    ("Sả", "TD-SA", "Tinh dầu sả", "SA", "l", 0.01, "ml"),
    ("Dừa", "DAU-DUA", "Dầu dừa", "DD", "l", 0.25, "ml"),
]
START_DATE = dt.date(2024, 1, 1)
LOT_TABLES = ("events", "lots", "lot_links", "sales")  # insertion order (foreign keys)


def say(*args) -> None:
    print(*args, flush=True)


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


def prepare_database(url: str | None, workdir: Path, n_lots: int) -> str:
    """An empty database for one run; returns its SQLAlchemy URL."""
    if not url:
        return f"sqlite:///{workdir / f'lineage-{n_lots}.db'}"
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            remove_sqlite_files(parsed.database)
        return url
    if backend != "postgresql":
        raise SystemExit(f"unsupported database: {backend} (use SQLite or PostgreSQL)")
    return empty_postgresql(parsed, say)


def make_app(url: str, instance: Path):
    from traceability import create_app

    # A throwaway instance folder: the app compiles its catalogues there, and no developer's
    # instance/config.py can change the figures.
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True}, instance_path=str(instance)
    )


def describe_server(conn) -> str:
    if conn.dialect.name == "postgresql":
        return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
    return "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar()


# ---------------------------------------------------------------------------------------------
# The synthetic lot graph
# ---------------------------------------------------------------------------------------------


@dataclass
class Probe:
    lot_id: int = 0  # the harvest lot traced forward
    sale_lot_id: int = 0  # the sale lot traced back
    descendants: int = 0
    ancestors: int = 0
    forward_depth: int = 0
    back_depth: int = 0


@dataclass
class Family:
    """Links inside one family, to know its lineage without asking the database."""

    children: dict[int, list[int]] = field(default_factory=dict)
    parents: dict[int, list[int]] = field(default_factory=dict)

    def add(self, parent: int, child: int) -> None:
        self.children.setdefault(parent, []).append(child)
        self.parents.setdefault(child, []).append(parent)

    @staticmethod
    def closure(edges: dict[int, list[int]], start: int) -> dict[int, int]:
        """Every lot reachable from ``start`` with its shortest distance, as ``reachable()`` answers."""
        depth, frontier = {start: 0}, [start]
        while frontier:
            following = []
            for lot in frontier:
                for nxt in edges.get(lot, ()):
                    if nxt not in depth:
                        depth[nxt] = depth[lot] + 1
                        following.append(nxt)
            frontier = following
        return depth


class Builder:
    """Rows for every table, with ids chosen here so the graph is known without reading it back."""

    def __init__(self, n_lots: int, seed: int):
        from traceability.events.models import EventKind
        from traceability.lots.models import LotKind, LotStatus

        self.EventKind, self.LotKind, self.LotStatus = EventKind, LotKind, LotStatus
        self.n_lots = n_lots
        self.rng = random.Random(seed)
        self.seed = seed
        self.in_probe = False
        self.next_id = {name: 1 for name in (*LOT_TABLES, "input_applications")}
        self.buf: dict[str, list[dict]] = {name: [] for name in LOT_TABLES}
        self.n_parties = 40
        self.probe = Probe()

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    @property
    def lots_made(self) -> int:
        return self.next_id["lots"] - 1

    # ---- one row each -----------------------------------------------------------------------
    def event(self, kind, on: dt.date, payload: dict, plot_id=None, planting_id=None) -> int:
        event_id = self._id("events")
        self.buf["events"].append(
            {
                "id": event_id,
                "organisation_id": 1,
                "kind": kind,
                "occurred_on": on,
                "recorded_at": dt.datetime.combine(on, dt.time(10, 0)) + dt.timedelta(minutes=event_id % 480),
                "recorded_by_id": 1,
                "for_household_id": None,
                "late": False,
                "supersedes_id": None,
                "reason": None,
                "plot_id": plot_id,
                "planting_id": planting_id,
                "payload": payload,
                "prev_hash": None,
                "hash": f"bench-{event_id}",  # dummy: no chain is computed for a read benchmark
            }
        )
        return event_id

    def lot(
        self,
        kind,
        on: dt.date,
        prefix: str,
        quantity: float,
        unit: str,
        event_id: int,
        *,
        product_id=None,
        planting=None,
        crop=None,
        net_content=None,
        net_unit=None,
    ) -> dict:
        lot_id = self._id("lots")
        code = f"{on:%y%m%d}-{prefix}-{lot_id}"
        assert len(code) <= 20, code
        row = {
            "id": lot_id,
            "organisation_id": 1,
            "code": code,
            "kind": kind,
            "product_id": product_id,
            "quantity": round(quantity, 3),
            "unit": unit,
            "remaining_quantity": round(quantity, 3),
            "status": self.LotStatus.ACTIVE,
            "produced_on": on,
            "expires_on": None if planting else on + dt.timedelta(days=365),
            "event_id": event_id,
            "created_at": dt.datetime.combine(on, dt.time(11, 0)),
            "planting_id": planting[0] if planting else None,
            "plot_id": planting[1] if planting else None,
            "harvester": "Nguyễn Văn An" if planting else None,
            "grade": "Loại 1" if planting else None,
            "yield_flagged": False,
            "yield_season_kg": None,
            "yield_area_m2": None,
            "yield_max_kg": None,
            "vietgap_claim": bool(planting),
            "crop": crop,
            "net_content": net_content,
            "net_unit": net_unit,
            "supplier_id": None,
            "supplier_lot_code": None,
            "recall_id": None,
        }
        self.buf["lots"].append(row)
        return row

    def take(self, row: dict, quantity: float) -> float:
        quantity = round(min(quantity, row["remaining_quantity"]), 3)
        assert quantity > 0, row
        row["remaining_quantity"] = round(row["remaining_quantity"] - quantity, 3)
        if row["remaining_quantity"] <= 0:
            row["remaining_quantity"] = 0
            row["status"] = self.LotStatus.CONSUMED
        return quantity

    def link(self, event_id: int, source: dict, output: dict, quantity: float, family: Family | None) -> None:
        used = self.take(source, quantity)
        self.buf["lot_links"].append(
            {
                "id": self._id("lot_links"),
                "organisation_id": 1,
                "event_id": event_id,
                "input_lot_id": source["id"],
                "output_lot_id": output["id"],
                "quantity": used,
            }
        )
        if family is not None:
            family.add(source["id"], output["id"])

    def harvest(self, crop_index: int, on: dt.date, quantity: float) -> dict:
        crop, *_rest = CROPS[crop_index]
        prefix = CROPS[crop_index][3]
        planting = self.probe_plantings.pop() if self.in_probe else self.planting_for(crop_index, on)
        event_id = self.event(
            self.EventKind.HARVEST,
            on,
            {"crop": crop, "quantity": quantity, "unit": "kg"},
            plot_id=planting[1],
            planting_id=planting[0],
        )
        return self.lot(self.LotKind.HARVEST, on, prefix, quantity, "kg", event_id, planting=planting, crop=crop)

    def planting_for(self, crop_index: int, on: dt.date) -> tuple[int, int]:
        """A season of the crop sown 45–120 days before the harvest (so its sprays are in its history)."""
        sown, seasons = self.sown[crop_index], self.plantings[crop_index]
        day = on.toordinal()
        low, high = bisect.bisect_left(sown, day - 120), bisect.bisect_right(sown, day - 45)
        if low >= high:  # none in the window: the latest sown before it, else the first
            low, high = (high - 1, high) if high else (0, 1)
        return seasons[self.rng.randrange(low, high)]

    def process(
        self, crop_index: int, on: dt.date, inputs: list[tuple[dict, float]], ratio: float, family: Family | None = None
    ) -> dict:
        _crop, _code, _name, prefix, unit, _net, _net_unit = CROPS[crop_index]
        event_id = self.event(self.EventKind.PROCESSING, on, {"inputs": [row["code"] for row, _q in inputs]})
        output = self.lot(
            self.LotKind.PROCESSED,
            on,
            prefix + "P",
            sum(q for _r, q in inputs) * ratio,
            unit,
            event_id,
            product_id=2 * crop_index + 1,
        )
        for row, quantity in inputs:
            self.link(event_id, row, output, quantity, family)
        return output

    def pack(self, crop_index: int, on: dt.date, source: dict, share: float, family: Family | None = None) -> dict:
        *_rest, prefix, _unit, net, net_unit = CROPS[crop_index]
        units = max(1, int(share / net))
        event_id = self.event(self.EventKind.PACKING, on, {"source": source["code"], "units": units})
        lot = self.lot(
            self.LotKind.SALE,
            on,
            prefix + "S",
            units,
            "piece",
            event_id,
            product_id=2 * crop_index + 2,
            net_content=round(net * 1000, 3),
            net_unit=net_unit,
        )
        self.link(event_id, source, lot, units * net, family)
        self.sell(lot, on)
        return lot

    def sell(self, lot: dict, on: dt.date) -> None:
        n = self.rng.randint(1, 3)
        for i in range(n):
            units = int(lot["remaining_quantity"]) // (n - i + 1)
            if units < 1:
                return
            sold_on = on + dt.timedelta(days=3 + 5 * i)
            event_id = self.event(self.EventKind.SALE, sold_on, {"lot": lot["code"], "units": units})
            self.buf["sales"].append(
                {
                    "id": self._id("sales"),
                    "organisation_id": 1,
                    "event_id": event_id,
                    "lot_id": lot["id"],
                    "buyer_id": self.rng.randint(1, self.n_parties),
                    "quantity": units,
                    "sold_on": sold_on,
                    "invoice_ref": f"HD-{event_id}",
                }
            )
            self.take(lot, units)

    # ---- families ---------------------------------------------------------------------------
    def family(self) -> None:
        rng = self.rng
        ci = rng.randrange(len(CROPS))
        day = START_DATE + dt.timedelta(days=rng.randrange(700))
        harvests = [
            self.harvest(ci, day + dt.timedelta(days=rng.randrange(5)), rng.randint(80, 600))
            for _ in range(rng.randint(3, 6))
        ]
        for run in range(rng.choice((1, 1, 2))):
            inputs = rng.sample(harvests, rng.randint(2, 3))
            processed = self.process(
                ci, day + dt.timedelta(days=7 + run), [(row, row["quantity"] * 0.45) for row in inputs], ratio=0.2
            )
            n_packs = rng.randint(2, 5)
            share = processed["quantity"] * 0.9 / n_packs
            for k in range(n_packs):
                self.pack(ci, day + dt.timedelta(days=9 + run + k), processed, share)

    def probe_family(self) -> None:
        # Its own random numbers and its own seasons: the same family at every database size.
        rng, family, ci = random.Random(self.seed), Family(), 1
        saved_rng, self.rng, self.in_probe = self.rng, rng, True
        day = START_DATE + dt.timedelta(days=350)
        probe = self.harvest(ci, day, PROBE_RUNS * 400 + 500)
        first = []
        for r in range(PROBE_RUNS):
            others = [
                self.harvest(ci, day + dt.timedelta(days=r % 3), rng.randint(100, 300))
                for _ in range(rng.randint(1, 2))
            ]
            inputs = [(probe, 400)] + [(row, row["quantity"] * 0.6) for row in others]
            first.append(self.process(ci, day + dt.timedelta(days=3 + r // 10), inputs, ratio=0.2, family=family))
        second = []
        for lot in first:
            outputs = [
                self.process(
                    ci, day + dt.timedelta(days=8 + s), [(lot, lot["quantity"] * 0.3)], ratio=0.5, family=family
                )
                for s in range(PROBE_SECOND_STAGE)
            ]
            for out in outputs:
                share = out["quantity"] * 0.8 / PROBE_PACKS
                for k in range(PROBE_PACKS):
                    self.pack(ci, day + dt.timedelta(days=12 + k), out, share, family)
            second.append(outputs)
        # A blend of several second-stage lots and, directly, a little of one first-stage lot: the
        # same lot is then reached along paths of different lengths, as happens in real records.
        blend_inputs = [(second[i][0], second[i][0]["quantity"] * 0.05) for i in range(PROBE_BLEND_INPUTS)]
        blend_inputs.append((first[PROBE_BLEND_INPUTS + 1], first[PROBE_BLEND_INPUTS + 1]["remaining_quantity"] * 0.1))
        blend = self.process(ci, day + dt.timedelta(days=25), blend_inputs, ratio=0.9, family=family)
        packs = [
            self.pack(ci, day + dt.timedelta(days=27 + k), blend, blend["quantity"] * 0.9 / PROBE_BLEND_PACKS, family)
            for k in range(PROBE_BLEND_PACKS)
        ]
        self.rng, self.in_probe = saved_rng, False
        forward = Family.closure(family.children, probe["id"])
        back = Family.closure(family.parents, packs[0]["id"])
        self.probe = Probe(
            lot_id=probe["id"],
            sale_lot_id=packs[0]["id"],
            descendants=len(forward) - 1,
            ancestors=len(back) - 1,
            forward_depth=max(forward.values()),
            back_depth=max(back.values()),
        )

    # ---- reference data, then everything in order ----------------------------------------
    def reference_rows(self) -> list[tuple[str, list[dict]]]:
        rng = self.rng
        now = dt.datetime(2024, 1, 1, 8, 0)
        n_households, n_plots = 50, 200
        n_plantings = max(50, self.n_lots // 25)
        plots = [
            {
                "id": i,
                "organisation_id": 1,
                "code": f"TH-{i:03d}",
                "name": f"Thửa {i}",
                "village_id": 1,
                "household_id": 1 + (i - 1) % n_households,
                "area_m2": rng.randint(300, 3000),
                "crop": CROPS[(i - 1) % len(CROPS)][0],
                "created_at": now,
            }
            for i in range(1, n_plots + 1)
        ]
        # Per crop, sorted by sowing date: (planting id, plot id) and the sowing dates as ordinals.
        self.plantings: list[list[tuple[int, int]]] = [[] for _ in CROPS]
        self.sown: list[list[int]] = [[] for _ in CROPS]
        plantings, applications = [], []
        sowing = sorted(START_DATE + dt.timedelta(days=rng.randrange(-120, 660)) for _ in range(n_plantings))
        # The probe family's harvests each come from a season of their own, on turmeric plots.
        probe_sown = START_DATE + dt.timedelta(days=350 - 80)
        turmeric_plots = [plot for plot in plots if (plot["id"] - 1) % len(CROPS) == 1]
        self.probe_plantings = []
        for k in range(1 + 2 * PROBE_RUNS):
            self.probe_plantings.append((n_plantings + k + 1, turmeric_plots[k % len(turmeric_plots)]["id"]))
        sowing += [probe_sown] * len(self.probe_plantings)
        for i, sown in enumerate(sowing, start=1):
            if i > n_plantings:
                plot = plots[self.probe_plantings[i - n_plantings - 1][1] - 1]
            else:
                plot = plots[rng.randrange(n_plots)]
            plantings.append(
                {
                    "id": i,
                    "organisation_id": 1,
                    "plot_id": plot["id"],
                    "household_id": plot["household_id"],
                    "crop": plot["crop"],
                    "sown_on": sown,
                    "area_m2": plot["area_m2"],
                    "status": "finished",
                    "non_conformant": False,
                    "created_at": now,
                }
            )
            if i <= n_plantings:
                self.plantings[(plot["id"] - 1) % len(CROPS)].append((i, plot["id"]))
                self.sown[(plot["id"] - 1) % len(CROPS)].append(sown.toordinal())
            for j, (kind, name, phi) in enumerate(
                (("fertiliser", "Phân hữu cơ vi sinh", None), ("plant_protection", "Chế phẩm Trichoderma", 7))
            ):
                applied = sown + dt.timedelta(days=15 + 20 * j)
                event_id = self.event(
                    self.EventKind.INPUT_APPLICATION,
                    applied,
                    {"planting": i, "input": name},
                    plot_id=plot["id"],
                    planting_id=i,
                )
                applications.append(
                    {
                        "id": self._id("input_applications"),
                        "organisation_id": 1,
                        "event_id": event_id,
                        "planting_id": i,
                        "kind": kind,
                        "trade_name": name,
                        "dose": 2.5,
                        "dose_unit": "kg",
                        "applied_on": applied,
                        "phi_days": phi,
                        "on_permitted_list": True,
                        "superseded": False,
                    }
                )
        products = []
        for i, (_crop, code, name, _prefix, unit, net, net_unit) in enumerate(CROPS):
            size = f"{round(net * 1000)}{net_unit}"
            products.append(
                {
                    "id": 2 * i + 1,
                    "organisation_id": 1,
                    "code": code,
                    "name_vi": name,
                    "kind": "processed",
                    "unit": unit,
                    "shelf_life_days": 365,
                    "created_at": now,
                }
            )
            products.append(
                {
                    "id": 2 * i + 2,
                    "organisation_id": 1,
                    "code": f"{code}-{size.upper()}",
                    "name_vi": f"{name} {size}",
                    "kind": "processed",
                    "unit": "piece",
                    "shelf_life_days": 365,
                    "created_at": now,
                }
            )
        parties = [
            {"id": i, "organisation_id": 1, "name": f"Đại lý {i}", "kind": "shop", "created_at": now}
            for i in range(1, self.n_parties + 1)
        ]
        events, self.buf["events"] = self.buf["events"], []
        return [
            (
                "organisations",
                [
                    {
                        "id": 1,
                        "code": "bench",
                        "name": "HTX Benchmark",
                        "kind": "cooperative",
                        "commune": "Quảng Thái",
                        "province": "Huế",
                        "created_at": now,
                    }
                ],
            ),
            (
                "users",
                [
                    {
                        "id": 1,
                        "name": "Bench",
                        "phone": "0900009999",
                        "password_hash": "!",
                        "active": True,
                        "created_at": now,
                    }
                ],
            ),
            ("memberships", [{"id": 1, "user_id": 1, "organisation_id": 1, "role": "manager", "created_at": now}]),
            (
                "villages",
                [
                    {
                        "id": 1,
                        "organisation_id": 1,
                        "name": "Thôn Tây Hoàng",
                        "commune": "Quảng Thái",
                        "province": "Huế",
                        "created_at": now,
                    }
                ],
            ),
            (
                "households",
                [
                    {"id": i, "organisation_id": 1, "name": f"Hộ {i}", "village_id": 1, "created_at": now}
                    for i in range(1, n_households + 1)
                ],
            ),
            ("plots", plots),
            ("plantings", plantings),
            ("products", products),
            ("parties", parties),
            ("events", events),
            ("input_applications", applications),
        ]

    def batches(self):
        """Lists of rows per table, about CHUNK lots at a time, until exactly ``n_lots`` lots exist."""
        probe_at = (self.n_lots - PROBE_FAMILY_MAX) // 2
        while self.lots_made < self.n_lots:
            left = self.n_lots - self.lots_made
            if not self.probe.lot_id and self.lots_made >= probe_at:
                self.probe_family()
            elif left > FAMILY_MAX + (0 if self.probe.lot_id else PROBE_FAMILY_MAX):
                self.family()
            else:  # the last few: lots harvested and not yet processed
                ci = self.rng.randrange(len(CROPS))
                self.harvest(ci, START_DATE + dt.timedelta(days=700), self.rng.randint(80, 600))
            if len(self.buf["lots"]) >= CHUNK:
                yield self.flush()
        if any(self.buf.values()):
            yield self.flush()

    def flush(self) -> dict[str, list[dict]]:
        rows, self.buf = self.buf, {name: [] for name in LOT_TABLES}
        return rows


REFERENCES = [  # (table, column, referenced table) that the lineage reads rely on
    ("lot_links", "input_lot_id", "lots"),
    ("lot_links", "output_lot_id", "lots"),
    ("lot_links", "event_id", "events"),
    ("lots", "event_id", "events"),
    ("lots", "planting_id", "plantings"),
    ("lots", "product_id", "products"),
    ("sales", "lot_id", "lots"),
    ("sales", "event_id", "events"),
    ("sales", "buyer_id", "parties"),
    ("input_applications", "planting_id", "plantings"),
    ("input_applications", "event_id", "events"),
]


def check_references(conn) -> None:
    for table, column, target in REFERENCES:
        dangling = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{column})"
        ).scalar()
        if dangling:
            raise SystemExit(f"bug in the benchmark's data: {dangling} {table}.{column} without a {target} row")
    conn.commit()


def load(app, n_lots: int, seed: int) -> tuple[Probe, dict[str, int], float]:
    from traceability.extensions import db

    tables = db.metadata.tables
    builder = Builder(n_lots, seed)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    next_report, last_reported = [0.0], [-1]

    def insert(conn, name: str, rows: list[dict]) -> None:
        for i in range(0, len(rows), CHUNK):
            conn.execute(sa.insert(tables[name]), rows[i : i + CHUNK])
        counts[name] = counts.get(name, 0) + len(rows)

    def progress(final: bool = False) -> None:
        made = builder.lots_made
        if (not final and made < next_report[0]) or (final and made == last_reported[0]):
            return
        last_reported[0] = made
        next_report[0] = made + n_lots / 10
        elapsed = time.perf_counter() - started
        total = sum(counts.values())
        say(
            f"  {made:>9,} lots  {total:>10,} rows  {elapsed:6.1f} s  {total / elapsed:>9,.0f} rows/s"
            + ("  (done)" if final else "")
        )

    with app.app_context():
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # A throwaway database: no fsync. Set on the driver's connection, outside a transaction.
                conn.connection.dbapi_connection.execute("PRAGMA synchronous=OFF")
            skip_fk_triggers = False
            if conn.dialect.name == "postgresql":
                # Row-by-row foreign-key triggers halve the loading speed. The rows are consistent by
                # construction (SQLite loads the same rows with foreign keys enforced) and are checked
                # below; this needs a superuser, else the triggers simply stay on.
                try:
                    conn.exec_driver_sql("SET session_replication_role = replica")
                    conn.commit()
                    skip_fk_triggers = True
                except sa.exc.DBAPIError:
                    conn.rollback()
                    say("  (not a superuser: loading with foreign-key triggers on)")
            for name, rows in builder.reference_rows():
                insert(conn, name, rows)
            conn.commit()
            for batch in builder.batches():
                for name in LOT_TABLES:
                    insert(conn, name, batch[name])
                conn.commit()
                progress()
            progress(final=True)
            if skip_fk_triggers:
                conn.exec_driver_sql("RESET session_replication_role")
                check_references(conn)
            if conn.dialect.name == "postgresql":
                for name in (
                    "organisations",
                    "users",
                    "memberships",
                    "villages",
                    "households",
                    "plots",
                    "plantings",
                    "products",
                    "parties",
                    "input_applications",
                    *LOT_TABLES,
                ):
                    conn.execute(
                        sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                    )
                conn.commit()
                t = time.perf_counter()
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
                say(f"  ANALYZE: {time.perf_counter() - t:.1f} s")
        db.engine.dispose()  # the benchmark starts from fresh connections
    assert builder.lots_made == n_lots
    return builder.probe, counts, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    times_ms: list[float]
    statements: set[int]
    lots: set[int]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:  # nearest rank
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def statement_label(sql: str) -> str:
    if sql.startswith("WITH RECURSIVE"):
        return "the recursive CTE"
    return sql.split(" FROM ", 1)[1].split()[0] if " FROM " in sql else sql[:30]


def measure(app, probe: Probe, repeat: int) -> list[Result]:
    from traceability.extensions import db
    from traceability.lots import lineage
    from traceability.lots.models import Lot

    executed: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        executed.append(" ".join(statement.split()))

    def statements_note(_answer) -> str:
        return "; ".join(f"{sql[:60]}…" for sql in executed)

    def trace_note(trace) -> str:
        return (
            f"{len(trace.links)} links, {len(trace.sales)} sales, {len(trace.plantings)} plantings, "
            f"{len(trace.applications)} input applications; SQL: " + ", ".join(statement_label(sql) for sql in executed)
        )

    cases = [
        (
            "reachable(probe, forward=True)",
            probe.lot_id,
            lambda lot: lineage.reachable(lot.id, forward=True),
            len,
            statements_note,
        ),
        (
            "reachable(sale lot, forward=False)",
            probe.sale_lot_id,
            lambda lot: lineage.reachable(lot.id, forward=False),
            len,
            statements_note,
        ),
        ("trace_forward(probe)", probe.lot_id, lineage.trace_forward, lambda t: len(t.lots), trace_note),
        ("trace_back(sale lot)", probe.sale_lot_id, lineage.trace_back, lambda t: len(t.lots), trace_note),
    ]
    results = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            for name, lot_id, call, size, note in cases:
                result = Result(name, [], set(), set())
                for i in range(WARMUP + repeat):
                    db.session.remove()  # a new request: fresh session, nothing in its identity map
                    lot = db.session.get(Lot, lot_id)  # opens the transaction, outside the timing
                    gc.collect()
                    executed.clear()
                    t0 = time.perf_counter()
                    answer = call(lot)
                    elapsed = time.perf_counter() - t0
                    n_statements = len(executed)
                    if i >= WARMUP:
                        result.times_ms.append(elapsed * 1000)
                        result.statements.add(n_statements)
                        result.lots.add(size(answer))
                        if note:
                            result.note = note(answer)
                    del answer, lot
                results.append(result)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()
    return results


def explain(app, probe: Probe) -> None:
    """The plan of the recursive query in both directions, as the database runs it."""
    from traceability.extensions import db
    from traceability.lots import lineage

    with app.app_context():
        with db.engine.connect() as conn:
            dialect = conn.dialect
            for label, lot_id, forward in (
                ("forward from the probe", probe.lot_id, True),
                ("back from the sale lot", probe.sale_lot_id, False),
            ):
                sql = str(
                    lineage._walk(lot_id, forward).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
                )
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
                say(f"\n-- plan, {label}:\n{sql}")
                for row in conn.exec_driver_sql(prefix + sql):
                    say("   " + "  ".join(str(v) for v in row))
        db.engine.dispose()


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def one_value(values: set[int]) -> str:
    return str(min(values)) if len(values) == 1 else f"{min(values)}–{max(values)}"


def verdict(result: Result) -> str:
    if result.median < TARGET_MS:
        return "ok" if result.p95 < TARGET_MS else f"ok (p95 {result.p95:.1f} ms ≥ {TARGET_MS:.0f})"
    return f"MISSES TARGET: median {result.median:.1f} ms ≥ {TARGET_MS:.0f} ms"


def print_run(title: str, results: list[Result]) -> None:
    say(f"\n{title}")
    header = (
        f"{'measurement':<36} {'lots':>6} {'SQL/call':>8} {'median ms':>10} {'p95 ms':>9}  target < {TARGET_MS:.0f} ms"
    )
    say(header)
    say("-" * len(header))
    for r in results:
        say(
            f"{r.name:<36} {one_value(r.lots):>6} {one_value(r.statements):>8} {r.median:>10.2f} {r.p95:>9.2f}  "
            f"{verdict(r)}"
        )
    for r in results:
        if r.note:
            say(f"  {r.name}: {r.note}")
    # Each trace against the recursive query it is built on, measured in the same run.
    for trace, anchor in ((results[2], results[0]), (results[3], results[1])):
        ratio = trace.median / anchor.median
        say(
            f"  {trace.name} = {ratio:.2f} × {anchor.name}  "
            + ("ok" if ratio <= TARGET_QUERY_RATIO else f"MISSES TARGET ≤ {TARGET_QUERY_RATIO:.0f} ×")
        )


def print_comparison(kind: str, sizes: tuple[int, int], small: list[Result], large: list[Result]) -> list[str]:
    a, b = (f"{n // 1000:,}k" if n < 1_000_000 else f"{n // 1_000_000:,}M" for n in sizes)
    say(f"\n{kind}: {a} lots against {b} lots (medians and p95 in ms; ratio = median {b} / median {a})")
    header = (
        f"{'measurement':<36} {'SQL':>4} {'med ' + a:>9} {'med ' + b:>9} {'p95 ' + a:>9} {'p95 ' + b:>9} "
        f"{'ratio':>6}  target < {TARGET_MS:.0f} ms, ratio < {TARGET_RATIO:.0f}"
    )
    say(header)
    say("-" * len(header))
    misses = []
    for s, big in zip(small, large):
        ratio = big.median / s.median
        problems = [
            f"{n} median {r.median:.1f} ms ≥ {TARGET_MS:.0f}" for n, r in ((a, s), (b, big)) if r.median >= TARGET_MS
        ]
        if ratio >= TARGET_RATIO:
            problems.append(f"ratio {ratio:.2f} ≥ {TARGET_RATIO:.0f}")
        statements = one_value(s.statements | big.statements)
        say(
            f"{s.name:<36} {statements:>4} {s.median:>9.2f} {big.median:>9.2f} {s.p95:>9.2f} {big.p95:>9.2f} "
            f"{ratio:>6.2f}  {'ok' if not problems else 'MISSES TARGET: ' + '; '.join(problems)}"
        )
        if problems:
            misses.append(f"{kind} {s.name}: " + "; ".join(problems))
    return misses


# ---------------------------------------------------------------------------------------------


def run_size(n_lots: int, args, workdir: Path) -> tuple[str, list[Result]]:
    url = prepare_database(args.database_url, workdir, n_lots)
    app = make_app(url, workdir / "instance")
    from traceability.extensions import db

    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            server = describe_server(conn)
        db.engine.dispose()
    say(f"\n== {server}, {n_lots:,} lots: loading ({sa.engine.make_url(url).render_as_string()}) ==")
    probe, counts, seconds = load(app, n_lots, args.seed)
    say(
        f"  loaded in {seconds:.1f} s: "
        + ", ".join(f"{counts[t]:,} {t}" for t in LOT_TABLES)
        + f", {counts['plantings']:,} plantings, {counts['input_applications']:,} input applications"
    )
    say(
        f"  probe harvest lot id {probe.lot_id}: {probe.descendants:,} descendants (exact), "
        f"{probe.forward_depth} steps deep"
    )
    say(f"  probe sale lot id {probe.sale_lot_id}: {probe.ancestors} ancestors (exact), {probe.back_depth} steps back")
    if args.explain:
        explain(app, probe)
    load_before = os.getloadavg()[0]
    results = measure(app, probe, args.repeat)
    expected = {results[0].name: probe.descendants + 1, results[1].name: probe.ancestors + 1}
    for r in results[:2]:
        if r.lots != {expected[r.name]}:
            say(f"  WARNING: {r.name} returned {one_value(r.lots)} lots, expected {expected[r.name]}")
    print_run(
        f"{server}, {n_lots:,} lots, {args.repeat} runs each after {WARMUP} warm-up runs "
        f"(load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs)",
        results,
    )
    if args.database_url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(workdir / f"lineage-{n_lots}.db") + suffix).unlink(missing_ok=True)
    return server.split()[0], results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lots", type=int, default=10_000, help="lots in the database (10000 or 1000000)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5433/"
        "benchdb (its public schema is dropped and recreated); default: a temporary SQLite file",
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each measurement (default 20)")
    parser.add_argument(
        "--compare",
        action="store_true",
        help=f"run {COMPARE_SIZES[0]:,} then {COMPARE_SIZES[1]:,} lots and compare (ignores --lots)",
    )
    parser.add_argument(
        "--compare-sizes",
        default=",".join(map(str, COMPARE_SIZES)),
        help="the two sizes --compare runs (default %(default)s)",
    )
    parser.add_argument("--explain", action="store_true", help="print the recursive query's plan in both directions")
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the synthetic graph")
    args = parser.parse_args(argv)
    sizes = tuple(int(x) for x in args.compare_sizes.split(",")) if args.compare else (args.lots,)
    if min(sizes) < MIN_LOTS:
        parser.error(f"at least {MIN_LOTS:,} lots (the probe family alone has about {PROBE_FAMILY_MAX:,})")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp:
        runs = [run_size(n, args, Path(tmp)) for n in sizes]
    if args.compare:
        misses = print_comparison(runs[0][0], sizes, runs[0][1], runs[1][1])
    else:
        kind, results = runs[0]
        misses = [
            f"{kind} {r.name}: median {r.median:.1f} ms ≥ {TARGET_MS:.0f} ms" for r in results if r.median >= TARGET_MS
        ]
    say("")
    if misses:
        say(
            f"{len(misses)} measurement(s) MISS the target (median < {TARGET_MS:.0f} ms"
            + (f", ratio < {TARGET_RATIO:.0f}" if args.compare else "")
            + "):"
        )
        for miss in misses:
            say("  - " + miss)
    else:
        say(
            f"All measurements meet the target (median < {TARGET_MS:.0f} ms"
            + (f", ratio < {TARGET_RATIO:.0f})." if args.compare else "); run --compare for the ratio.")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
