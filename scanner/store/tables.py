"""The tables. JSON columns hold the normalized record as the run saw it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"

    id: str = Field(primary_key=True)
    command: str
    started: datetime
    finished: datetime | None = None
    status: str = "running"  # running | complete | partial | failed
    error: str | None = None  # why a run failed as a whole (internal error, interrupted)
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    shards: int | None = None  # a sharded run: how many shards must report


class RunShardRow(SQLModel, table=True):
    """One shard's part of a sharded run (``scan --shard K/N --run-id ID``)."""

    __tablename__ = "run_shards"

    run_id: str = Field(foreign_key="runs.id", primary_key=True)
    shard: int = Field(primary_key=True)
    shards: int
    started: datetime
    finished: datetime | None = None
    status: str = "running"
    error: str | None = None


class UnitRow(SQLModel, table=True):
    """One coverage unit: (run, connector, scope, resource type) and what happened."""

    __tablename__ = "coverage_units"
    __table_args__ = (UniqueConstraint("run_id", "connector", "scope", "resource_type"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="runs.id", index=True)
    connector: str
    scope: str
    resource_type: str
    status: str
    error: str | None = None
    error_kind: str | None = None
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ScopeRow(SQLModel, table=True):
    __tablename__ = "scopes"
    __table_args__ = (UniqueConstraint("run_id", "connector", "scope"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="runs.id", index=True)
    connector: str
    scope: str
    status: str
    error: str | None = None
    identity_count: int = 0
    api_calls: int = 0
    api_calls_by_operation: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    observed_at: datetime | None = None  # when this run's listing of the scope began
    superseded_by: str | None = None  # a run that had observed the scope later committed first
    entry: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # as documented


class ScopeStateRow(SQLModel, table=True):
    """Per scope: the latest observation folded into history, and whether it was retired."""

    __tablename__ = "scope_states"

    connector: str = Field(primary_key=True)
    scope: str = Field(primary_key=True)
    observed_at: datetime
    run_id: str
    retired_run: str | None = None  # `partner-nhi scopes retire`: its findings resolved on purpose
    retired_reason: str | None = None


class IdentityRow(SQLModel, table=True):
    """The latest state of each identity ever seen; ``gone_run`` only from a complete listing."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("connector", "scope", "identity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    connector: str
    scope: str
    identity_id: str = Field(index=True)
    provider: str
    kind: str
    name: str
    source: str
    units: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # Identity.units
    partner: str | None = Field(default=None, index=True)
    owner: str | None = Field(default=None, index=True)
    enabled: bool = True
    first_seen_run: str
    last_seen_run: str
    gone_run: str | None = None
    version_id: int | None = None  # its latest IdentityVersionRow
    record: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class IdentityVersionRow(SQLModel, table=True):
    """One distinct state of an identity as the run document shows it (attribution included).
    A run's sightings point at versions, so any past run's document can be rebuilt exactly."""

    __tablename__ = "identity_versions"
    __table_args__ = (UniqueConstraint("identity_pk", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    identity_pk: int = Field(foreign_key="identities.id")
    digest: str
    entry: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SightingRow(SQLModel, table=True):
    """A run saw an identity in this version."""

    __tablename__ = "identity_sightings"
    __table_args__ = (Index("ix_identity_sightings_run_partner", "run_id", "partner"),)

    run_id: str = Field(foreign_key="runs.id", primary_key=True)
    identity_pk: int = Field(foreign_key="identities.id", primary_key=True)
    version_id: int = Field(foreign_key="identity_versions.id")
    partner: str | None = None  # as attributed by that run, for the sweep of one partner
    provider: str
    identity_id: str


class CredentialRow(SQLModel, table=True):
    """The latest state of each credential of each identity, queryable (ages, expiry, sweep)."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("identity_pk", "credential_id"),)

    id: int | None = Field(default=None, primary_key=True)
    identity_pk: int = Field(foreign_key="identities.id", index=True)
    credential_id: str
    kind: str
    active: bool
    created: datetime | None = None
    expires: datetime | None = None
    last_used: str  # a date (ISO), never or unknown
    source: str
    last_seen_run: str


class FindingRow(SQLModel, table=True):
    """The latest state of each finding, keyed by its stable id."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_connector_scope", "connector", "scope"),)

    id: str = Field(primary_key=True)
    rule: str = Field(index=True)
    severity: str
    connector: str
    scope: str
    identity_id: str
    credential_id: str | None = None
    partner: str | None = Field(default=None, index=True)
    owner: str | None = Field(default=None, index=True)
    status: str = Field(index=True)  # open | resolved
    first_seen_run: str
    last_seen_run: str
    resolved_run: str | None = None
    version_id: int | None = None  # its latest FindingVersionRow
    units: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    record: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class FindingVersionRow(SQLModel, table=True):
    """One distinct content of a finding (severity, message, evidence...), without its status."""

    __tablename__ = "finding_versions"
    __table_args__ = (UniqueConstraint("finding_id", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    finding_id: str = Field(index=True)
    digest: str
    record: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class FindingEventRow(SQLModel, table=True):
    """What each run said of each finding: new, open or resolved."""

    __tablename__ = "finding_events"
    __table_args__ = (
        UniqueConstraint("run_id", "finding_id"),
        Index("ix_finding_events_finding", "finding_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="runs.id", index=True)
    finding_id: str
    status: str
    carried: bool = False  # not re-evaluated: its coverage was incomplete in this run
    note: str | None = None  # why it was carried, or what resolved it when no listing did
    version_id: int | None = None  # the content this run showed
    first_seen_run: str | None = None  # as of this run
    severity_rank: int = 0  # for ordering a run's findings in SQL: critical 3 .. low 0
    # the accepted risk this run matched (results.AcceptedRisk), in force or expired; a decision of the run
    suppression: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AcceptedRiskUseRow(SQLModel, table=True):
    """How many findings an accepted-risk entry matched in one run: one that matched nothing in
    its last N runs is reported stale."""

    __tablename__ = "accepted_risk_uses"

    run_id: str = Field(foreign_key="runs.id", primary_key=True)
    shard: int = Field(default=0, primary_key=True)  # the shard's part of a sharded run (0 otherwise)
    entry_id: str = Field(primary_key=True)
    matched: int = 0


class OutboxRow(SQLModel, table=True):
    """An event for the SIEM, written in the transaction of the history it describes
    (:mod:`partner_nhi.store.outbox`). ``id`` orders delivery; ``uid`` is the event's
    ``metadata.uid``, the same however often it is sent."""

    __tablename__ = "siem_outbox"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    run_id: str = Field(index=True)
    finding_id: str | None = None  # None: the run's health
    activity: str  # Create | Update | Close | the run's health (Completed, Error, Cancelled)
    created: datetime = Field(index=True)
    event: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DeliveryRow(SQLModel, table=True):
    """A sink acknowledged an event: it is never sent to that sink again. Each sink keeps its
    own rows, so one SIEM that is down never holds back another."""

    __tablename__ = "siem_deliveries"

    sink: str = Field(primary_key=True)
    event_id: int = Field(foreign_key="siem_outbox.id", primary_key=True, index=True)
    acknowledged: datetime


class AnnouncedFindingRow(SQLModel, table=True):
    """The fingerprint of what the SIEM was last told of each finding: an open finding makes
    an Update only when its fingerprint differs (:func:`partner_nhi.siem.events.fingerprint`)."""

    __tablename__ = "siem_announced"

    finding_id: str = Field(primary_key=True)
    fingerprint: str
    run_id: str  # the run whose event announced it
