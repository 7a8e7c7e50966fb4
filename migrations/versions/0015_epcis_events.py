"""EPCIS events as served to trading partners (with their canonical hashes and the identifiers they name),
captures of a supplier's events, and what each organisation lets anyone query

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 02:30:00.000000

Events recorded from now on are made as they commit. Those recorded before are made by
``flask epcis backfill`` (or on their first export); the query interface serves only what is made.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _org():
    return sa.Column(
        "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )


def upgrade():
    op.create_table(
        "epcis_captures",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org(),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_tokens.id", ondelete="SET NULL"), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
    )
    op.create_index("ix_epcis_captures_organisation_id", "epcis_captures", ["organisation_id"])
    op.create_table(
        "epcis_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org(),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("epcis_captures.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("event_hash", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(30), nullable=False),
        sa.Column("event_time", sa.DateTime(), nullable=False),
        sa.Column("record_time", sa.DateTime(), nullable=False),
        sa.Column("biz_step", sa.String(255), nullable=True),
        sa.Column("biz_location", sa.String(255), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.UniqueConstraint("organisation_id", "event_hash"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_epcis_events_capture_id", "epcis_events", ["capture_id"])
    op.create_index("ix_epcis_events_org_id", "epcis_events", ["organisation_id", "id"])
    op.create_index("ix_epcis_events_org_time", "epcis_events", ["organisation_id", "event_time", "id"])
    op.create_index("ix_epcis_events_org_record_time", "epcis_events", ["organisation_id", "record_time", "id"])
    op.create_table(
        "epcis_identifiers",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org(),
        sa.Column(
            "epcis_event_id", sa.Integer(), sa.ForeignKey("epcis_events.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.create_index("ix_epcis_identifiers_epcis_event_id", "epcis_identifiers", ["epcis_event_id"])
    op.create_index("ix_epcis_identifiers_lookup", "epcis_identifiers", ["organisation_id", "value", "epcis_event_id"])
    op.create_table(
        "epcis_sharing",
        sa.Column(
            "organisation_id",
            sa.Integer(),
            sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
            primary_key=True,
        ),
        sa.Column("public", sa.String(32), nullable=False),
    )


def downgrade():
    op.drop_table("epcis_sharing")
    op.drop_table("epcis_identifiers")
    op.drop_table("epcis_events")
    op.drop_table("epcis_captures")
