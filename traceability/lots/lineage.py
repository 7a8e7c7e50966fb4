"""The read side of the lot graph: trace back and trace forward.

Each direction is one recursive SQL query over ``lot_links`` (the same on SQLite and PostgreSQL),
from one lot or from many at once (``walk``); what the page needs about the lots found is then read
with a handful of ``IN (…)`` queries, never one query per lot. Recalls, labels, provenance pages,
exports and OCOP (pre-fill, overview) all read from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from traceability.extensions import db
from traceability.farm.models import InputApplication, Planting, Plot
from traceability.lots.models import Lot, LotLink, Party, Sale


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
    lots: list[Lot]  # ordered by distance from the root
    depth: dict[int, int]
    links: list  # rows of (input_lot_id, output_lot_id, quantity)
    sales: list[SaleRow] = field(default_factory=list)
    plantings: list[Planting] = field(default_factory=list)
    applications: list[InputApplication] = field(default_factory=list)

    def inputs_of(self, lot_id: int) -> list:
        return [link for link in self.links if link.output_lot_id == lot_id]


def _lots_with_depth(lot_id: int, forward: bool) -> tuple[list[Lot], dict[int, int]]:
    """The recursive walk and the lots it reaches in one statement (no thousand-id IN list)."""
    reached = walk([lot_id], forward=forward).subquery()
    rows = db.session.execute(
        sa.select(Lot, reached.c.depth)
        .join(reached, Lot.id == reached.c.lot_id)
        .options(selectinload(Lot.product), selectinload(Lot.plot), selectinload(Lot.supplier))
        .order_by(reached.c.depth, Lot.code)
    ).all()
    return [row[0] for row in rows], {row[0].id: row[1] for row in rows}


def trace_forward(lot: Lot) -> Trace:
    """Everything made from the lot, and every sale of any of it (who received what)."""
    lots, depth = _lots_with_depth(lot.id, forward=True)
    ids = list(depth)
    links = db.session.execute(
        sa.select(LotLink.input_lot_id, LotLink.output_lot_id, LotLink.quantity).where(LotLink.input_lot_id.in_(ids))
    ).all()
    # Sales as plain rows with the buyer's name: a lot with a thousand descendants may have thousands
    # of sales, and building an object graph for each costs more than the query itself.
    codes = {x.id: (x.code, x.unit) for x in lots}
    sales = [
        SaleRow(
            row.id,
            row.lot_id,
            codes[row.lot_id][0],
            codes[row.lot_id][1],
            row.buyer_id,
            row.buyer_name,
            row.quantity,
            row.sold_on,
            row.invoice_ref,
        )
        for row in db.session.execute(
            sa.select(
                Sale.id,
                Sale.lot_id,
                Sale.buyer_id,
                Party.name.label("buyer_name"),
                Sale.quantity,
                Sale.sold_on,
                Sale.invoice_ref,
            )
            .join(Party, Party.id == Sale.buyer_id)
            .where(Sale.lot_id.in_(ids))
            .order_by(Sale.sold_on, Sale.id)
        )
    ]
    return Trace(lot, lots, depth, list(links), sales=sales)


def trace_back(lot: Lot) -> Trace:
    """Everything the lot was made from, down to plots, seasons and what was applied to them."""
    lots, depth = _lots_with_depth(lot.id, forward=False)
    ids = list(depth)
    links = db.session.execute(
        sa.select(LotLink.input_lot_id, LotLink.output_lot_id, LotLink.quantity).where(LotLink.output_lot_id.in_(ids))
    ).all()
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


__all__ = ["Trace", "reachable", "sales_of", "trace_back", "trace_forward", "walk"]
