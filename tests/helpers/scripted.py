"""A connector driven by its settings, registered as a real plug-in (an entry point in a
dist-info folder on ``sys.path``), for testing what the engine and store do whatever the
cloud: a listing that raises half-way, a malformed record, a failed discovery, a scope
configured twice, a listing held open while another run overtakes it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from partner_nhi.contract import (
    Affiliation,
    CallCounter,
    Connector,
    Credential,
    CredentialKind,
    ErrorKind,
    Identity,
    LastUse,
    MalformedRecord,
    Scope,
    Units,
)

UNIT_USERS = "users"
UNIT_KEYS = "keys"


class ScriptedSettings(BaseModel):
    scopes: list[str] = Field(default_factory=lambda: ["s1"])
    discovered: list[str] = Field(default_factory=list)
    fail_discovery: bool = False
    # per scope: user name -> age of its one key in days (a key over 90 days is unrotated)
    users: dict[str, dict[str, int]] = Field(default_factory=dict)
    malformed: list[str] = Field(default_factory=list)  # user names whose record lacks its created date
    raise_after_listing: bool = False  # collect raises once both units are recorded complete
    hold_file: str | None = None  # collect waits until this file exists (another run overtakes it)
    # per user name: what the cloud records of it (the registry suggestions and diff read these)
    affiliations: dict[str, list[Affiliation]] = Field(default_factory=dict)
    owner_hints: dict[str, list[str]] = Field(default_factory=dict)
    tags: dict[str, dict[str, str]] = Field(default_factory=dict)  # replaces the default owner tag


class ScriptedConnector(Connector):
    name: ClassVar[str] = "scripted"
    settings_model = ScriptedSettings
    resource_types = (UNIT_USERS, UNIT_KEYS)
    settings: ScriptedSettings

    def scopes(self) -> list[Scope]:
        return [Scope(self.name, scope) for scope in self.settings.scopes]

    def discover(self) -> list[Scope]:
        if self.settings.fail_discovery:
            raise PermissionError("organizations:ListAccounts denied")
        return [Scope(self.name, scope) for scope in self.settings.discovered]

    def classify(self, error: BaseException) -> ErrorKind:
        return ErrorKind.FORBIDDEN if isinstance(error, PermissionError) else ErrorKind.UNKNOWN

    def collect(self, scope: Scope, units: Units, calls: CallCounter) -> list[Identity]:
        if self.settings.hold_file:  # held until released, for a minute at most (never left behind)
            deadline = time.monotonic() + 60
            while not Path(self.settings.hold_file).exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        raw = units.fetch(UNIT_USERS, lambda: self._raw_users(scope.id))
        keys = units.fetch(UNIT_KEYS, lambda: {user["name"]: user["key_age"] for user in raw or []})
        if self.settings.raise_after_listing:
            raise RuntimeError("the SDK returned something unexpected after the listings")
        return units.transform(UNIT_USERS, raw or [], lambda user: self._identity(scope.id, user, keys), _name)

    def _identity(self, scope: str, user: dict[str, Any], keys: dict[str, int] | None) -> Identity:
        name = user["name"]
        return _identity(scope, user, keys).model_copy(
            update={
                "affiliations": tuple(self.settings.affiliations.get(name, ())),
                "owner_hints": tuple(self.settings.owner_hints.get(name, ())),
                "tags": self.settings.tags.get(name, {"owner": "alice@example.com"}),
            }
        )

    def _raw_users(self, scope: str) -> list[dict[str, Any]]:
        return [
            {"name": name, "key_age": age, **({} if name in self.settings.malformed else {"created_days": 400})}
            for name, age in self.settings.users.get(scope, {}).items()
        ]

    @classmethod
    def demo_estate(cls) -> None:
        return None


def _name(user: dict[str, Any]) -> str:
    return str(user["name"])


def _identity(scope: str, user: dict[str, Any], keys: dict[str, int] | None) -> Identity:
    from datetime import UTC, datetime, timedelta

    if "created_days" not in user:
        raise MalformedRecord("created_days", "missing")
    now = datetime.now(UTC)
    credentials = ()
    if keys is not None and user["name"] in keys:
        credentials = (
            Credential(
                id=f"key-{user['name']}",
                kind=CredentialKind.ACCESS_KEY,
                created=now - timedelta(days=keys[user["name"]]),
                last_used=LastUse.used(now),
                source=UNIT_KEYS,
            ),
        )
    return Identity(
        id=f"{scope}/{user['name']}",
        provider="scripted",
        kind="scripted-user",
        scope=scope,
        name=user["name"],
        source=UNIT_USERS,
        created=now - timedelta(days=user["created_days"]),
        last_used=LastUse.used(now),
        tags={"owner": "alice@example.com"},
        credentials=credentials,
    )


@contextmanager
def registered(folder: Path) -> Iterator[Path]:
    """Install the scripted connector as a plug-in: a dist-info folder with its entry point."""
    import sys

    dist = folder / "scripted_connector-0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: scripted-connector\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[partner_nhi.connectors]\nscripted = helpers.scripted:ScriptedConnector\n")
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
