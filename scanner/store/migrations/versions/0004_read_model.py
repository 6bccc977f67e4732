"""read model: identity and finding versions, per-run sightings, credentials as rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:10:00

Rows written before this revision keep their latest state only: their runs read back with
the findings' latest content and without per-run identity versions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", AutoString(), nullable=False),
        sa.Column("digest", AutoString(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("finding_id", "digest"),
    )
    with op.batch_alter_table("finding_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_versions_finding_id"), ["finding_id"], unique=False)

    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_pk", sa.Integer(), nullable=False),
        sa.Column("credential_id", AutoString(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=True),
        sa.Column("expires", UTCDateTime(), nullable=True),
        sa.Column("last_used", AutoString(), nullable=False),
        sa.Column("source", AutoString(), nullable=False),
        sa.Column("last_seen_run", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_pk"],
            ["identities.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identity_pk", "credential_id"),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_identity_pk"), ["identity_pk"], unique=False)

    op.create_table(
        "identity_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_pk", sa.Integer(), nullable=False),
        sa.Column("digest", AutoString(), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_pk"],
            ["identities.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identity_pk", "digest"),
    )
    op.create_table(
        "identity_sightings",
        sa.Column("run_id", AutoString(), nullable=False),
        sa.Column("identity_pk", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("partner", AutoString(), nullable=True),
        sa.Column("provider", AutoString(), nullable=False),
        sa.Column("identity_id", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_pk"],
            ["identities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["identity_versions.id"],
        ),
        sa.PrimaryKeyConstraint("run_id", "identity_pk"),
    )
    with op.batch_alter_table("identity_sightings", schema=None) as batch_op:
        batch_op.create_index("ix_identity_sightings_run_partner", ["run_id", "partner"], unique=False)

    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_seen_run", AutoString(), nullable=True))
        batch_op.add_column(sa.Column("severity_rank", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), nullable=True))

    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), nullable=True))

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))

    with op.batch_alter_table("scopes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("scopes", schema=None) as batch_op:
        batch_op.drop_column("entry")

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("warnings")

    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_column("version_id")

    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("version_id")

    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.drop_column("severity_rank")
        batch_op.drop_column("first_seen_run")
        batch_op.drop_column("version_id")

    with op.batch_alter_table("identity_sightings", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_sightings_run_partner")

    op.drop_table("identity_sightings")
    op.drop_table("identity_versions")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_identity_pk"))

    op.drop_table("credentials")
    with op.batch_alter_table("finding_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_versions_finding_id"))

    op.drop_table("finding_versions")
