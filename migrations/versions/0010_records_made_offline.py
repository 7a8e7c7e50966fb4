"""Records made offline: the phone's UUID and save time on events and photos, one identity per organisation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:00:00.000000

``events`` gain ``uuid`` (the UUID a phone gave the record when it was saved), ``saved_at`` (the
phone's save time) and ``clock_suspect``; ``photos`` gain ``uuid``. Columns are added in place,
never by a batch rebuild: ``events`` is referenced by most tables and guarded by append-only
triggers.

``idempotent_requests`` were keyed per API token; they are keyed per organisation now, the same
identity whether a phone or an integrator sent the write, and keep the body received (a conflicting
resend is shown beside it). Where two tokens of one organisation
had used the same key, the first answer is kept.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("events", sa.Column("uuid", sa.String(length=36), nullable=True))
    op.add_column("events", sa.Column("saved_at", sa.DateTime(), nullable=True))
    op.add_column("events", sa.Column("clock_suspect", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("uq_events_organisation_id_uuid", "events", ["organisation_id", "uuid"], unique=True)
    op.add_column("photos", sa.Column("uuid", sa.String(length=36), nullable=True))
    op.create_index("uq_photos_organisation_id_uuid", "photos", ["organisation_id", "uuid"], unique=True)

    op.add_column("idempotent_requests", sa.Column("organisation_id", sa.Integer(), nullable=True))
    op.add_column("idempotent_requests", sa.Column("request_body", sa.Text(), nullable=True))
    op.execute(
        "UPDATE idempotent_requests SET organisation_id = "
        "(SELECT organisation_id FROM api_tokens WHERE api_tokens.id = idempotent_requests.token_id)"
    )
    op.execute(
        "DELETE FROM idempotent_requests WHERE id NOT IN "
        "(SELECT MIN(id) FROM idempotent_requests GROUP BY organisation_id, key)"
    )
    with op.batch_alter_table("idempotent_requests") as batch_op:
        batch_op.drop_constraint("uq_idempotent_requests_token_id_key", type_="unique")
        batch_op.drop_constraint("fk_idempotent_requests_token_id_api_tokens", type_="foreignkey")
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("token_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            "fk_idempotent_requests_token_id_api_tokens", "api_tokens", ["token_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_idempotent_requests_organisation_id_organisations",
            "organisations",
            ["organisation_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_unique_constraint("uq_idempotent_requests_organisation_id_key", ["organisation_id", "key"])


def downgrade():
    op.execute("DELETE FROM idempotent_requests WHERE token_id IS NULL")
    with op.batch_alter_table("idempotent_requests") as batch_op:
        batch_op.drop_constraint("uq_idempotent_requests_organisation_id_key", type_="unique")
        batch_op.drop_constraint("fk_idempotent_requests_organisation_id_organisations", type_="foreignkey")
        batch_op.drop_constraint("fk_idempotent_requests_token_id_api_tokens", type_="foreignkey")
        batch_op.alter_column("token_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            "fk_idempotent_requests_token_id_api_tokens", "api_tokens", ["token_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_unique_constraint("uq_idempotent_requests_token_id_key", ["token_id", "key"])
        batch_op.drop_column("organisation_id")
        batch_op.drop_column("request_body")
    op.drop_index("uq_photos_organisation_id_uuid", table_name="photos")
    op.drop_column("photos", "uuid")
    op.drop_index("uq_events_organisation_id_uuid", table_name="events")
    op.drop_column("events", "clock_suspect")
    op.drop_column("events", "saved_at")
    op.drop_column("events", "uuid")
