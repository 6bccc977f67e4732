"""Commands that read a past run back from the store: ``report``, ``runs``, ``identities``.

They only read: the store is opened without migrating it, and a database that does not
exist is an error (exit 2 naming it), never a new empty one.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from partner_nhi.cli.app import app, err, exit_codes_for_errors
from partner_nhi.cli.options import ConfigOption, DbOption, RegistryOption
from partner_nhi.errors import ConfigError
from partner_nhi.formats import AuditFormat, ListFormat
from partner_nhi.outputs.table import Column

RunOption = Annotated[
    str, typer.Option("--run", help="A run id (or its unique start), or 'latest' (the last finished run).")
]
SHORT_RUN = 8

if TYPE_CHECKING:  # loaded when a command runs: `partner-nhi --help` stays fast
    from partner_nhi.registry import Registry
    from partner_nhi.store.queries import RunSummary


RUN_COLUMNS = (
    Column("STARTED", 16, 16),
    Column("RUN", 8, 36),
    Column("COMMAND", 7, 30),
    Column("STATUS", 8, 8),
    Column("TOOK", 6, 8),
    Column("SCOPES", 6, 8),
    Column("NHIS", 5, 8),
    Column("FINDINGS N/O/R", 14, 17),
)
RUN_HEADERS = ("started", "run", "command", "status", "duration", "scopes_complete", "identities", "new_open_resolved")
IDENTITY_TABLE = (
    Column("NAME", 12, 40),
    Column("KIND", 12, 28),
    Column("SCOPE", 12, 44),
    Column("ENABLED", 7, 7),
    Column("LAST USED", 10, 10),
    Column("PARTNER", 7, 20),
    Column("OWNER", 10, 40),
)
IDENTITY_COLUMNS = (
    "id", "provider", "kind", "scope", "name", "enabled", "last_used", "partner", "owner", "attribution",
)  # fmt: skip


@app.command()
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="Write the report here ('-': stdout).")],
    run: RunOption = "latest",
    format: Annotated[
        AuditFormat, typer.Option("--format", "-f", help="html: the audit evidence, one file; json: the run document.")
    ] = AuditFormat.html,
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner's identities, findings.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    registry: RegistryOption = None,
) -> None:
    """The audit evidence of a stored run: coverage, ownership, findings, trends, framework mapping.

    With a registry (--registry, or the config's), partners show their name, status and sponsor."""
    from partner_nhi.config import load_settings
    from partner_nhi.outputs.audit import build_audit, write_audit
    from partner_nhi.outputs.files import check_output, output_stream
    from partner_nhi.outputs.render import write_report
    from partner_nhi.registry import load_registry
    from partner_nhi.store import Store

    with exit_codes_for_errors():
        check_output(output)
        settings = load_settings(config)
        registry_path = registry or settings.registry
        loaded: Registry | None = load_registry(registry_path) if registry_path else None
        if partner is not None and loaded is not None and loaded.partner(partner) is None:
            raise ConfigError(f"--partner: {partner!r} is not in the registry")
        with Store(db or settings.database, read_only=True) as store:
            document = store.document(run, partner)
            with output_stream(output) as stream:
                if format is AuditFormat.json:
                    write_report(document, "json", stream)
                else:
                    write_audit(build_audit(document, loaded), format.value, stream)
    if str(output) != "-":
        message = f"wrote the {format.value} report of run {document.run['id']} to {output}"
        err.print(message, markup=False, highlight=False, soft_wrap=True)


@app.command()
def runs(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="The newest this many runs.")] = 20,
    format: Annotated[ListFormat | None, typer.Option("--format", "-f", help="table, json or csv.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The history of runs, newest first: status, counts and duration."""
    from partner_nhi.config import load_settings
    from partner_nhi.outputs.html import duration_text
    from partner_nhi.outputs.table import print_rows
    from partner_nhi.store import Store
    from partner_nhi.store.queries import run_history

    with exit_codes_for_errors():
        settings = load_settings(config)
        with Store(db or settings.database, read_only=True) as store:
            summaries = list(itertools.islice(run_history(store.engine), limit))
    chosen = format or (ListFormat.table if sys.stdout.isatty() else ListFormat.json)
    if chosen is ListFormat.json:
        sys.stdout.write(json.dumps([_run_entry(summary) for summary in summaries], indent=2) + "\n")
        return
    lines = (
        (
            summary.started.isoformat(sep=" ", timespec="minutes")[:16],
            summary.id,
            summary.command,
            summary.status,
            duration_text(summary.duration_seconds),
            f"{summary.scopes.get('complete', 0)}/{sum(summary.scopes.values())}",
            str(summary.identities),
            "/".join(str(summary.findings.get(status, 0)) for status in ("new", "open", "resolved")),
        )
        for summary in summaries
    )
    title = f"{len(summaries)} runs, newest first (--run takes a run id or its unique start)"
    if chosen is ListFormat.csv:
        _write_csv((dict(zip(RUN_HEADERS, row, strict=True)) for row in lines), RUN_HEADERS)
    else:
        print_rows(Console(highlight=False), RUN_COLUMNS, lines, title)


def _run_entry(summary: RunSummary) -> dict[str, Any]:

    return {
        "id": summary.id,
        "command": summary.command,
        "status": summary.status,
        "started": summary.started.isoformat(),
        "finished": summary.finished.isoformat() if summary.finished else None,
        "duration_seconds": summary.duration_seconds,
        "error": summary.error,
        "scopes": summary.scopes,  # by status
        "identities": summary.identities,
        "findings": summary.findings,  # by status: new, open, resolved
    }


@app.command()
def identities(
    run: RunOption = "latest",
    partner: Annotated[str | None, typer.Option(help="Only this partner's.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's (any case).")] = None,
    provider: Annotated[str | None, typer.Option(help="aws, azure, gcp or m365.")] = None,
    kind: Annotated[str | None, typer.Option(help="e.g. aws-user, azure-app, gcp-service-account.")] = None,
    format: Annotated[ListFormat | None, typer.Option("--format", "-f", help="table, json or csv.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The identities a run saw, as it saw and attributed them."""
    from partner_nhi.config import load_settings
    from partner_nhi.outputs.table import print_rows
    from partner_nhi.store import Store

    chosen = format or (ListFormat.table if sys.stdout.isatty() else ListFormat.json)
    with exit_codes_for_errors():
        settings = load_settings(config)
        with Store(db or settings.database, read_only=True) as store:
            found = store.document(run, partner).identities(owner=owner, provider=provider, kind=kind)
            if chosen is ListFormat.json:
                _write_json_list(found)
                return
            if chosen is ListFormat.csv:
                rows = (
                    {
                        **{column: entry[column] for column in IDENTITY_COLUMNS if column != "attribution"},
                        "attribution": f"{entry['attribution']['source']}: {entry['attribution']['detail']}",
                    }
                    for entry in found
                )
                _write_csv(rows, IDENTITY_COLUMNS)
                return
            shown = [
                (
                    entry["name"],
                    entry["kind"],
                    f"{entry['provider']}:{entry['scope']}",
                    "yes" if entry["enabled"] else "no",
                    entry["last_used"][:10],
                    entry["partner"] or "-",
                    entry["owner"] or "-",
                )
                for entry in found
            ]
    print_rows(Console(highlight=False), IDENTITY_TABLE, shown, f"{len(shown)} identities")


def _write_json_list(entries: Any) -> None:
    """A JSON array written as it is read (one entry per page row), whatever its length."""
    sys.stdout.write("[")
    for number, entry in enumerate(entries):
        sys.stdout.write(("," if number else "") + "\n  " + json.dumps(entry))
    sys.stdout.write("\n]\n")


def _write_csv(rows: Any, columns: tuple[str, ...]) -> None:
    from partner_nhi.outputs.render import neutralised

    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: neutralised(value) for column, value in row.items()})
