"""``sweep --partner ID``: the offboarding gate, from a fresh scan or from the store."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from partner_nhi import logs
from partner_nhi.cli.app import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, app, err, exit_codes_for_errors
from partner_nhi.cli.options import ConfigOption, ConnectorOption, DbOption, RegistryOption, VerboseOption
from partner_nhi.cli.scanning import accepted_risks, chosen_connectors, load_inputs, scan_and_report
from partner_nhi.errors import ConfigError
from partner_nhi.formats import SweepFormat


@app.command()
def sweep(
    partner: Annotated[str, typer.Option("--partner", help="The partner id to offboard.")],
    config: ConfigOption = None,
    registry: RegistryOption = None,
    connector: ConnectorOption = None,
    format: Annotated[
        SweepFormat | None,
        typer.Option("--format", "-f", help="Default: table on a terminal, else json; markdown and html are evidence."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here ('-': stdout).")] = None,
    db: DbOption = None,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Answer from the latest complete run in the store: no cloud is called.")
    ] = False,
    verbose: VerboseOption = 0,
) -> None:
    """Everything one partner holds, in every cloud, with the revocation steps for each, in order.

    Exits 1 while anything of the partner is still active and not accepted as a whole by an
    accepted risk in force (every holding is listed either way), 0 when nothing is, and 3 when a
    scope that could hold the partner's identities was not completely listed (it is named).
    """
    from partner_nhi.connector import load_connector
    from partner_nhi.outputs.files import STDOUT, check_output, output_stream
    from partner_nhi.outputs.sweep import write_sweep
    from partner_nhi.store import Store
    from partner_nhi.store.queries import latest_complete_scan
    from partner_nhi.sweep import sweep_report

    logs.configure(verbose)
    target = output or STDOUT
    chosen = format or (SweepFormat.table if sys.stdout.isatty() and target == STDOUT else SweepFormat.json)
    with exit_codes_for_errors():
        check_output(target)
        settings, loaded = load_inputs(config, registry)
        held_by = loaded.partner(partner)
        if held_by is None:
            raise ConfigError(f"--partner: {partner!r} is not in the registry")
        accepted = accepted_risks(settings, loaded)
        if from_store:
            with Store(db or settings.database, read_only=True) as store:
                run_id = latest_complete_scan(store.engine)
                report = sweep_report(store, run_id, held_by, load_connector, datetime.now(UTC), "store", accepted)
        else:
            names = chosen_connectors(settings, connector)
            swept: list[dict[str, Any]] = []  # read back from the store while the scan's store is open
            scan_and_report(
                f"sweep {partner}",
                settings,
                loaded,
                names,
                db,
                lambda store, run: swept.append(
                    sweep_report(store, run.id, held_by, load_connector, datetime.now(UTC), "scan", accepted)
                ),
                suppressions=accepted,
            )
            [report] = swept
        with output_stream(target) as stream:
            on_terminal = stream is sys.stdout and sys.stdout.isatty()
            write_sweep(report, chosen, stream, Console() if on_terminal else None)
    if target != STDOUT:
        message = f"wrote the {chosen.value} sweep of {partner} to {target}"
        err.print(message, markup=False, highlight=False, soft_wrap=True)
    if report["incomplete_scopes"] or report["run"]["status"] != "complete":
        raise typer.Exit(EXIT_INCOMPLETE)
    raise typer.Exit(EXIT_FINDINGS if report["outstanding"] else EXIT_OK)
