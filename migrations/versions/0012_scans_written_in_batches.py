"""Scans written in batches: a receipt per scan, so a scan kept on disk is stored once however often it is written

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:00:00.000000

A unit page no longer writes its scan inside the buyer's request: the scan is appended to the
serving process's spool and written with others a moment later (``scans.recorder``). The receipt,
a random id made when the scan happened, is unique, so a spool written twice (a process killed
between the commit and removing its file) still stores each scan once. Scans counted before this
revision have none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("unit_scans", sa.Column("receipt", sa.String(32), nullable=True))
    op.create_index("ix_unit_scans_receipt", "unit_scans", ["receipt"], unique=True)


def downgrade():
    op.drop_index("ix_unit_scans_receipt", table_name="unit_scans")
    op.drop_column("unit_scans", "receipt")
