"""siem outbox: events for the SIEM written with the history they describe, each sink's
acknowledgements, and what the SIEM was last told of each finding

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:09:31
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "siem_announced",
        sa.Column("finding_id", AutoString(), nullable=False),
        sa.Column("fingerprint", AutoString(), nullable=False),
        sa.Column("run_id", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    op.create_table(
        "siem_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", AutoString(), nullable=False),
        sa.Column("run_id", AutoString(), nullable=False),
        sa.Column("finding_id", AutoString(), nullable=True),
        sa.Column("activity", AutoString(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("siem_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_siem_outbox_created"), ["created"], unique=False)
        batch_op.create_index(batch_op.f("ix_siem_outbox_run_id"), ["run_id"], unique=False)
    op.create_table(
        "siem_deliveries",
        sa.Column("sink", AutoString(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["siem_outbox.id"]),
        sa.PrimaryKeyConstraint("sink", "event_id"),
    )
    with op.batch_alter_table("siem_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_siem_deliveries_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("siem_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_siem_deliveries_event_id"))
    op.drop_table("siem_deliveries")
    with op.batch_alter_table("siem_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_siem_outbox_run_id"))
        batch_op.drop_index(batch_op.f("ix_siem_outbox_created"))
    op.drop_table("siem_outbox")
    op.drop_table("siem_announced")
