"""Sales to buyers (one step forward) and lots bought in from suppliers (one step back)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.accounts.services import normalise_phone
from traceability.accounts.tenancy import of_org
from traceability.database import insert_unless_there
from traceability.errors import DomainError
from traceability.events.models import EventKind
from traceability.events.services import record_event
from traceability.extensions import db
from traceability.lots.models import Lot, LotKind, Party, PartyKind, Sale
from traceability.lots.processing import product_in_org
from traceability.lots.quantities import check_positive
from traceability.lots.services import lot_in_org, new_lot_code, take_from
from traceability.units import Unit, parse_unit


def party(org: Organisation, name: str | None, kind: PartyKind | str, field: str, **contact) -> Party:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Fill in this field."), field)
    if contact.get("phone"):
        contact["phone"] = normalise_phone(contact["phone"])
        if contact["phone"] is None:
            raise DomainError(
                _("This is not a Vietnamese phone number (10 digits starting with 0)."),
                field.replace("_name", "_phone"),
            )
    by_name = sa.select(Party).where(of_org(Party, org.id), Party.name == name)
    found = db.session.scalar(by_name)
    if found is None:
        # Found or created in one statement that cannot fail: parallel sales to a new buyer all
        # reach here, and a plain INSERT would break the (organisation, name) key for all but one.
        # ON CONFLICT DO NOTHING waits for a parallel insert of the same name to commit (PostgreSQL)
        # and then inserts nothing; the SELECT after it, a new statement, sees that row.
        values = {"organisation_id": org.id, "name": name, "kind": PartyKind(kind)}
        values.update({k: v for k, v in contact.items() if v})
        dialect = db.session.get_bind().dialect.name
        db.session.execute(insert_unless_there(Party, dialect, ["organisation_id", "name"]).values(**values))
        found = db.session.scalars(by_name.execution_options(populate_existing=True)).one()
    elif contact.get("phone"):
        found.phone = contact["phone"]  # remembered: the newest number the buyer gave
    return found


def record_sale(
    org: Organisation,
    user: User,
    *,
    lot_code: str,
    buyer_name: str,
    quantity: Decimal,
    sold_on: dt.date,
    buyer_kind: PartyKind | str = PartyKind.TRADER,
    invoice_ref: str | None = None,
    buyer_phone: str | None = None,
) -> Sale:
    lot = lot_in_org(org.id, lot_code)
    quantity = check_positive(quantity, unit=lot.unit)
    buyer = party(org, buyer_name, buyer_kind, "buyer_name", phone=buyer_phone)
    take_from(lot, quantity, on=sold_on, date_field="sold_on")
    event = record_event(
        org,
        EventKind.SALE,
        occurred_on=sold_on,
        recorded_by=user,
        date_field="sold_on",
        payload={
            "lot": lot.code,
            "quantity": str(quantity),
            "unit": lot.unit,
            "buyer_id": buyer.id,
            "invoice_ref": invoice_ref,
        },
    )
    sale = Sale(
        organisation_id=org.id,
        event_id=event.id,
        lot=lot,
        buyer=buyer,
        quantity=quantity,
        sold_on=sold_on,
        invoice_ref=invoice_ref,
    )
    db.session.add(sale)
    db.session.flush()
    return sale


def receive_lot(
    org: Organisation,
    user: User,
    *,
    supplier_name: str,
    supplier_lot_code: str | None,
    quantity: Decimal,
    unit: Unit | str,
    received_on: dt.date,
    crop: str | None = None,
    product_code: str | None = None,
    supplier_kind: PartyKind | str = PartyKind.FARMER,
) -> Lot:
    """A lot bought in: kept with the supplier and their own code, so the step back is recorded too."""
    unit = parse_unit(unit)
    if unit is None:
        raise DomainError(_("Choose a unit from the list."), "unit")
    if not crop and not product_code:
        raise DomainError(_("Say what was bought: a crop or one of your products."), "crop")
    product = product_in_org(org.id, product_code) if product_code else None
    supplier = party(org, supplier_name, supplier_kind, "supplier_name")
    quantity = check_positive(quantity, unit=unit)
    code = new_lot_code(org.id, f"{received_on:%y%m%d}-IN")
    event = record_event(
        org,
        EventKind.RECEIVING,
        occurred_on=received_on,
        recorded_by=user,
        date_field="received_on",
        payload={
            "lot": code,
            "supplier_id": supplier.id,
            "supplier_lot_code": supplier_lot_code,
            "crop": crop,
            "product": product.code if product else None,
            "quantity": str(quantity),
            "unit": unit,
        },
    )
    lot = Lot(
        organisation_id=org.id,
        code=code,
        kind=LotKind.PROCESSED if product else LotKind.HARVEST,
        product=product,
        crop=crop,
        quantity=quantity,
        unit=unit,
        remaining_quantity=quantity,
        produced_on=received_on,
        event_id=event.id,
        supplier=supplier,
        supplier_lot_code=supplier_lot_code,
    )
    db.session.add(lot)
    db.session.flush()
    return lot
