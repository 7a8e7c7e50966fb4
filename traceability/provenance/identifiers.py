"""Which record a scanned path names: parsed strictly, then found level by level, walking up.

A path is either a GS1 Digital Link (``/01/{gtin}[/10/{lot}][/21/{serial}]…``) or the organisation's
own stem for products without a GTIN (``/o/{org}/p/{product}[/10/{lot}][/21/{serial}]``). Both are
parsed by ``labels.digital_link``, the module that builds what labels print, so a path the labels
could never carry is refused (400) before any query. A valid path names up to three levels: the
product, its lot, one unit. When a value is not in the records (a lot never made, a serial never
printed, a qualifier we keep nothing for) the resolver walks up to the nearest level that is, and
says what was missing, because that is what a buyer holding a copied label needs to know.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from traceability.accounts.models import Organisation
from traceability.extensions import db
from traceability.labels import digital_link
from traceability.labels.digital_link import NO_PRODUCT, DigitalLinkError
from traceability.lots.models import Lot, UnitSerial
from traceability.products.models import Product
from traceability.scans import counters
from traceability.scans.models import UnitScan

MAX_REQUEST_URI = 2048  # longer than any label's code by far; a longer request is refused (414)


@dataclass(frozen=True)
class Asked:
    """What the path asks for, values decoded; ``lot``/``serial`` None when the path has none."""

    gtin: str | None = None
    org_code: str | None = None
    product_code: str | None = None
    lot: str | None = None
    serial: str | None = None
    unkept: str | None = None  # a valid qualifier we keep no records for (22 variant, 235 serial)


@dataclass
class Found:
    """The most specific level of ``asked`` that is in the records, and what was asked but is not."""

    asked: Asked
    organisation: Organisation
    product: Product | None
    lot: Lot | None = None
    unit: UnitSerial | None = None

    @property
    def level(self) -> str:
        return "unit" if self.unit else "lot" if self.lot else "product"

    @property
    def missing(self) -> str | None:
        """'lot' or 'serial' when the path names one the producer never made, else None."""
        if self.asked.lot and self.lot is None or self.asked.unkept:
            return "lot"
        if self.asked.serial and self.unit is None:
            return "serial"
        return None


def parse(path: str, query: str) -> Asked:
    """The request's path and query as sent (percent-encoded); DigitalLinkError when invalid.

    One trailing slash is tolerated (a resolver must), and nothing else is forgiven."""
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    if path.startswith("/o/"):
        org_code, product_code, qualifiers = digital_link.parse_organisation_path(path, query)
        values = dict(qualifiers)
        return Asked(org_code=org_code, product_code=product_code, lot=values.get("10"), serial=values.get("21"))
    elements = digital_link.parse_path(path, query)
    (key, gtin), values = elements[0], dict(elements[1:])
    if key != "01":
        raise DigitalLinkError(f"({key}) is not a primary key this resolver serves")
    unkept = next((ai for ai in ("22", "235") if ai in values), None)
    return Asked(gtin=gtin, lot=values.get("10"), serial=values.get("21"), unkept=unkept)


def find(asked: Asked) -> Found | None:
    """The records behind ``asked``, walking up; None when not even the product (or producer) is ours."""
    if asked.gtin is not None and asked.lot is not None and asked.serial is not None and not asked.unkept:
        found = _unit_in_one_query(asked)  # a buyer's scan, by far the commonest question
        if found is not None:
            return found
    if asked.gtin is not None:
        product = db.session.scalar(sa.select(Product).where(Product.gtin == asked.gtin))
        if product is None:
            return None
        organisation = db.session.get(Organisation, product.organisation_id)
    else:
        organisation = db.session.scalar(sa.select(Organisation).where(Organisation.code == asked.org_code))
        if organisation is None:
            return None
        product = None
        if asked.product_code != NO_PRODUCT:
            product = db.session.scalar(
                sa.select(Product).where(
                    Product.organisation_id == organisation.id,
                    Product.code == asked.product_code,
                    Product.gtin.is_(None),  # a product with a GTIN is named by it, never by this stem
                )
            )
            if product is None:
                return None
    found = Found(asked, organisation, product)
    if asked.unkept:
        return found
    if asked.lot is not None:
        found.lot = _lot(organisation, product, asked.lot)
    if asked.serial is not None and (found.lot is not None or asked.lot is None):
        found.unit = _unit(organisation, product, found.lot, asked.serial)
        if found.unit is not None and found.lot is None:
            found.lot = db.session.get(Lot, found.unit.lot_id)  # /01/{gtin}/21/{serial}: the serial is unique
    return found


def _by_code(query: sa.Select) -> sa.Select:
    """``query`` narrowed to the unit a GTIN, lot code and serial name (bound parameters)."""
    return (
        query.join(Lot, Lot.id == UnitSerial.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(
            Product.gtin == sa.bindparam("gtin"),
            Lot.code == sa.bindparam("lot"),
            UnitSerial.serial == sa.bindparam("serial"),
        )
    )


# Built once: a scan's lookup runs for every buyer, and building the statement costs more than running it.
_UNIT = _by_code(sa.select(UnitSerial, Lot, Product, Organisation)).join(
    Organisation, Organisation.id == Lot.organisation_id
)

# The same question when only the unit's numbers are needed (its lot's page is kept), with its scans
# grouped by province and address for its counters (``scans.counters``): one statement, no objects.
_NUMBERS = (UnitSerial.id, UnitSerial.organisation_id, UnitSerial.lot_id, UnitSerial.serial)
_UNIT_AND_SCANS = (
    _by_code(sa.select(*_NUMBERS, *counters.GROUP_COLUMNS))
    .outerjoin(UnitScan, UnitScan.unit_serial_id == UnitSerial.id)
    .group_by(*_NUMBERS, *counters.GROUP_BY)
    .limit(counters.GROUPS_READ)
)


def unit_and_scans(asked: Asked) -> tuple[tuple, list] | None:
    """The numbers (id, organisation_id, lot_id, serial) of the unit a GTIN, lot and serial name,
    and its scans' groups for ``counters.shown``; None when no such unit."""
    if asked.gtin is None or asked.lot is None or asked.serial is None or asked.unkept:
        return None
    parameters = {"gtin": asked.gtin, "lot": asked.lot, "serial": asked.serial.upper(), **counters.parameters()}
    rows = db.session.connection().execute(_UNIT_AND_SCANS, parameters).all()
    if not rows:
        return None
    return tuple(rows[0][:4]), [row[4:] for row in rows]


def _unit_in_one_query(asked: Asked) -> Found | None:
    row = db.session.execute(_UNIT, {"gtin": asked.gtin, "lot": asked.lot, "serial": asked.serial.upper()}).first()
    if row is None:
        return None
    unit, lot, product, organisation = row
    return Found(asked, organisation, product, lot, unit)


def _lot(organisation: Organisation, product: Product | None, code: str) -> Lot | None:
    return db.session.scalar(
        sa.select(Lot).where(
            Lot.organisation_id == organisation.id,
            Lot.code == code,
            Lot.product_id == product.id if product else Lot.product_id.is_(None),
        )
    )


def _unit(organisation: Organisation, product: Product | None, lot: Lot | None, serial: str) -> UnitSerial | None:
    """The unit with this serial as printed (serials are upper case; a phone may lower them)."""
    query = sa.select(UnitSerial).where(
        UnitSerial.organisation_id == organisation.id, UnitSerial.serial == serial.upper()
    )
    if lot is not None:
        query = query.where(UnitSerial.lot_id == lot.id)
    else:
        query = query.join(Lot, Lot.id == UnitSerial.lot_id).where(
            Lot.product_id == product.id if product else Lot.product_id.is_(None)
        )
    return db.session.scalar(query)


def uri(found: Found, level: str) -> str:
    """The URI of one level of ``found`` as its label prints it (the linkset's anchors)."""
    organisation, product = found.organisation, found.product
    if level == "product":
        return digital_link.product_uri(organisation, product)
    serial = found.unit.serial if level == "unit" else None
    return digital_link.label_uri(organisation, found.lot, serial)
