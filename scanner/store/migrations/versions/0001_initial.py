"""initial schema: runs, coverage units, scopes, identities, findings, finding events

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:11:49.205788
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("rule", AutoString(), nullable=False),
        sa.Column("severity", AutoString(), nullable=False),
        sa.Column("connector", AutoString(), nullable=False),
        sa.Column("scope", AutoString(), nullable=False),
        sa.Column("identity_id", AutoString(), nullable=False),
        sa.Column("credential_id", AutoString(), nullable=True),
        sa.Column("partner", AutoString(), nullable=True),
        sa.Column("owner", AutoString(), nullable=True),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("first_seen_run", AutoString(), nullable=False),
        sa.Column("last_seen_run", AutoString(), nullable=False),
        sa.Column("resolved_run", AutoString(), nullable=True),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_partner"), ["partner"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_rule"), ["rule"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_status"), ["status"], unique=False)

    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connector", AutoString(), nullable=False),
        sa.Column("scope", AutoString(), nullable=False),
        sa.Column("identity_id", AutoString(), nullable=False),
        sa.Column("provider", AutoString(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("source", AutoString(), nullable=False),
        sa.Column("partner", AutoString(), nullable=True),
        sa.Column("owner", AutoString(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("first_seen_run", AutoString(), nullable=False),
        sa.Column("last_seen_run", AutoString(), nullable=False),
        sa.Column("gone_run", AutoString(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connector", "scope", "identity_id"),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identities_identity_id"), ["identity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identities_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_identities_partner"), ["partner"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("command", AutoString(), nullable=False),
        sa.Column("started", UTCDateTime(), nullable=False),
        sa.Column("finished", UTCDateTime(), nullable=True),
        sa.Column("status", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "coverage_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", AutoString(), nullable=False),
        sa.Column("connector", AutoString(), nullable=False),
        sa.Column("scope", AutoString(), nullable=False),
        sa.Column("resource_type", AutoString(), nullable=False),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("error", AutoString(), nullable=True),
        sa.Column("error_kind", AutoString(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "connector", "scope", "resource_type"),
    )
    with op.batch_alter_table("coverage_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_units_run_id"), ["run_id"], unique=False)

    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", AutoString(), nullable=False),
        sa.Column("finding_id", AutoString(), nullable=False),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("carried", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "finding_id"),
    )
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.create_index("ix_finding_events_finding", ["finding_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_events_run_id"), ["run_id"], unique=False)

    op.create_table(
        "scopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", AutoString(), nullable=False),
        sa.Column("connector", AutoString(), nullable=False),
        sa.Column("scope", AutoString(), nullable=False),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("error", AutoString(), nullable=True),
        sa.Column("identity_count", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("api_calls_by_operation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "connector", "scope"),
    )
    with op.batch_alter_table("scopes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scopes_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scopes_run_id"))

    op.drop_table("scopes")
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_events_run_id"))
        batch_op.drop_index("ix_finding_events_finding")

    op.drop_table("finding_events")
    with op.batch_alter_table("coverage_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_units_run_id"))

    op.drop_table("coverage_units")
    op.drop_table("runs")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identities_partner"))
        batch_op.drop_index(batch_op.f("ix_identities_owner"))
        batch_op.drop_index(batch_op.f("ix_identities_identity_id"))

    op.drop_table("identities")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_status"))
        batch_op.drop_index(batch_op.f("ix_findings_rule"))
        batch_op.drop_index(batch_op.f("ix_findings_partner"))
        batch_op.drop_index(batch_op.f("ix_findings_owner"))

    op.drop_table("findings")
