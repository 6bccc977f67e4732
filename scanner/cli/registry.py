"""``registry validate`` and ``registry schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from partner_nhi.cli.app import EXIT_BAD_INPUT, fail, registry_app
from partner_nhi.errors import ConfigError


@registry_app.command("validate")
def registry_validate(path: Annotated[Path, typer.Argument(help="The registry YAML file.")]) -> None:
    """Report every error with file, line and field; exit 2 if there is any."""
    from partner_nhi.registry import load_registry

    try:
        loaded = load_registry(path)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    typer.echo(
        f"{path}: valid: {len(loaded.owners)} owners, {len(loaded.partners)} partners, "
        f"{len(loaded.assignments)} assignments"
    )


@registry_app.command("schema")
def registry_schema() -> None:
    """Print the registry's JSON Schema (for editors)."""
    from partner_nhi.registry import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))
