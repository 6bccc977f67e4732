"""Commands that read or amend stored history: ``findings``, ``scopes list``, ``scopes retire``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from partner_nhi.cli.app import app, exit_codes_for_errors, scopes_app
from partner_nhi.cli.options import ConfigOption, DbOption, FindingStatus
from partner_nhi.errors import ConfigError
from partner_nhi.formats import FindingsFormat, ScopesFormat
from partner_nhi.severity import Severity

if TYPE_CHECKING:
    from partner_nhi.store import Store


@app.command()
def findings(
    db: DbOption = None,
    config: ConfigOption = None,
    partner: Annotated[str | None, typer.Option(help="Only this partner's.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule's.")] = None,
    status: Annotated[FindingStatus | None, typer.Option(help="Only findings in this state.")] = None,
    run: Annotated[
        str | None, typer.Option("--run", help="As this run recorded them ('latest' for the last run).")
    ] = None,
    format: Annotated[FindingsFormat | None, typer.Option("--format", "-f")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="Show each remediation.")] = 0,
) -> None:
    """Query the stored history of findings (a table by partner, then owner, on a terminal)."""
    from partner_nhi.config import load_settings
    from partner_nhi.outputs.render import write_csv
    from partner_nhi.outputs.table import print_findings
    from partner_nhi.store import Store
    from partner_nhi.store.queries import identity_states

    with exit_codes_for_errors():
        settings = load_settings(config)
        with Store(db or settings.database, read_only=True) as store:
            run_id = store.latest_run_id() if run == "latest" else run
            _check_filters(store, rule, partner, owner)
            found = store.findings(
                partner=partner, owner=owner, rule=rule, status=status.value if status else None, run_id=run_id
            )
            chosen = format or (FindingsFormat.table if sys.stdout.isatty() else FindingsFormat.json)
            entries = [{**f.model_dump(mode="json", exclude={"units"}), "suppressed": f.suppressed} for f in found]
            if chosen is FindingsFormat.json:
                sys.stdout.write(json.dumps(entries, indent=2) + "\n")
            elif chosen is FindingsFormat.csv:
                write_csv(entries, sys.stdout)
            else:
                entries.sort(key=_by_partner_and_owner)
                console = Console(highlight=False)
                console.print(Text(f"{len(entries)} findings", style="bold"))
                print_findings(
                    console,
                    entries,
                    lambda chunk: identity_states(store.engine, chunk, run_id),
                    datetime.now(UTC),
                    remediation=verbose > 0,
                )


def _check_filters(store: Store, rule: str | None, partner: str | None, owner: str | None) -> None:
    """A filter naming nothing that exists is a typo, not an empty answer: exit 2 with what exists."""
    from partner_nhi.rules.catalogue import RULES_BY_ID

    if rule is not None and rule not in RULES_BY_ID:
        raise ConfigError(f"--rule: no rule {rule!r}; rules: {', '.join(sorted(RULES_BY_ID))}")
    for option, value, column in (("--partner", partner, "partner"), ("--owner", owner, "owner")):
        if value is None:
            continue
        known = store.finding_values(column)
        if value.lower() not in {k.lower() for k in known}:
            listed = ", ".join(sorted(known)) or "none recorded"
            raise ConfigError(f"{option}: no finding names {value!r}; known: {listed}")


def _by_partner_and_owner(finding: dict[str, Any]) -> tuple[Any, ...]:
    """The table's order: by partner, then owner (none last), then the most severe first."""
    partner, owner = finding["partner"], finding["owner"]
    rank = Severity(finding["severity"]).rank
    return (partner is None, partner or "", owner is None, owner or "", -rank, finding["rule"], finding["identity"])


@scopes_app.command("list")
def scopes_list(
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[ScopesFormat | None, typer.Option("--format", "-f")] = None,
) -> None:
    """Every scope history knows: when it was last observed, what is open in it, whether it was retired."""
    from partner_nhi.config import load_settings
    from partner_nhi.store import Store

    with exit_codes_for_errors():
        settings = load_settings(config)
        with Store(db or settings.database, read_only=True) as store:
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
    if (format or (ScopesFormat.table if sys.stdout.isatty() else ScopesFormat.json)) is ScopesFormat.json:
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
