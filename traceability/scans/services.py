"""Counting scans of unit serials and judging when a printed code looks copied.

A genuine unit is scanned a handful of times, by its buyer, in one place. A code copied onto many
packs is scanned often, by many phones, in places far apart. The thresholds are settings
(``SCAN_ALERT_COUNT``, ``SCAN_ALERT_KM``); the counters are protected from cheap pumping: the same
address rescanning the same unit within ``SCAN_REPEAT_MINUTES`` counts once, one address counts at
most ``SCAN_CLIENT_PER_HOUR`` scans an hour across all units, and a unit at most
``SCAN_UNIT_PER_HOUR`` scans an hour from all addresses together (``recorder.allowed``). Only a
person's GET of the page counts (``visitors``), and it is written beside the request (``recorder``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import math
import re
from dataclasses import dataclass, field
from itertools import combinations

import sqlalchemy as sa
from flask import current_app

from traceability.accounts.tenancy import of_org
from traceability.clock import local_date, local_today
from traceability.database import utcnow
from traceability.extensions import db
from traceability.lots.models import Lot, UnitSerial
from traceability.rules import load
from traceability.scans.models import UnitScan
from traceability.scans.recorder import Scan

# Most specific first: in-app browsers announce themselves inside a Chrome or Safari string.
_BROWSERS = (
    ("Zalo", "Zalo"),
    ("FBAN|FBAV", "Facebook"),
    ("SamsungBrowser", "Samsung Internet"),
    ("CocCoc|coc_coc", "Cốc Cốc"),
    ("Edg/", "Edge"),
    ("Firefox|FxiOS", "Firefox"),
    ("Chrome|CriOS", "Chrome"),
    ("Safari", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone|iPad|iOS", "iOS"),
    ("Windows", "Windows"),
    ("Mac OS X|Macintosh", "macOS"),
    ("Linux", "Linux"),
)


@functools.lru_cache(maxsize=4096)  # a crowd's phones announce the same few strings
def agent_family(user_agent: str | None) -> str:
    """'Zalo · Android': enough to tell phones apart in a list, nothing that identifies one."""
    text = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, text)), "other")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, text)), "other")
    return f"{browser} · {system}"


def client_key(remote_addr: str | None, today: dt.date) -> str:
    """A keyed hash of the address that changes every day: rate limits without keeping an IP. Not
    the browser's name: a client chooses that freely, and could pose as a thousand phones."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{today.isoformat()}|{remote_addr or ''}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def provinces() -> dict[str, dict]:
    return {p["code"]: p for p in load("provinces")["provinces"]}


def scan_of(organisation_id: int, unit_id: int, *, remote_addr: str | None, user_agent: str | None) -> Scan:
    """The scan a person's GET of a unit's page makes, for ``recorder`` to count or not."""
    now = utcnow()
    return Scan.new(
        organisation_id,
        unit_id,
        agent=agent_family(user_agent),
        client=client_key(remote_addr, local_date(now)),
        at=now,
    )


def tell_place(unit: UnitSerial, province: str, *, remote_addr: str | None, now: dt.datetime | None = None) -> bool:
    """The buyer's own answer to "where did you buy it?", put on the scan they made in the last hour."""
    if province not in provinces():
        return False
    now = now or utcnow()
    client = client_key(remote_addr, local_today())
    scan = db.session.scalar(
        sa.select(UnitScan)
        .where(
            UnitScan.client == client,
            UnitScan.unit_serial_id == unit.id,
            UnitScan.scanned_at > now - dt.timedelta(hours=1),
        )
        .order_by(UnitScan.id.desc())
        .limit(1)
    )
    if scan is None:
        return False
    scan.province = province
    return True


@dataclass
class ScanSummary:
    count: int = 0
    first_at: dt.datetime | None = None
    provinces: list[str] = field(default_factory=list)
    too_many: bool = False
    far_apart_km: int | None = None

    @property
    def first_on(self) -> dt.date | None:
        return local_date(self.first_at) if self.first_at else None

    @property
    def suspicious(self) -> bool:
        return self.too_many or self.far_apart_km is not None


def _distance_km(a: dict, b: dict) -> float:
    """Great-circle distance (haversine) between two provinces' centres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def judge(summary: ScanSummary) -> ScanSummary:
    """``summary`` with its warnings set from its count and its provinces."""
    config = current_app.config
    summary.too_many = summary.count > config["SCAN_ALERT_COUNT"]
    known = provinces()
    places = [known[p] for p in summary.provinces if p in known]
    farthest = max((_distance_km(a, b) for a, b in combinations(places, 2)), default=0)
    if farthest > config["SCAN_ALERT_KM"]:
        summary.far_apart_km = round(farthest)
    return summary


# Built once: every unit's counters are read with it (``counters``).
_SUMMARIES = (
    sa.select(UnitScan.unit_serial_id, UnitScan.province, sa.func.count(), sa.func.min(UnitScan.scanned_at))
    .where(UnitScan.unit_serial_id.in_(sa.bindparam("ids", expanding=True)))
    .group_by(UnitScan.unit_serial_id, UnitScan.province)
)


def summaries(unit_ids) -> dict[int, ScanSummary]:
    """Counts, first scan and chosen provinces for many units, as stored: one query whatever their number."""
    unit_ids = list(unit_ids)
    if not unit_ids:
        return {}
    result = {uid: ScanSummary() for uid in unit_ids}
    for uid, province, count, first in db.session.execute(_SUMMARIES, {"ids": unit_ids}):
        summary = result[uid]
        summary.count += count
        summary.first_at = min(first, summary.first_at) if summary.first_at else first
        if province is not None:
            summary.provinces.append(province)
    return {uid: judge(s) for uid, s in result.items()}


@dataclass
class SuspiciousSerial:
    serial: str
    lot_id: int
    lot_code: str
    summary: ScanSummary


def suspicious_serials(org_id: int, limit: int = 50) -> list[SuspiciousSerial]:
    """Serials of the organisation whose scans look like a copied code, most scanned first."""
    config = current_app.config
    counts = sa.select(UnitScan.unit_serial_id).where(of_org(UnitScan, org_id)).group_by(UnitScan.unit_serial_id)
    over = counts.having(sa.func.count() > config["SCAN_ALERT_COUNT"])
    several_places = counts.where(UnitScan.province.is_not(None)).having(
        sa.func.count(sa.distinct(UnitScan.province)) > 1
    )
    candidates = db.session.scalars(sa.union(over, several_places)).all()
    judged = summaries(candidates)
    rows = db.session.execute(
        sa.select(UnitSerial.id, UnitSerial.serial, Lot.id, Lot.code)
        .join(Lot, Lot.id == UnitSerial.lot_id)
        .where(UnitSerial.id.in_([uid for uid, s in judged.items() if s.suspicious]))
    ).all()
    found = [SuspiciousSerial(serial, lot_id, lot_code, judged[uid]) for uid, serial, lot_id, lot_code in rows]
    return sorted(found, key=lambda s: -s.summary.count)[:limit]
