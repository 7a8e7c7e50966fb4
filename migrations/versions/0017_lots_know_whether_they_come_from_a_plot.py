"""Each lot knows whether its history reaches a harvest from a plot (``lots.from_plot``)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 05:20:00.000000

Filled in for the lots already there: harvests with a plot first, then, a step of the lot graph at a time, every
lot made from one that is (a lot's inputs are always older than it, so the loop ends within the graph's depth).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: SQLite's batch mode would rebuild lots, which other tables refer to.
    op.add_column("lots", sa.Column("from_plot", sa.Boolean(), nullable=False, server_default=sa.false()))
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE lots SET from_plot = TRUE WHERE plot_id IS NOT NULL"))
    while bind.execute(
        sa.text(
            "UPDATE lots SET from_plot = TRUE WHERE NOT from_plot AND EXISTS ("
            " SELECT 1 FROM lot_links JOIN lots AS made_from ON made_from.id = lot_links.input_lot_id"
            " WHERE lot_links.output_lot_id = lots.id AND made_from.from_plot)"
        )
    ).rowcount:
        pass


def downgrade():
    op.drop_column("lots", "from_plot")  # SQLite drops a column in place since 3.35
