"""What connectors hand over: normalized identities and credentials.

Every field is a fact a cloud API returned, never a secret value: key ids,
fingerprints, hints and dates only. Connectors build these; the core judges them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CredentialKind(StrEnum):
    ACCESS_KEY = "access-key"
    SSH_KEY = "ssh-key"
    SERVICE_CREDENTIAL = "service-credential"
    SIGNING_CERTIFICATE = "signing-certificate"
    CONSOLE_PASSWORD = "console-password"  # noqa: S105 - a kind, not a password
    CLIENT_SECRET = "client-secret"  # noqa: S105 - a kind, not a secret
    CLIENT_CERTIFICATE = "client-certificate"
    FEDERATED = "federated"
    SERVICE_ACCOUNT_KEY = "service-account-key"

    @property
    def holds_secret(self) -> bool:
        """A federated credential has no secret to rotate; a console password is a human's."""
        return self not in (CredentialKind.FEDERATED, CredentialKind.CONSOLE_PASSWORD)

    @property
    def is_api_key(self) -> bool:
        """Kinds where two active at once is a rotation left half-done."""
        return self in (
            CredentialKind.ACCESS_KEY,
            CredentialKind.CLIENT_SECRET,
            CredentialKind.CLIENT_CERTIFICATE,
            CredentialKind.SERVICE_ACCOUNT_KEY,
        )


def utc(value: datetime | None) -> datetime | None:
    """APIs (and moto) return naive datetimes; everything in partner-nhi is aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class LastUse(BaseModel):
    """Last use is a date, ``never`` (the API says so) or ``unknown`` (not exposed).

    Unknown is not never: a staleness rule cannot decide on ``unknown``.
    """

    model_config = ConfigDict(frozen=True)

    state: str = Field(pattern="^(used|never|unknown)$")
    at: datetime | None = None
    detail: str | None = None
    # When the date is unknown but the provider's record shows no use since then (its tracking
    # window is shorter than the identity's life): enough to call it idle for longer.
    not_since: datetime | None = None

    @field_validator("at", "not_since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return utc(value)

    @classmethod
    def used(cls, at: datetime, detail: str | None = None) -> LastUse:
        return cls(state="used", at=at, detail=detail)

    @classmethod
    def never(cls) -> LastUse:
        return cls(state="never")

    @classmethod
    def unknown(cls, why: str | None = None) -> LastUse:
        return cls(state="unknown", detail=why)

    @classmethod
    def unused_since(cls, since: datetime, why: str) -> LastUse:
        """Not used on or after ``since``; whether (and when) before is not recorded."""
        return cls(state="unknown", detail=why, not_since=since)

    @staticmethod
    def latest(*uses: LastUse) -> LastUse:
        """The most recent of several signals. One unknown makes the whole unknown:
        that signal might be the most recent one."""
        unknown = [u for u in uses if u.state == "unknown"]
        if unknown:
            return LastUse.unknown(unknown[0].detail)
        dated = [u for u in uses if u.state == "used" and u.at is not None]
        if dated:
            return max(dated, key=lambda u: u.at or datetime.min.replace(tzinfo=UTC))
        return LastUse.never()

    def as_text(self) -> str:
        return self.at.isoformat() if self.state == "used" and self.at else self.state


class Affiliation(BaseModel):
    """A fact tying an identity to a party: an account its trust policy names, the
    tenant that owns it, its publisher domain, its home project.

    ``kind`` is one of the registry's match keys (``aws-account``, ``azure-tenant``,
    ``azure-app``, ``publisher-domain``, ``gcp-domain``, ``gcp-project``; ``oidc-subject``,
    a subject a federated trust admits, matched by the registry's patterns) or a
    descriptive one the registry cannot match (``aws-service``, ``oidc``, ``saml``, and
    ``deleted-principal`` for a trusted principal that no longer exists).
    ``external`` means outside the customer: such a party must be in the registry.

    ``gap`` is what the trust leaves open, as the connector read its cloud's conditions:
    ``no-external-id`` (another account may assume it for anyone it serves: a confused
    deputy) or ``anyone`` (any principal at all, no restricting condition); ``detail`` says
    why. (A federation admitting more than one workload is ``Credential.admits_many``.)
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    value: str
    external: bool = False
    gap: str | None = None
    detail: str | None = None


class EntitlementKind(StrEnum):
    APPLICATION = "application"  # an app-only permission on an API (an app role assignment)
    DELEGATED = "delegated"  # a delegated scope: the app acts as the users who consented
    ROLE = "role"  # a cloud role at a scope (an Azure RBAC role assignment)


class EntitlementLevel(StrEnum):
    """What holding it exposes, as the connector's classification says (with its source)."""

    HIGH = "high"  # write, or read-all, of mail, files, sites, the directory, roles or credentials
    MEDIUM = "medium"
    LOW = "low"


class Entitlement(BaseModel):
    """A permission an identity holds on a resource, for rules that judge what it can do and for
    remediation that names what to remove: the objects conferring it are listed by native id."""

    model_config = ConfigDict(frozen=True)

    kind: EntitlementKind
    resource: str  # the API or scope it applies to: "Microsoft Graph", "/subscriptions/…"
    permission: str  # "Mail.ReadWrite", "Reader"
    level: EntitlementLevel
    classified_by: str  # where the level comes from (a reference, or why it is a default)
    all_users: bool = False  # delegated: consented for every user of the tenant
    users: int = 0  # delegated: how many users consented for themselves
    ids: tuple[str, ...] = ()  # the grants or assignments conferring it: what a revocation removes
    source: str  # the resource type (coverage unit) that listed it

    def describe(self) -> str:
        """``Mail.ReadWrite on Microsoft Graph (application)``; delegated says to whom."""
        if self.kind is EntitlementKind.ROLE:
            return f"{self.permission} on {self.resource}"
        audience = ""
        if self.kind is EntitlementKind.DELEGATED:
            audience = ", all users" if self.all_users else f", {self.users} user(s)"
        return f"{self.permission} on {self.resource} ({self.kind}{audience})"


class Credential(BaseModel):
    """A key, secret, certificate or federation an identity authenticates with."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: CredentialKind
    active: bool = True
    created: datetime | None = None
    expires: datetime | None = None
    last_used: LastUse = LastUse.unknown()
    display: str | None = None  # a hint, a fingerprint, a federation subject: never the secret
    source: str  # the resource type (coverage unit) that listed it
    # A federation whose issuer and subject admit more than one workload (any pull request, every
    # repository of an organisation): why, as the connector that knows the issuer judged it.
    admits_many: str | None = None

    @field_validator("created", "expires")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return utc(value)


class Identity(BaseModel):
    """One non-human identity, as a connector saw it in one scope."""

    model_config = ConfigDict(frozen=True)

    id: str  # native id: ARN, object id, service-account email
    provider: str
    kind: str  # e.g. aws-user, aws-role, azure-app, gcp-service-account
    scope: str  # account id, tenant id, project id
    name: str
    source: str  # the resource type (coverage unit) that listed it
    # Other units whose data shaped this record (e.g. an app's service-principal listing, the
    # credential report): the identity is "gone", and its findings resolve, only when all completed.
    also_from: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other native ids an assignment may name (appId, unique id)
    created: datetime | None = None
    last_used: LastUse = LastUse.unknown()
    enabled: bool = True
    provider_managed: bool = False  # e.g. AWS service-linked roles: not a partner NHI
    privileged: bool = False
    permissions: tuple[str, ...] = ()  # roles/policies held, for evidence and severity
    entitlements: tuple[Entitlement, ...] = ()  # the same, structured, where rules judge them
    publisher_verified: bool | None = None  # the platform vouches for its publisher; None: no such notion
    tags: dict[str, str] = Field(default_factory=dict)
    affiliations: tuple[Affiliation, ...] = ()
    owner_hints: tuple[str, ...] = ()  # emails/UPNs the cloud records as owners
    credentials: tuple[Credential, ...] = ()
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("created")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return utc(value)

    @property
    def units(self) -> tuple[str, ...]:
        """Every coverage unit that must be complete before this identity's absence means gone."""
        return tuple(dict.fromkeys((self.source, *self.also_from)))

    def units_for(self, credential: str | None) -> list[str]:
        """The units a finding on this identity (or on one of its credentials) relied on."""
        held = [c.source for c in self.credentials if credential is None or c.id == credential]
        return list(dict.fromkeys((*self.units, *held)))
