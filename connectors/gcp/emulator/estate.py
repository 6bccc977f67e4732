"""Seed data of the emulators: plain dataclasses, so a test builds its own estate.

Ids (unique ids, key ids, project numbers) are derived from names, so the same
estate gives the same ids in every run: findings keep their stable ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


def _digits(seed: str, length: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:length]


def key_id(seed: str) -> str:
    """A 40-hex-digit key id, as IAM issues them."""
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Key:
    id: str
    valid_after: datetime
    valid_before: datetime | None = None  # None: never expires (year 9999)
    disabled: bool = False
    origin: str = "GOOGLE_PROVIDED"  # or USER_PROVIDED (an uploaded public key)
    type: str = "USER_MANAGED"  # SYSTEM_MANAGED keys are listed only when asked for
    last_authenticated: datetime | str | None = None  # what Policy Analyzer reports; text is sent as it is


@dataclass
class Account:
    account_id: str  # the email's local part
    display_name: str = ""
    description: str = ""
    disabled: bool = False
    keys: list[Key] = field(default_factory=list)
    last_authenticated: datetime | str | None = None  # as for a key

    def email(self, project: str) -> str:
        return f"{self.account_id}@{project}.iam.gserviceaccount.com"

    def unique_id(self, project: str) -> str:
        return "1" + _digits(self.email(project), 20)


@dataclass
class Binding:
    role: str
    members: list[str]
    condition: dict[str, str] | None = None  # {"title", "expression"}


@dataclass
class Provider:
    """A workload identity pool provider: trusts an OIDC issuer or an AWS account."""

    id: str
    issuer: str | None = None  # an OIDC issuer URI
    aws_account: str | None = None
    attribute_condition: str | None = None  # None: any credential the issuer signs is accepted
    disabled: bool = False


@dataclass
class Pool:
    id: str
    providers: list[Provider] = field(default_factory=list)
    disabled: bool = False


@dataclass
class Project:
    id: str
    accounts: list[Account] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    parent: str | None = None  # organizations/N or folders/N
    pools: list[Pool] = field(default_factory=list)  # workload identity pools

    @property
    def number(self) -> str:
        return "4" + _digits(self.id, 11)


@dataclass
class Folder:
    name: str  # folders/N
    parent: str  # organizations/N or folders/N
    bindings: list[Binding] = field(default_factory=list)


@dataclass
class Organization:
    name: str  # organizations/N
    bindings: list[Binding] = field(default_factory=list)


@dataclass
class Estate:
    projects: list[Project]
    folders: list[Folder] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)
    custom_roles: dict[str, list[str]] = field(default_factory=dict)  # projects/P/roles/R -> permissions
    _by_email: dict[str, tuple[Project, Account]] = field(default_factory=dict, repr=False)

    def project(self, project_id: str) -> Project | None:
        return next((p for p in self.projects if p.id == project_id), None)

    def bindings_of(self, resource: str) -> list[Binding] | None:
        """The allow policy's bindings of ``projects/P``, ``folders/N`` or ``organizations/N``."""
        kind, _, name = resource.partition("/")
        if kind == "projects":
            project = self.project(name)
            return project.bindings if project else None
        holders = self.folders if kind == "folders" else self.organizations
        return next((h.bindings for h in holders if h.name == resource), None)

    def account(self, email: str) -> tuple[Project, Account] | None:
        """The project and account of a service-account email (indexed: one lookup per key listing)."""
        count = sum(len(project.accounts) for project in self.projects)
        if len(self._by_email) != count:  # rebuilt when tests add accounts
            self._by_email = {a.email(p.id): (p, a) for p in self.projects for a in p.accounts}
        return self._by_email.get(email.lower())
