"""The ten minimum traceability fields of Circular TT 02/2024/TT-BKHCN, per lot.

For the national traceability portal (QĐ 100/QĐ-TTg). Field names are English snake_case;
``label_vi`` gives the Vietnamese title of each, in the Circular's order. The stages are the
production stages of the lot and of everything it was made from (one step back, repeated); sales
are left out: a public record names no buyer.
"""

from __future__ import annotations

import csv
import json
from typing import IO

import sqlalchemy as sa

from traceability.accounts.models import Organisation
from traceability.epcis import identifiers as ids
from traceability.events.models import Event
from traceability.extensions import db
from traceability.labels.digital_link import label_uri
from traceability.lots.lineage import trace_back
from traceability.lots.models import Lot, UnitSerial

label_vi = {
    "product_name": "Tên sản phẩm",
    "image_url": "Hình ảnh sản phẩm",
    "producer_name": "Tên cơ sở sản xuất, kinh doanh",
    "address": "Địa chỉ",
    "stages": "Các công đoạn sản xuất, kinh doanh (mã truy vết sản phẩm, mã truy vết địa điểm, thời gian)",
    "production_time": "Thời gian sản xuất, kinh doanh",
    "product_traceability_code": "Mã truy vết sản phẩm",
    "serial_count": "Nhãn hiệu, thương hiệu, mã hiệu, số sê-ri (nếu có)",
    "expiry_date": "Hạn sử dụng (nếu có)",
    "standards_applied": "Tiêu chuẩn áp dụng",
}

# Names of the schemes as they are written on Vietnamese labels and certificates.
STANDARD_NAMES = {
    "vietgap": "VietGAP",
    "organic": "Hữu cơ",
    "food_safety": "ATTP",
    "ocop": "OCOP",
    "declaration": "Tự công bố",
    "other": "",
}


def _stages(org: Organisation, lot: Lot) -> list[dict]:
    lots = trace_back(lot).lots
    events = {e.id: e for e in db.session.scalars(sa.select(Event).where(Event.id.in_({x.event_id for x in lots})))}
    stages = []
    for made in lots:
        event = events[made.event_id]
        location = ids.plot_location(org, made.plot) if made.plot is not None else ids.organisation_location(org)
        stages.append(
            {
                "stage": event.kind.value,
                "product_trace_code": label_uri(org, made),
                "location_trace_code": location,
                "event_time": event.occurred_on.isoformat(),
                "_order": (event.occurred_on, event.id, made.code),
            }
        )
    stages.sort(key=lambda s: s.pop("_order"))
    return stages


def portal_record(lot: Lot) -> dict:
    org = db.session.get(Organisation, lot.organisation_id)
    serials = db.session.scalar(sa.select(sa.func.count(UnitSerial.id)).where(UnitSerial.lot_id == lot.id))
    standards = sorted(
        " ".join(filter(None, (STANDARD_NAMES.get(c.kind.value, ""), c.number))) for c in lot.certificates
    )
    return {
        "product_name": lot.label,
        "image_url": None,  # products carry no image yet; event photos are private records
        "producer_name": org.name,
        "address": org.address,
        "stages": _stages(org, lot),
        "production_time": lot.produced_on.isoformat(),
        "product_traceability_code": label_uri(org, lot),
        "serial_count": serials or None,
        "expiry_date": lot.expires_on.isoformat() if lot.expires_on else None,
        "standards_applied": standards,
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(value)
    if isinstance(value, (list, dict)):  # the stages: kept machine-readable inside one cell
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_portal_csv(records: list[dict], fp: IO[str]) -> None:
    writer = csv.DictWriter(fp, fieldnames=list(label_vi))
    writer.writeheader()
    for record in records:
        writer.writerow({name: _cell(record[name]) for name in label_vi})
