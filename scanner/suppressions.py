"""Accepted risks (suppressions): findings an owner accepted, with a justification, until a date.

An entry matches findings by any subset of rule, identity (a shell-style pattern on the
native id), finding id, partner, provider and scope. Matching is pure (:func:`accepted_risk`)
and is a decision of each run, not part of what a finding says: every run records, on each
finding's event, the entry that matched and whether it had expired, so a past run reads back
with what was accepted then. A suppressed finding stays in every output; it does not count for
``--fail-on``; once its entry expires it counts again and the report says the acceptance
expired. Entries apply to findings only: a scope or unit that could not be listed stays
visible, a carried finding keeps its reason, and a partial run still exits 3.

An entry that names neither a rule nor a finding accepts the identity as a whole: in a sweep,
an active holding it matches is listed as accepted and does not hold the offboarding gate.

The file (format version 1) is validated like the registry, every error with file, line and
field. The pydantic models are the single definition; ``suppressions.schema.json`` (for
editors) is generated from them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator, model_validator

from partner_nhi.config import Settings, SuppressionPolicy
from partner_nhi.connector import connector_names
from partner_nhi.document import digest
from partner_nhi.errors import ConfigError
from partner_nhi.registry import Registry
from partner_nhi.results import AcceptedRisk, Finding
from partner_nhi.rules.catalogue import RULES_BY_ID
from partner_nhi.yamlsource import Location, YamlDocument, json_schema_of
from partner_nhi.yamlsource import write_json_schema as write_schema

SCHEMA_PATH = Path(__file__).with_name("suppressions.schema.json")
MATCH_FIELDS = ("rule", "identity", "finding", "partner", "provider", "scope")
RULE_IDS: list[JsonValue] = [*sorted(RULES_BY_ID), None]  # for editors: the rule ids of the catalogue


class Suppression(BaseModel):
    """One accepted risk: what it matches, who accepted it, why, and until when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str | None = Field(default=None, json_schema_extra={"enum": RULE_IDS})
    identity: str | None = Field(default=None, min_length=1, description="Shell-style pattern on the native id.")
    finding: str | None = Field(default=None, pattern=r"^nhi-[0-9a-f]{24}$", description="A finding id.")
    partner: str | None = Field(default=None, min_length=1, description="A partner id of the registry.")
    provider: str | None = Field(default=None, min_length=1, description="aws, azure, gcp...")
    scope: str | None = Field(default=None, min_length=1, description="An account, tenant or project id.")
    justification: str = Field(min_length=1, description="Why the risk is accepted (a ticket, a decision).")
    approver: str = Field(min_length=1, description="The owner id (registry) who accepted it.")
    created: date | None = Field(default=None, description="When it was accepted; the lifetime counts from it.")
    expires: date = Field(description="The last day it applies; required.")

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str | None) -> str | None:
        if value is not None and value not in RULES_BY_ID:
            raise ValueError(f"unknown rule {value!r} (known: {', '.join(sorted(RULES_BY_ID))})")
        return value

    @field_validator("justification")
    @classmethod
    def _says_something(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a justification cannot be blank")
        return value

    @model_validator(mode="after")
    def _matches_something(self) -> Suppression:
        if all(getattr(self, name) is None for name in MATCH_FIELDS):
            raise ValueError(f"an entry needs at least one of {', '.join(MATCH_FIELDS)}: it would accept everything")
        if self.created is not None and self.created > self.expires:
            raise ValueError(f"created ({self.created}) is after expires ({self.expires})")
        return self

    @property
    def id(self) -> str:
        """Stable while the match is unchanged (a new justification or expiry keeps it): the key
        under which each run records how many findings the entry matched."""
        return "acc-" + digest({name: getattr(self, name) for name in MATCH_FIELDS})[:12]

    def matches(
        self,
        *,
        identity: str,
        partner: str | None,
        provider: str,
        scope: str,
        rule: str | None = None,
        finding: str | None = None,
    ) -> bool:
        """A finding (``rule`` and ``finding`` given) or an identity as a whole (neither)."""
        wanted: tuple[tuple[str | None, str | None], ...] = (
            (self.rule, rule),
            (self.finding, finding),
            (self.partner, partner),
            (self.provider, provider),
            (self.scope, scope),
        )
        if any(value is not None and value != actual for value, actual in wanted):
            return False
        return self.identity is None or fnmatchcase(identity, self.identity)

    def state(self, today: date) -> AcceptedRisk:
        return AcceptedRisk(
            id=self.id,
            justification=self.justification,
            approver=self.approver,
            expires=self.expires,
            expired=today > self.expires,
        )


class SuppressionFile(BaseModel):
    """The accepted-risks file, format version 1 (a contract: extend it, never break it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    suppressions: list[Suppression] = Field(default_factory=list)


def accepted_risk(entries: Iterable[Suppression], finding: Finding, today: date) -> AcceptedRisk | None:
    """The first entry in force that matches ``finding``; else the first expired one that does,
    so the report can say the acceptance expired; else ``None``."""
    matching = [
        entry
        for entry in entries
        if entry.matches(
            identity=finding.identity,
            partner=finding.partner,
            provider=finding.provider,
            scope=finding.scope,
            rule=finding.rule,
            finding=finding.id,
        )
    ]
    chosen = next((e for e in matching if e.expires >= today), matching[0] if matching else None)
    return chosen.state(today) if chosen else None


@dataclass(frozen=True)
class Suppressions:
    """The entries of one accepted-risks file, as a run applies them."""

    entries: tuple[Suppression, ...] = ()
    places: tuple[str, ...] = ()  # file:line of each entry, for the stale report
    stale_after_runs: int = SuppressionPolicy().stale_after_runs

    def review(self, findings: list[Finding], today: date) -> list[Finding]:
        """Each finding with the accepted risk this run finds for it (or none)."""
        return [
            finding.model_copy(update={"suppression": accepted_risk(self.entries, finding, today)})
            for finding in findings
        ]

    def for_identity(
        self, identity: str, partner: str | None, provider: str, scope: str, today: date
    ) -> AcceptedRisk | None:
        """The entry in force that accepts an identity as a whole (one naming no rule nor finding)."""
        for entry in self.entries:
            if entry.expires >= today and entry.matches(
                identity=identity, partner=partner, provider=provider, scope=scope
            ):
                return entry.state(today)
        return None

    def applicable(self, providers: Collection[str]) -> list[Suppression]:
        """The entries a run of these providers could match: one naming another provider says
        nothing about this run, so the run does not count towards it being stale."""
        return [e for e in self.entries if e.provider is None or e.provider in providers]

    def stale(self, history: Mapping[str, Sequence[int]]) -> list[str]:
        """A message for each entry that matched nothing in each of its last ``stale_after_runs``
        runs; ``history`` gives, per entry id, the findings it matched in its recent runs (newest first)."""
        messages = []
        for entry, place in zip(self.entries, self.places, strict=True):
            recent = list(history.get(entry.id, ()))[: self.stale_after_runs]
            if len(recent) == self.stale_after_runs and not any(recent):
                messages.append(
                    f"{place}: accepted risk {entry.id} matched no finding in the last {self.stale_after_runs} runs: "
                    "stale (remove it, or correct what it matches)"
                )
        return messages


def load_suppressions(
    path: Path, registry: Registry, policy: SuppressionPolicy, providers: Collection[str], today: date
) -> Suppressions:
    """Load and validate; raise :class:`ConfigError` listing every problem with file:line and field."""
    document = YamlDocument.load(path)
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}:1: the accepted-risks file must be a mapping with 'version: 1'")
    try:
        loaded = SuppressionFile.model_validate(document.data)
    except ValidationError as exc:
        raise ConfigError("\n".join(document.validation_errors(exc))) from None
    problems = cross_reference_errors(loaded, registry, policy, providers, today)
    if problems:
        raise ConfigError("\n".join(document.error(loc, message) for loc, message in problems))
    places = tuple(document.where(("suppressions", index)) for index in range(len(loaded.suppressions)))
    return Suppressions(tuple(loaded.suppressions), places, policy.stale_after_runs)


def configured_suppressions(settings: Settings, registry: Registry, today: date) -> Suppressions:
    """The accepted risks of the file the configuration names (none when it names none)."""
    policy = settings.suppression_policy
    if settings.suppressions is None:
        return Suppressions(stale_after_runs=policy.stale_after_runs)
    return load_suppressions(settings.suppressions, registry, policy, connector_names(), today)


def cross_reference_errors(
    loaded: SuppressionFile, registry: Registry, policy: SuppressionPolicy, providers: Collection[str], today: date
) -> list[tuple[Location, str]]:
    """What the models alone cannot check: ids of the registry and the installed providers, the
    maximum lifetime, and two entries with the same match (which one applies would be a guess)."""
    owners = {o.id.lower() for o in registry.owners}
    partners = {p.id for p in registry.partners}
    limit = timedelta(days=policy.max_lifetime_days)
    problems: list[tuple[Location, str]] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(loaded.suppressions):
        at = ("suppressions", index)
        if entry.approver.lower() not in owners:
            problems.append(
                ((*at, "approver"), f"unknown owner {entry.approver!r}: approvers are owners of the registry")
            )
        if entry.partner is not None and entry.partner not in partners:
            problems.append(((*at, "partner"), f"unknown partner {entry.partner!r}"))
        if entry.provider is not None and entry.provider not in providers:
            known = ", ".join(sorted(providers))
            problems.append(((*at, "provider"), f"unknown provider {entry.provider!r} (installed: {known})"))
        start, since = (entry.created, f"created {entry.created}") if entry.created else (today, "today")
        if entry.created is not None and entry.created > today + timedelta(days=1):  # a day for time zones
            problems.append(((*at, "created"), f"{entry.created} is in the future"))
        if entry.expires - start > limit:
            problems.append(
                (
                    (*at, "expires"),
                    f"{entry.expires} is {(entry.expires - start).days} days after {since}: the longest an acceptance "
                    f"may last is {policy.max_lifetime_days} days (suppression_policy.max_lifetime_days)",
                )
            )
        if entry.id in seen:
            problems.append((at, f"matches exactly what suppressions[{seen[entry.id]}] matches"))
        seen.setdefault(entry.id, index)
    return problems


def json_schema() -> dict[str, object]:
    return json_schema_of(SuppressionFile, "partner-nhi accepted risks (version 1)")


def write_json_schema(path: Path = SCHEMA_PATH) -> None:
    write_schema(json_schema(), path)
