"""Commands that read or amend stored history: ``findings``, ``scopes list``, ``scopes retire``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from partner_nhi.cli.app import app, exit_codes_for_errors, scopes_app
from partner_nhi.cli.options import ConfigOption, DbOption, Format


@app.command()
def findings(
    db: DbOption = None,
    config: ConfigOption = None,
    partner: Annotated[str | None, typer.Option(help="Only this partner's.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule's.")] = None,
    status: Annotated[str | None, typer.Option(help="new, open or resolved.")] = None,
    run: Annotated[
        str | None, typer.Option("--run", help="As this run recorded them ('latest' for the last run).")
    ] = None,
    format: Annotated[Format | None, typer.Option("--format", "-f", help="table, json or csv.")] = None,
) -> None:
    """Query the stored history of findings."""
    from partner_nhi.config import load_settings
    from partner_nhi.outputs.render import findings_tables, write_csv
    from partner_nhi.store import Store

    with exit_codes_for_errors():
        settings = load_settings(config)
        with Store(db or settings.database) as store:
            run_id = store.latest_run_id() if run == "latest" else run
            found = store.findings(partner=partner, owner=owner, rule=rule, status=status, run_id=run_id)
    chosen = format or (Format.table if sys.stdout.isatty() else Format.json)
    entries = [{**f.model_dump(mode="json", exclude={"units"}), "suppressed": f.suppressed} for f in found]
    if chosen is Format.json:
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
    elif chosen is Format.csv:
        write_csv(entries, sys.stdout)
    else:
        console = Console()
        for table in findings_tables(entries, f"{len(entries)} findings"):
            console.print(table)


@scopes_app.command("list")
def scopes_list(
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[Format | None, typer.Option("--format", "-f", help="table or json.")] = None,
) -> None:
    """Every scope history knows: when it was last observed, what is open in it, whether it was retired."""
    from partner_nhi.config import load_settings
    from partner_nhi.store import Store

    with exit_codes_for_errors():
        settings = load_settings(config)
        with Store(db or settings.database) as store:
            known = store.known_scopes()
    rows = [
        {
            "connector": k.connector,
            "scope": k.scope,
            "observed_at": k.observed_at.isoformat() if k.observed_at else None,
            "run": k.run_id,
            "open_findings": k.open_findings,
            "identities": k.identities,
            "retired": k.retired_run is not None,
            "retired_reason": k.retired_reason,
        }
        for k in known
    ]
    if (format or (Format.table if sys.stdout.isatty() else Format.json)) is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} scopes", title_justify="left")
    for column in ("connector", "scope", "last observed", "open findings", "identities", "retired"):
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = (row["connector"], row["scope"], row["observed_at"] or "-", row["open_findings"], row["identities"])
        retired = (row["retired_reason"] or "yes") if row["retired"] else "-"
        table.add_row(*(Text(str(cell)) for cell in (*cells, retired)))  # Text: never read as markup
    Console(highlight=False).print(table)


@scopes_app.command("retire")
def scopes_retire(
    connector: Annotated[str, typer.Argument(help="The connector, e.g. aws.")],
    scope: Annotated[str, typer.Argument(help="The account, tenant or project id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it left the estate (kept as evidence).")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """A scope removed from the configuration on purpose: resolve its open findings, with the reason
    as evidence, so later runs stop carrying them. Scanning it again brings it back."""
    from partner_nhi.config import load_settings
    from partner_nhi.store import Store

    with exit_codes_for_errors():
        settings = load_settings(config)
        with Store(db or settings.database) as store:
            run_id, resolved = store.retire_scope(connector, scope, reason)
    typer.echo(f"retired {connector}:{scope}: {resolved} open findings resolved (recorded as run {run_id})")
