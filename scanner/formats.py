"""Every output format, listed once per command: a command accepts exactly the formats it can
write, typer shows them in ``--help`` and refuses any other with exit 2. A module of its own,
with nothing but the enumerations, so the command line can name them without loading the
writers."""

from __future__ import annotations

from enum import StrEnum


class RunFormat(StrEnum):
    """``scan`` and ``demo``: the run's report."""

    table = "table"
    json = "json"
    csv = "csv"
    ocsf = "ocsf"


class FindingsFormat(StrEnum):
    """``findings``: stored findings."""

    table = "table"
    json = "json"
    csv = "csv"


class ListFormat(StrEnum):
    """``runs``, ``identities``: rows read back from history."""

    table = "table"
    json = "json"
    csv = "csv"


class ScopesFormat(StrEnum):
    """``scopes list``."""

    table = "table"
    json = "json"


class SweepFormat(StrEnum):
    """``sweep``: the gate, and the offboarding evidence (markdown, html)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


class AuditFormat(StrEnum):
    """``report``: the audit evidence (html, markdown), or the run's JSON document."""

    html = "html"
    markdown = "markdown"
    json = "json"
