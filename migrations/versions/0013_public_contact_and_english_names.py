"""The producer's public contact, and English names for permitted inputs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:45:00.000000

A buyer's page gives the organisation's own public phone (and Zalo, which uses the same number): the
organisation's, never a member's. A permitted fertiliser may have an English name for the English
page; a brand name of a spray reads the same in both languages and needs none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("organisations", sa.Column("public_phone", sa.String(20), nullable=True))
    op.add_column("permitted_inputs", sa.Column("name_en", sa.String(120), nullable=True))


def downgrade():
    op.drop_column("permitted_inputs", "name_en")
    op.drop_column("organisations", "public_phone")
