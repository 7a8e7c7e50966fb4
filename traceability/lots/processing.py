"""Processing runs (transformations) with their mass balance, and packing into sale lots."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts.models import Organisation, User
from traceability.accounts.tenancy import in_org
from traceability.errors import DomainError
from traceability.events.models import EventKind
from traceability.events.services import record_event
from traceability.extensions import db
from traceability.i18n import format_number
from traceability.lots.models import Lot, LotKind, LotLink, ProcessingRun, UnitSerial
from traceability.lots.quantities import check_positive, convert, to_base
from traceability.lots.services import lot_in_org, new_lot_code, take_from
from traceability.lots.yields import expected_yield
from traceability.products.models import Product
from traceability.units import NET_CONTENT_UNITS, Unit, parse_unit

SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
SERIAL_LENGTH = 12  # 60 random bits: unguessable, and short enough for a label


@dataclass
class RunInput:
    lot_code: str
    quantity: Decimal


@dataclass
class RunOutput:
    product_code: str
    quantity: Decimal
    unit: str | None = None


@dataclass(frozen=True)
class Processed:
    """A recorded run and the lots it made, in the order of its outputs."""

    run: ProcessingRun
    outputs: list[Lot]


def product_in_org(org: Organisation | int, code: str | None, field: str = "product_code") -> Product:
    """A current product of this organisation by its code."""
    code = (code or "").strip()
    return in_org(
        Product,
        org,
        code,
        by="code",
        field=field,
        active=True,
        message=_("There is no product %(code)s in your organisation.", code=code),
    )


def record_processing(
    org: Organisation,
    user: User,
    *,
    processed_on: dt.date,
    inputs: list[RunInput],
    outputs: list[RunOutput],
    steps: list[dict] | None = None,
    reason: str | None = None,
) -> Processed:
    if not inputs:
        raise DomainError(_("Name at least one input lot."), "inputs")
    if not outputs:
        raise DomainError(_("A processing run needs at least one output."), "outputs")
    taken: dict[int, tuple[Lot, Decimal]] = {}
    for item in inputs:
        lot = lot_in_org(org.id, item.lot_code, "inputs")
        quantity = check_positive(item.quantity, "inputs", lot.unit)
        previous = taken.get(lot.id, (lot, Decimal(0)))[1]
        taken[lot.id] = (lot, previous + quantity)
    made = []
    for item in outputs:
        product = product_in_org(org.id, item.product_code, "outputs")
        unit = parse_unit(item.unit) if item.unit else product.unit
        if unit is None:
            raise DomainError(_("Choose a unit from the list."), "outputs")
        made.append((product, check_positive(item.quantity, "outputs", unit), unit))

    ratio, expected = _mass_balance(org.id, taken.values(), made)
    flagged = expected is not None and not (expected[0] <= ratio <= expected[1])
    if flagged and not reason:
        raise DomainError(
            _(
                "The yield %(ratio)s is outside the expected %(low)s–%(high)s. Check the quantities, "
                "or give the reason.",
                ratio=format_number(ratio, 4),
                low=format_number(expected[0], 4),
                high=format_number(expected[1], 4),
            ),
            "reason",
        )
    for lot, quantity in sorted(taken.values(), key=lambda pair: pair[0].id):  # one lock order: no deadlocks
        take_from(lot, quantity, "inputs", on=processed_on, date_field="processed_on")

    event = record_event(
        org,
        EventKind.PROCESSING,
        occurred_on=processed_on,
        recorded_by=user,
        date_field="processed_on",
        reason=reason if flagged else None,
        payload={
            "inputs": [{"lot": lot.code, "quantity": str(q), "unit": lot.unit} for lot, q in taken.values()],
            "outputs": [{"product": p.code, "quantity": str(q), "unit": u} for p, q, u in made],
            "steps": steps or [],
            "yield_ratio": str(ratio),
            "yield_flagged": flagged,
        },
    )
    run = ProcessingRun(
        organisation_id=org.id,
        event_id=event.id,
        processed_on=processed_on,
        steps=steps or [],
        yield_ratio=ratio,
        expected_min=expected[0] if expected else None,
        expected_max=expected[1] if expected else None,
        yield_flagged=flagged,
        reason=reason if flagged else None,
    )
    db.session.add(run)
    total_out = sum(to_base(q, u)[0] for _p, q, u in made)
    outputs = []
    for product, quantity, unit in made:
        output = Lot(
            organisation_id=org.id,
            code=new_lot_code(org.id, f"{processed_on:%y%m%d}-{product.code}"),
            kind=LotKind.PROCESSED,
            product=product,
            quantity=quantity,
            unit=unit,
            remaining_quantity=quantity,
            produced_on=processed_on,
            event_id=event.id,
            expires_on=_expiry(product, processed_on),
            from_plot=any(lot.from_plot for lot, _used in taken.values()),
        )
        db.session.add(output)
        db.session.flush()
        outputs.append(output)
        share = to_base(quantity, unit)[0] / total_out
        for lot, used in taken.values():
            db.session.add(
                LotLink(
                    organisation_id=org.id,
                    event_id=event.id,
                    input_lot_id=lot.id,
                    output_lot_id=output.id,
                    quantity=(used * share).quantize(Decimal("0.001")),
                )
            )
    db.session.flush()
    return Processed(run, outputs)


def _mass_balance(org_id, taken, made) -> tuple[Decimal, tuple[Decimal, Decimal, str] | None]:
    total_in = sum(to_base(q, lot.unit)[0] for lot, q in taken)
    total_out = sum(to_base(q, u)[0] for _p, q, u in made)
    ratio = (total_out / total_in).quantize(Decimal("0.000001"))
    names = {lot.crop or (lot.product.name_vi if lot.product else "") for lot, _q in taken}
    products = {p.id: p for p, _q, _u in made}
    expected = None
    if len(names) == 1 and len(products) == 1:
        expected = expected_yield(org_id, names.pop(), next(iter(products.values())))
    return ratio, expected


def _expiry(product: Product, made_on: dt.date) -> dt.date | None:
    return made_on + dt.timedelta(days=product.shelf_life_days) if product.shelf_life_days else None


def new_serial() -> str:
    return "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(SERIAL_LENGTH))


def pack(
    org: Organisation,
    user: User,
    *,
    source_lot_code: str,
    product_code: str,
    units: int,
    net_content: Decimal,
    net_unit: Unit | str,
    packed_on: dt.date,
    serials: bool = False,
) -> Lot:
    """Pack part of a harvest or processed lot into a sale lot of ``units`` × ``net_content``."""
    source = lot_in_org(org.id, source_lot_code, "source_lot_code")
    if source.kind is LotKind.SALE:
        raise DomainError(_("Pack from a harvest or processed lot, not from a sale lot."), "source_lot_code")
    product = product_in_org(org.id, product_code)
    if units is None or not 1 <= units <= 100_000:
        raise DomainError(_("Between 1 and 100,000 units."), "units")
    check_positive(net_content, "net_content")
    net_unit = parse_unit(net_unit, NET_CONTENT_UNITS)
    if net_unit is None:
        raise DomainError(_("Net content is in g, kg, ml or l."), "net_unit")
    used = convert(net_content * units, net_unit, source.unit, "net_unit")
    take_from(source, used, "units", on=packed_on, date_field="packed_on")
    event = record_event(
        org,
        EventKind.PACKING,
        occurred_on=packed_on,
        recorded_by=user,
        date_field="packed_on",
        payload={
            "source": source.code,
            "used": str(used),
            "unit": source.unit,
            "product": product.code,
            "units": units,
            "net_content": str(net_content),
            "net_unit": net_unit,
            "serials": serials,
        },
    )
    lot = Lot(
        organisation_id=org.id,
        code=new_lot_code(org.id, f"{packed_on:%y%m%d}-{product.code}"),
        kind=LotKind.SALE,
        product=product,
        quantity=Decimal(units),
        unit=Unit.PIECE,
        remaining_quantity=Decimal(units),
        produced_on=packed_on,
        expires_on=_expiry(product, packed_on),
        event_id=event.id,
        net_content=net_content,
        net_unit=net_unit,
        vietgap_claim=source.vietgap_claim,
        from_plot=source.from_plot,
        certificates=list(source.certificates),
    )
    db.session.add(lot)
    db.session.flush()
    db.session.add(
        LotLink(organisation_id=org.id, event_id=event.id, input_lot_id=source.id, output_lot_id=lot.id, quantity=used)
    )
    if serials:
        db.session.execute(
            sa.insert(UnitSerial),
            [{"organisation_id": org.id, "lot_id": lot.id, "serial": new_serial()} for _ in range(units)],
        )
    db.session.flush()
    return lot
