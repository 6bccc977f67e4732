"""``suppressions validate`` and ``suppressions schema``: the accepted-risks file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from partner_nhi.cli.app import app, exit_codes_for_errors
from partner_nhi.cli.options import ConfigOption, RegistryOption
from partner_nhi.errors import ConfigError

suppressions_app = typer.Typer(
    help="Accepted risks: validate the file or print its JSON Schema.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(suppressions_app, name="suppressions")


@suppressions_app.command("validate")
def suppressions_validate(
    path: Annotated[Path, typer.Argument(help="The accepted-risks YAML file.")],
    config: ConfigOption = None,
    registry: RegistryOption = None,
) -> None:
    """Report every error with file, line and field (approvers and partners are checked against the
    registry, the lifetime against the configuration's limit); exit 2 if there is any."""
    from partner_nhi.config import load_settings
    from partner_nhi.connector import connector_names
    from partner_nhi.registry import load_registry
    from partner_nhi.suppressions import load_suppressions

    with exit_codes_for_errors():
        settings = load_settings(config)
        registry_path = registry or settings.registry
        if registry_path is None:
            raise ConfigError("no registry to check approvers against: pass --registry FILE or --config")
        today = datetime.now(UTC).date()
        loaded = load_suppressions(
            path, load_registry(registry_path), settings.suppression_policy, connector_names(), today
        )
    expired = sum(1 for entry in loaded.entries if entry.expires < today)
    typer.echo(f"{path}: valid: {len(loaded.entries)} accepted risks ({expired} expired)")


@suppressions_app.command("schema")
def suppressions_schema() -> None:
    """Print the accepted-risks file's JSON Schema (for editors)."""
    from partner_nhi.suppressions import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))
