"""A Merkle tree over each organisation's events, its signed checkpoints and their cosignatures, and the logs a
witness follows

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:30:00.000000

The tree is derived from the events and built by the first checkpoint (``transparency.tree``):
nothing to copy here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "log_leaves",
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="RESTRICT"), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("leaf_index", sa.Integer(), nullable=False),
        sa.UniqueConstraint("organisation_id", "leaf_index"),
    )
    op.create_table(
        "log_nodes",
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
        ),
        sa.Column("level", sa.SmallInteger(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_log_checkpoints_organisation_id", "log_checkpoints", ["organisation_id"])
    op.create_table(
        "log_cosignatures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "checkpoint_id", sa.Integer(), sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("witness", sa.String(255), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("checkpoint_id", "witness"),
    )
    op.create_index("ix_log_cosignatures_checkpoint_id", "log_cosignatures", ["checkpoint_id"])
    op.create_table(
        "witnessed_logs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("log_key", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("organisation_id", "origin"),
    )
    op.create_index("ix_witnessed_logs_organisation_id", "witnessed_logs", ["organisation_id"])
    op.create_table(
        "witness_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column(
            "witnessed_log_id", sa.Integer(), sa.ForeignKey("witnessed_logs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("accepted_note", sa.Text(), nullable=False),
        sa.Column("refused_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_witness_alerts_organisation_id", "witness_alerts", ["organisation_id"])


def downgrade():
    op.drop_table("witness_alerts")
    op.drop_table("witnessed_logs")
    op.drop_table("log_cosignatures")
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
    op.drop_table("log_leaves")
