"""Sessions can be revoked: a per-user session generation signed into every session and remember-me cookie

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:30:00.000000

``users.session_generation`` is part of the identity Flask-Login signs into the session and the
remember-me cookie. Logging out, changing the password or an administrator's "sign out everywhere"
adds one to it, so every cookie issued before no longer names a user. Cookies issued before this
revision carry no generation and are refused: everyone logs in once more.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    op.drop_column("users", "session_generation")  # in place: a batch rebuild of users breaks its references
