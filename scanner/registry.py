"""The registry: the customer's owners, partners, how to recognise each partner's
identities, and explicit assignments (format version 1, SPEC §4: extend, never break).

The pydantic models below are the single definition: validation uses them and
``registry.schema.json`` (for editors) is generated from them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from partner_nhi.errors import ConfigError
from partner_nhi.yamlsource import Location, YamlDocument, json_schema_of
from partner_nhi.yamlsource import write_json_schema as write_schema

SCHEMA_PATH = Path(__file__).with_name("registry.schema.json")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OwnerStatus(StrEnum):
    ACTIVE = "active"
    DEPARTED = "departed"


class PartnerStatus(StrEnum):
    ACTIVE = "active"
    OFFBOARDING = "offboarding"
    OFFBOARDED = "offboarded"


class Owner(_Strict):
    id: str = Field(min_length=1, description="Unique; an email is recommended.")
    name: str | None = None
    status: OwnerStatus = OwnerStatus.ACTIVE


class PartnerMatch(_Strict):
    """How to recognise a partner's identities; every list is optional."""

    aws_account_ids: list[str] = Field(default_factory=list, json_schema_extra={"items": {"pattern": r"^\d{12}$"}})
    azure_tenant_ids: list[str] = Field(default_factory=list)
    azure_app_ids: list[str] = Field(default_factory=list)
    publisher_domains: list[str] = Field(default_factory=list)
    gcp_domains: list[str] = Field(default_factory=list)
    gcp_projects: list[str] = Field(default_factory=list)
    name_patterns: list[str] = Field(default_factory=list, description="Shell-style, on the identity's name.")
    oidc_subjects: list[str] = Field(
        default_factory=list,
        description="Shell-style, on the OIDC subjects a federated trust admits, e.g. 'repo:acme-corp/*'.",
    )

    @model_validator(mode="after")
    def _account_ids(self) -> PartnerMatch:
        for account in self.aws_account_ids:
            if not (len(account) == 12 and account.isdigit()):
                raise ValueError(f"aws_account_ids: {account!r} is not a 12-digit account id (quote it)")
        return self


class Partner(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Slug, unique.")
    name: str | None = None
    status: PartnerStatus = PartnerStatus.ACTIVE
    offboarded_on: date | None = Field(default=None, description="Required when offboarded.")
    sponsor: str | None = Field(default=None, description="The internal owner accountable for the partner.")
    match: PartnerMatch = Field(default_factory=PartnerMatch)

    @model_validator(mode="after")
    def _offboarded_date(self) -> Partner:
        if self.status is PartnerStatus.OFFBOARDED and self.offboarded_on is None:
            raise ValueError("offboarded_on is required when status is offboarded")
        return self


class Assignment(_Strict):
    identity: str = Field(min_length=1, description="A native id: ARN, appId or object id, SA email.")
    partner: str | None = None
    owner: str | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> Assignment:
        if self.partner is None and self.owner is None:
            raise ValueError("an assignment needs a partner, an owner or both")
        return self


class TagKeys(_Strict):
    partner: str = "partner"
    owner: str = "owner"


class Registry(_Strict):
    version: Literal[1]
    owners: list[Owner] = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    tags: TagKeys = Field(default_factory=TagKeys)

    def owner(self, owner_id: str | None) -> Owner | None:
        return next((o for o in self.owners if o.id == owner_id), None) if owner_id else None

    def partner(self, partner_id: str | None) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None) if partner_id else None


def cross_reference_errors(registry: Registry) -> list[tuple[Location, str]]:
    """Unknown or duplicate ids anywhere are errors, never silent misses."""
    problems: list[tuple[Location, str]] = []
    owner_ids = {o.id.lower() for o in registry.owners}
    partner_ids = {p.id for p in registry.partners}
    listed: tuple[tuple[str, list[str]], ...] = (
        ("owners", [o.id for o in registry.owners]),
        ("partners", [p.id for p in registry.partners]),
    )
    for kind, ids in listed:
        seen: set[str] = set()
        for index, item_id in enumerate(ids):
            if item_id.lower() in seen:
                problems.append(((kind, index, "id"), f"duplicate id {item_id!r}"))
            seen.add(item_id.lower())
    for index, partner in enumerate(registry.partners):
        if partner.sponsor is not None and partner.sponsor.lower() not in owner_ids:
            problems.append((("partners", index, "sponsor"), f"unknown owner {partner.sponsor!r}"))
    seen_identities: set[str] = set()
    for index, assignment in enumerate(registry.assignments):
        if assignment.partner is not None and assignment.partner not in partner_ids:
            problems.append((("assignments", index, "partner"), f"unknown partner {assignment.partner!r}"))
        if assignment.owner is not None and assignment.owner.lower() not in owner_ids:
            problems.append((("assignments", index, "owner"), f"unknown owner {assignment.owner!r}"))
        if assignment.identity in seen_identities:
            problems.append((("assignments", index, "identity"), f"duplicate assignment for {assignment.identity!r}"))
        seen_identities.add(assignment.identity)
    return problems


def load_registry(path: Path) -> Registry:
    """Load and validate; raise :class:`ConfigError` listing every problem with file:line and field."""
    document = YamlDocument.load(path)
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}:1: the registry must be a mapping with 'version: 1'")
    try:
        registry = Registry.model_validate(document.data)
    except ValidationError as exc:
        raise ConfigError("\n".join(document.validation_errors(exc))) from None
    problems = cross_reference_errors(registry)
    if problems:
        raise ConfigError("\n".join(document.error(loc, message) for loc, message in problems))
    return registry


def json_schema() -> dict[str, object]:
    return json_schema_of(Registry, "partner-nhi registry (version 1)")


def write_json_schema(path: Path = SCHEMA_PATH) -> None:
    write_schema(json_schema(), path)
