"""notes as facts: a planting's non-conformity and a lot's yield note worded when read

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00.000000

The two notes were sentences in the language of whoever recorded them, shown to every later reader
(the Vietnamese diary PDF included). They become facts, worded when read:

* ``plantings.non_conformity_note`` goes: its facts are on the input applications already (the banned
  active ingredient, the product, the date), and the note is worded from the latest such application
  of the planting, the one whose sentence was the last written. Nothing to convert.
* ``lots.yield_note`` → ``yield_season_kg``, ``yield_area_m2``, ``yield_max_kg``. The season's harvests
  up to this lot and the planting's area are recomputed from the records; the plausible most, which
  came from a rules table that may have changed since, is read back from the stored sentence (either
  language) and left empty when the sentence cannot be read.

The downgrade writes the sentences back, in Vietnamese.
"""

import re
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from babel.numbers import format_decimal

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LOT_COLUMNS = (("yield_season_kg", 14, 3), ("yield_area_m2", 12, 2), ("yield_max_kg", 14, 3))
# The plausible most, as the two catalogues worded it: "exceed the plausible 6,500 kg" in English,
# "vượt mức hợp lý 6.500 kg" in Vietnamese (thousands and decimal separators swapped).
CEILING = {
    "en": re.compile(r"exceed the plausible ([\d.,]+) kg"),
    "vi": re.compile(r"vượt mức hợp lý ([\d.,]+) kg"),
}
# The sentences as the Vietnamese catalogue had them, for the downgrade.
NON_CONFORMITY_VI = "Đã dùng hoạt chất bị cấm {active} ngày {date} ({product})."
NO_APPLICATION_VI = "Không đạt VietGAP: đã dùng thuốc bị cấm"
YIELD_VI = "Sản lượng thu hoạch của mùa vụ này ({total} kg) vượt mức hợp lý {ceiling} kg cho {area} m² {crop}."
YIELD_NO_CEILING_VI = "Sản lượng thu hoạch của mùa vụ này ({total} kg) vượt mức mà {area} m² {crop} có thể cho."


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    bind = op.get_bind()
    for name, precision, scale in LOT_COLUMNS:
        op.add_column("lots", sa.Column(name, sa.Numeric(precision, scale), nullable=True))  # ALTER TABLE

    flagged = bind.execute(
        sa.text(
            "SELECT l.id, l.planting_id, l.yield_note, p.area_m2 FROM lots l JOIN plantings p ON p.id = l.planting_id "
            "WHERE l.yield_flagged = :yes"
        ),
        {"yes": True},
    ).all()
    for lot_id, planting_id, note, area in flagged:
        harvested = bind.execute(
            sa.text("SELECT quantity FROM lots WHERE planting_id = :p AND kind = 'harvest' AND id <= :id"),
            {"p": planting_id, "id": lot_id},
        ).scalars()
        bind.execute(
            sa.text(
                "UPDATE lots SET yield_season_kg = :total, yield_area_m2 = :area, yield_max_kg = :max WHERE id = :id"
            ).bindparams(*(sa.bindparam(name, type_=sa.Numeric(14, 3)) for name in ("total", "area", "max"))),
            {
                "total": sum((Decimal(str(q)) for q in harvested), Decimal(0)),
                "area": Decimal(str(area)),
                "max": _ceiling(note),
                "id": lot_id,
            },
        )

    if _sqlite():
        # SQLite ≥ 3.35 drops a column in place. Not a batch rebuild: dropping the old plantings or
        # lots table with foreign keys on would cascade away (or refuse) the rows that point at it.
        op.execute("ALTER TABLE plantings DROP COLUMN non_conformity_note")
        op.execute("ALTER TABLE lots DROP COLUMN yield_note")
    else:
        op.drop_column("plantings", "non_conformity_note")
        op.drop_column("lots", "yield_note")


def _ceiling(note: str | None) -> Decimal | None:
    for language, pattern in CEILING.items():
        found = pattern.search(note or "")
        if found:
            thousands, decimal = (",", ".") if language == "en" else (".", ",")
            return Decimal(found.group(1).replace(thousands, "").replace(decimal, "."))
    return None


def _vi(value) -> str:
    """A number as the Vietnamese pages wrote it (traceability.i18n.format_number)."""
    return "" if value is None else format_decimal(Decimal(str(value)), format="#,##0.##", locale="vi")


def downgrade():
    bind = op.get_bind()
    op.add_column("plantings", sa.Column("non_conformity_note", sa.Text(), nullable=True))
    op.add_column("lots", sa.Column("yield_note", sa.Text(), nullable=True))

    rows = bind.execute(
        sa.text(
            "SELECT p.id, a.banned_ingredient, a.applied_on, a.trade_name FROM plantings p "
            "LEFT JOIN input_applications a ON a.id = (SELECT max(b.id) FROM input_applications b "
            "WHERE b.planting_id = p.id AND b.banned_ingredient IS NOT NULL) WHERE p.non_conformant = :yes"
        ),
        {"yes": True},
    ).all()
    for planting_id, active, applied_on, product in rows:
        note = NO_APPLICATION_VI
        if applied_on is not None:
            applied_on = str(applied_on)[:10]  # a date on PostgreSQL, ISO text on SQLite
            date = f"{applied_on[8:10]}/{applied_on[5:7]}/{applied_on[:4]}"
            note = NON_CONFORMITY_VI.format(active=active, date=date, product=product)
        bind.execute(
            sa.text("UPDATE plantings SET non_conformity_note = :n WHERE id = :id"), {"n": note, "id": planting_id}
        )
    rows = bind.execute(
        sa.text("SELECT id, yield_season_kg, yield_max_kg, yield_area_m2, crop FROM lots WHERE yield_flagged = :yes"),
        {"yes": True},
    ).all()
    for lot_id, total, ceiling, area, crop in rows:
        facts = {"total": _vi(total), "area": _vi(area), "crop": crop or ""}
        note = (
            YIELD_VI.format(ceiling=_vi(ceiling), **facts)
            if ceiling is not None
            else YIELD_NO_CEILING_VI.format(**facts)
        )
        bind.execute(sa.text("UPDATE lots SET yield_note = :n WHERE id = :id"), {"n": note, "id": lot_id})

    if _sqlite():
        for name, _precision, _scale in LOT_COLUMNS:
            op.execute(f"ALTER TABLE lots DROP COLUMN {name}")  # in place, as in the upgrade
    else:
        for name, _precision, _scale in reversed(LOT_COLUMNS):
            op.drop_column("lots", name)
