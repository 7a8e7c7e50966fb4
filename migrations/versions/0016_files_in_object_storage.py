"""Files in object storage: beside each stored file's bytes, the key of the object holding them instead

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 05:10:00.000000

Existing files stay in the database; ``flask blobs move`` copies them to the bucket named by S3_BUCKET.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FILES = {"photos": ("image", "thumbnail"), "ocop_attachments": ("data",), "jobs": ("result",)}


def upgrade():
    for table, columns in FILES.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(sa.Column(f"{column}_key", sa.String(200), nullable=True))
                batch.alter_column(column, existing_type=sa.LargeBinary(), nullable=True)


def downgrade():
    for table, columns in FILES.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(f"{column}_key")
