"""accepted risks: the entry each finding event matched, and each entry's matches per run

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:53:43.075514

Events written before this revision have no accepted risk: their runs read back unsuppressed,
as they were.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accepted_risk_uses",
        sa.Column("run_id", AutoString(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("entry_id", AutoString(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("run_id", "shard", "entry_id"),
    )
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suppression", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.drop_column("suppression")

    op.drop_table("accepted_risk_uses")
