"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from partner_nhi.formats import RunFormat
from partner_nhi.severity import Severity

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML configuration file.", envvar="PARTNER_NHI_CONFIG")
]
RegistryOption = Annotated[
    Path | None, typer.Option("--registry", "-r", help="Registry YAML (overrides the config's).")
]
ConnectorOption = Annotated[
    list[str] | None, typer.Option("--connector", help="Connector(s) to run; default: those configured, else aws.")
]
FormatOption = Annotated[
    RunFormat | None, typer.Option("--format", "-f", help="Default: table on a terminal, json otherwise.")
]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")]
DbOption = Annotated[
    str | None, typer.Option("--db", help="SQLAlchemy URL of the store (default sqlite:///partner-nhi.db).")
]
FailOnOption = Annotated[
    Severity | None, typer.Option("--fail-on", help="Exit 1 when a current finding is at or above this.")
]
VerboseOption = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output on stderr.")]


class FindingStatus(StrEnum):
    new = "new"
    open = "open"
    resolved = "resolved"
