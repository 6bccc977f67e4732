"""Settings: one YAML file plus ``PARTNER_NHI_*`` environment variables (which win).

Credentials never come from here: each connector uses its cloud's standard chain.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from partner_nhi.errors import ConfigError
from partner_nhi.rules.catalogue import DEFAULT_THRESHOLDS
from partner_nhi.siem.config import SiemSettings
from partner_nhi.yamlsource import YamlDocument, dotted

DEFAULT_DATABASE = "sqlite:///partner-nhi.db"


def _known_thresholds(values: dict[str, int]) -> dict[str, int]:
    unknown = sorted(set(values) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise ValueError(f"no threshold for {', '.join(unknown)}; known: {', '.join(sorted(DEFAULT_THRESHOLDS))}")
    if any(days < 0 for days in values.values()):
        raise ValueError("thresholds are days, zero or more")
    return values


class Thresholds(BaseModel):
    """Days per rule id; a partner's override beats a provider's, which beats the default."""

    model_config = ConfigDict(extra="forbid")

    default: dict[str, int] = Field(default_factory=dict)
    providers: dict[str, dict[str, int]] = Field(default_factory=dict)
    partners: dict[str, dict[str, int]] = Field(default_factory=dict)

    @field_validator("default")
    @classmethod
    def _check_default(cls, value: dict[str, int]) -> dict[str, int]:
        return _known_thresholds(value)

    @field_validator("providers", "partners")
    @classmethod
    def _check_nested(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for overrides in value.values():
            _known_thresholds(overrides)
        return value

    def resolve(self, provider: str, partner: str | None) -> dict[str, int]:
        return {
            **DEFAULT_THRESHOLDS,
            **self.default,
            **self.providers.get(provider, {}),
            **(self.partners.get(partner, {}) if partner else {}),
        }


class SuppressionPolicy(BaseModel):
    """Limits on accepted risks (the file named by ``suppressions:``)."""

    model_config = ConfigDict(extra="forbid")

    max_lifetime_days: int = Field(default=180, ge=1, description="the longest an acceptance may last")
    stale_after_runs: int = Field(
        default=7, ge=1, description="an entry that matched nothing in this many runs in a row is reported stale"
    )


class RetrySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=4, ge=1, le=20)
    initial_delay: float = Field(default=1.0, ge=0)
    max_delay: float = Field(default=30.0, ge=0)
    unit_deadline_seconds: float = Field(default=1800.0, gt=0, description="one resource type of one scope")
    scope_deadline_seconds: float = Field(default=7200.0, gt=0, description="one account, tenant or project")


class Settings(BaseSettings):
    """Everything a run needs besides the registry's content."""

    model_config = SettingsConfigDict(env_prefix="PARTNER_NHI_", env_nested_delimiter="__", extra="forbid")

    registry: Path | None = None
    suppressions: Path | None = Field(default=None, description="accepted risks (YAML), relative to this file")
    suppression_policy: SuppressionPolicy = Field(default_factory=SuppressionPolicy)
    database: str = DEFAULT_DATABASE
    concurrency: int = Field(default=8, ge=1, le=64, description="scopes scanned at once")
    shard_deadline_minutes: int = Field(
        default=360, ge=0, description="a sharded run whose shards have not all reported by then is partial"
    )
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    siem: SiemSettings = Field(default_factory=SiemSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)  # 12-factor: the environment beats the file


def load_settings(path: Path | None) -> Settings:
    """Read the YAML file (if any); errors name file, line and field."""
    document = YamlDocument.load(path) if path else None
    data = document.data if document else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the configuration must be a mapping")
    try:
        settings = Settings(**data)
    except SettingsError as exc:  # an environment variable that is not what its field takes
        raise ConfigError(f"environment (PARTNER_NHI_*): {exc}") from None
    except ValidationError as exc:
        if document is None:
            raise ConfigError.from_validation(exc, prefix="") from None
        raise ConfigError("\n".join(document.validation_errors(exc))) from None
    if path is not None:  # paths in the file are relative to the file, not to where the command runs
        for key in ("registry", "suppressions"):
            named: Path | None = getattr(settings, key)
            if named is not None and not named.is_absolute():
                setattr(settings, key, (path.parent / named).resolve())
        if settings.database == data.get("database"):
            settings.database = relative_to(settings.database, path.parent)
    return settings


def relative_to(database: str, folder: Path) -> str:
    """A relative SQLite path (``sqlite:///file.db``) resolved against ``folder``."""
    prefix = "sqlite:///"
    if not database.startswith(prefix) or database[len(prefix) :].startswith("/") or database == prefix:
        return database
    name = database[len(prefix) :]
    if name.startswith(":memory:"):
        return database
    return prefix + str((folder / name).resolve())


def check_threshold_keys(
    settings: Settings, partners: Collection[str], providers: Collection[str], path: Path | None
) -> None:
    """Per-provider and per-partner thresholds must name an installed provider and a registered
    partner: a misspelled key would otherwise change nothing, silently. ``path`` is the config
    file the keys may come from, for the line of each error."""
    document = YamlDocument.load(path) if path else None
    problems = []
    for section, known, what in (("providers", providers, "provider"), ("partners", partners, "partner")):
        overrides: dict[str, dict[str, int]] = getattr(settings.thresholds, section)
        for key in sorted(set(overrides) - set(known)):
            location = ("thresholds", section, key)
            message = f"unknown {what} {key!r} (known: {', '.join(sorted(known)) or 'none'})"
            problems.append(document.error(location, message) if document else f"{dotted(location)}: {message}")
    if problems:
        raise ConfigError("\n".join(problems))
