"""The read side of the lot graph: trace back and trace forward.

Each direction is one recursive SQL query over ``lot_links`` (the same on SQLite and PostgreSQL),
from one lot or from many at once (``walk``); what the page needs about the lots found is then read
with a handful of ``IN (…)`` queries, never one query per lot. Recalls, labels, provenance pages,
exports and OCOP (pre-fill, overview) all read from here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload

from traceability.extensions import db
from traceability.farm.models import InputApplication, Planting, Plot
from traceability.lots.models import Lot, LotKind, LotLink, LotStatus, Party, Sale
from traceability.products.models import Product
from traceability.units import Unit


def walk(seeds: sa.Select | Iterable[int], *, forward: bool, per_seed: bool = False) -> sa.Select:
    """Every lot reachable from the seeds in one direction, each seed itself at depth 0.

    ``seeds`` is a list of lot ids or a select of one column of lot ids (which then runs inside the
    same statement). Rows are ``(lot_id, depth)``, the nearest depth from any seed; with
    ``per_seed`` they are ``(seed, lot_id, depth)``, keeping apart what each seed reaches (walk back
    from every sale lot at once and still tell which sale lot reached a plot).
    """
    if not isinstance(seeds, sa.Select):
        seeds = sa.select(Lot.id).where(Lot.id.in_(list(seeds)))
    seed_id = next(iter(seeds.subquery("seeds").c))
    start, step = (
        (LotLink.input_lot_id, LotLink.output_lot_id) if forward else (LotLink.output_lot_id, LotLink.input_lot_id)
    )
    first = [seed_id.label("seed")] if per_seed else []
    found = sa.select(*first, seed_id.label("lot_id"), sa.literal(0).label("depth")).cte("lineage", recursive=True)
    carried = [found.c.seed] if per_seed else []
    # UNION (not UNION ALL) stops at rows already reached, so a diamond-shaped graph ends.
    found = found.union(
        sa.select(*carried, step.label("lot_id"), (found.c.depth + 1).label("depth")).join(
            found, start == found.c.lot_id
        )
    )
    keys = [found.c.seed, found.c.lot_id] if per_seed else [found.c.lot_id]
    return sa.select(*keys, sa.func.min(found.c.depth).label("depth")).group_by(*keys)


def reachable(lot_id: int, forward: bool) -> dict[int, int]:
    return {row.lot_id: row.depth for row in db.session.execute(walk([lot_id], forward=forward))}


class SaleRow(NamedTuple):
    id: int
    lot_id: int
    lot_code: str
    unit: str
    buyer_id: int
    buyer_name: str
    quantity: Decimal
    sold_on: dt.date
    invoice_ref: str | None


@dataclass
class Trace:
    root: Lot
    lots: list[TracedLot]  # ordered by distance from the root
    depth: dict[int, int]
    links: list  # rows of (input_lot_id, output_lot_id, quantity)
    sales: list[SaleRow] = field(default_factory=list)
    plantings: list[Planting] = field(default_factory=list)
    applications: list[InputApplication] = field(default_factory=list)

    def inputs_of(self, lot_id: int) -> list:
        return [link for link in self.links if link.output_lot_id == lot_id]


class ProductRef(NamedTuple):
    """What a trace shows of a lot's product."""

    id: int
    code: str
    name_vi: str
    name_en: str | None
    gtin: str | None


class PlotRef(NamedTuple):
    id: int
    code: str
    name: str


class PartyRef(NamedTuple):
    id: int
    name: str


@dataclass(slots=True)
class TracedLot:
    """A lot as a trace reads it: its columns, and what it shows of its product, plot and supplier.
    Plain values from one statement, not ORM instances: a trace of a thousand lots must cost little more
    than the recursive query it is built on."""

    id: int
    organisation_id: int
    code: str
    kind: LotKind
    status: LotStatus
    quantity: Decimal
    remaining_quantity: Decimal
    unit: Unit
    produced_on: dt.date
    expires_on: dt.date | None
    event_id: int
    planting_id: int | None
    supplier_id: int | None
    supplier_lot_code: str | None
    crop: str | None
    net_content: Decimal | None
    net_unit: Unit | None
    vietgap_claim: bool
    yield_flagged: bool
    product: ProductRef | None = None
    plot: PlotRef | None = None
    supplier: PartyRef | None = None

    label = Lot.label


_COLUMNS = [getattr(Lot, f.name) for f in fields(TracedLot) if f.name not in ("product", "plot", "supplier")]
_REFS = ((ProductRef, Product, Lot.product_id), (PlotRef, Plot, Lot.plot_id), (PartyRef, Party, Lot.supplier_id))
# Where each ref's columns are in a row: after the lot's, in the order of _REFS.
_ENDS = [len(_COLUMNS) + sum(len(r._fields) for r, *_ in _REFS[: i + 1]) for i in range(len(_REFS))]
_SLICES = [(ref, slice(end - len(ref._fields), end)) for (ref, *_), end in zip(_REFS, _ENDS, strict=True)]
_LINKS = sa.select(LotLink.input_lot_id, LotLink.output_lot_id, LotLink.quantity)


def _rows(statement: sa.Select) -> list[sa.Row]:
    """A statement's rows, past the ORM (whose per-row work a Core select of columns does not need)."""
    return db.session.connection().execute(statement).all()


def among(column, ids: list[int]) -> sa.ColumnElement[bool]:
    """``column IN ids`` with the ids as one bound value, however many there are: a thousand-parameter
    statement costs more to build and bind than to run. On PostgreSQL an array sent as its text (the
    driver's list dumper inspects every element) and unnested (the planner estimates each element of an
    ``= ANY`` list, a millisecond at a thousand)."""
    if db.session.get_bind().dialect.name == "postgresql":
        text = "{" + ",".join(map(str, ids)) + "}"
        return column.in_(sa.select(sa.func.unnest(sa.cast(sa.literal(text, sa.Text), ARRAY(sa.Integer)))))
    values = sa.func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(sa.select(values.c.value))


def _lots_with_depth(lot_id: int, forward: bool) -> tuple[list[TracedLot], dict[int, int]]:
    """The recursive walk, the lots it reaches and their products, plots and suppliers: one statement."""
    reached = walk([lot_id], forward=forward).subquery()
    statement = sa.select(*_COLUMNS).join(reached, Lot.id == reached.c.lot_id)
    for ref, model, key in _REFS:
        statement = statement.add_columns(*(getattr(model, name) for name in ref._fields))
        statement = statement.outerjoin(model, model.id == key)
    rows = _rows(statement.add_columns(reached.c.depth).order_by(reached.c.depth, Lot.code))
    known: dict[tuple, tuple] = {}  # one ref per product, plot and supplier, however many lots share it
    lots, depth = [], {}
    for row in rows:
        refs = []
        for ref, where in _SLICES:
            values = row[where]
            if values[0] is not None and (ref, values[0]) not in known:
                known[ref, values[0]] = ref._make(values)
            refs.append(known.get((ref, values[0])))
        lot = TracedLot(*row[: len(_COLUMNS)], *refs)
        lots.append(lot)
        depth[lot.id] = row[-1]
    return lots, depth


def trace_forward(lot: Lot) -> Trace:
    """Everything made from the lot, and every sale of any of it (who received what)."""
    lots, depth = _lots_with_depth(lot.id, forward=True)
    ids = list(depth)
    links = _rows(_LINKS.where(among(LotLink.input_lot_id, ids)))
    # Sales as plain rows with the buyer's name: a lot with a thousand descendants may have thousands
    # of sales, and building an object graph for each costs more than the query itself.
    codes = {x.id: (x.code, x.unit) for x in lots}
    sales = [
        SaleRow(sale_id, lot_id, *codes[lot_id], *rest)
        for sale_id, lot_id, *rest in _rows(
            sa.select(Sale.id, Sale.lot_id, Sale.buyer_id, Party.name, Sale.quantity, Sale.sold_on, Sale.invoice_ref)
            .join(Party, Party.id == Sale.buyer_id)
            .where(among(Sale.lot_id, ids))
            .order_by(Sale.sold_on, Sale.id)
        )
    ]
    return Trace(lot, lots, depth, list(links), sales=sales)


def trace_back(lot: Lot) -> Trace:
    """Everything the lot was made from, down to plots, seasons and what was applied to them."""
    lots, depth = _lots_with_depth(lot.id, forward=False)
    ids = list(depth)
    links = _rows(_LINKS.where(among(LotLink.output_lot_id, ids)))
    planting_ids = {x.planting_id for x in lots if x.planting_id}
    plantings = (
        db.session.scalars(
            sa.select(Planting)
            .where(Planting.id.in_(planting_ids))
            .options(joinedload(Planting.plot).joinedload(Plot.village))
        ).all()
        if planting_ids
        else []
    )
    applications = (
        db.session.scalars(
            sa.select(InputApplication)
            .where(InputApplication.planting_id.in_(planting_ids), InputApplication.superseded.is_(False))
            .order_by(InputApplication.applied_on)
        ).all()
        if planting_ids
        else []
    )
    # Only what had been applied by the harvest: a spray after the lot was picked is not its history.
    harvested_by = {}
    for x in lots:
        if x.planting_id:
            harvested_by[x.planting_id] = max(harvested_by.get(x.planting_id, x.produced_on), x.produced_on)
    applications = [a for a in applications if a.applied_on <= harvested_by[a.planting_id]]
    return Trace(lot, lots, depth, list(links), plantings=list(plantings), applications=applications)


def sales_of(lot_ids) -> list[Sale]:
    return db.session.scalars(
        sa.select(Sale)
        .where(Sale.lot_id.in_(list(lot_ids)))
        .options(joinedload(Sale.buyer), joinedload(Sale.lot).selectinload(Lot.product))
        .order_by(Sale.sold_on)
    ).all()


__all__ = ["ProductRef", "Trace", "TracedLot", "reachable", "sales_of", "trace_back", "trace_forward", "walk"]
