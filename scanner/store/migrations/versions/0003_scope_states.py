"""scope states (latest observation, retirement), identity units, run errors, event notes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 15:14:07.689440
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scope_states",
        sa.Column("connector", AutoString(), nullable=False),
        sa.Column("scope", AutoString(), nullable=False),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.Column("run_id", AutoString(), nullable=False),
        sa.Column("retired_run", AutoString(), nullable=True),
        sa.Column("retired_reason", AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("connector", "scope"),
    )
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", AutoString(), nullable=True))
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units", sa.JSON(), nullable=True))
    # an identity stored before units existed relied on its one listing
    as_list = "json_build_array(source)" if op.get_bind().dialect.name == "postgresql" else "json_array(source)"
    op.execute(f"UPDATE identities SET units = {as_list}")  # noqa: S608 - no input: one of two constants
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.alter_column("units", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error", AutoString(), nullable=True))
    with op.batch_alter_table("scopes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("observed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scopes", schema=None) as batch_op:
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("observed_at")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("error")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_column("units")
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.drop_column("note")
    op.drop_table("scope_states")
