"""``scan``: the configured clouds, stored and reported (``demo`` and ``sweep`` have modules of their own)."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from partner_nhi import logs
from partner_nhi.cli.app import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    app,
    err,
    exit_codes_for_errors,
)
from partner_nhi.cli.export import deliver_after_scan
from partner_nhi.cli.options import (
    ConfigOption,
    ConnectorOption,
    DbOption,
    FailOnOption,
    FormatOption,
    OutputOption,
    RegistryOption,
    VerboseOption,
)
from partner_nhi.cli.scanning import accepted_risks, chosen_connectors, load_inputs, scan_and_report
from partner_nhi.errors import ConfigError
from partner_nhi.formats import RunFormat
from partner_nhi.severity import Severity

if TYPE_CHECKING:  # the rest loads when a command runs: `partner-nhi --help` stays fast
    from partner_nhi.results import RunResult
    from partner_nhi.store import Store


def emit_report(store: Store, run: RunResult, fmt: RunFormat | None, output: Path | None) -> None:
    """The report of ``run``, streamed from the store to stdout or atomically to ``output``."""
    from partner_nhi.outputs.files import STDOUT, output_stream
    from partner_nhi.outputs.render import print_report, write_report

    target = output or STDOUT
    on_terminal = target == STDOUT and sys.stdout.isatty()
    chosen = fmt or (RunFormat.table if on_terminal else RunFormat.json)
    document = store.document(run.id)
    if chosen is RunFormat.table and on_terminal:
        print_report(document, Console())
        return
    with output_stream(target) as stream:
        write_report(document, chosen.value, stream)
    if target != STDOUT:
        message = f"wrote the {chosen.value} report to {target}: run {run.status}"
        err.print(message, markup=False, highlight=False, soft_wrap=True)


def scan_exit_code(run: RunResult, fail_on: Severity | None) -> int:
    """3 for a run not complete, else 1 for a current finding at or above ``fail_on``, else 0."""
    if run.status != "complete":
        return EXIT_INCOMPLETE
    if fail_on is not None and run.holds_current_at_or_above(fail_on):
        return EXIT_FINDINGS
    return EXIT_OK


@app.command()
def scan(
    config: ConfigOption = None,
    registry: RegistryOption = None,
    connector: ConnectorOption = None,
    format: FormatOption = None,
    output: OutputOption = None,
    db: DbOption = None,
    fail_on: FailOnOption = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="K/N: scan only this shard's scopes (K from 0, e.g. JOB_COMPLETION_INDEX); needs --run-id "
            "and PostgreSQL. The run is complete when all N shards reported complete.",
        ),
    ] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="The run's id, shared by its shards (e.g. the scheduled time).")
    ] = None,
    no_export: Annotated[
        bool, typer.Option("--no-export", help="Do not deliver to the SIEM sinks at the end (events stay pending).")
    ] = False,
    verbose: VerboseOption = 0,
) -> None:
    """Scan the configured accounts, tenants and projects; store the history; report; deliver
    the SIEM events to the configured sinks."""
    from partner_nhi.shards import Shard

    logs.configure(verbose)
    from partner_nhi.outputs.files import check_output

    with exit_codes_for_errors():
        if output is not None:
            check_output(output)
        part = Shard.parse(shard) if shard is not None else None
        if part is not None and not run_id:
            raise ConfigError("--shard needs --run-id: every shard of one run must name the same run")
        settings, loaded = load_inputs(config, registry)
        accepted = accepted_risks(settings, loaded)
        names = chosen_connectors(settings, connector)
        emit = partial(emit_report, fmt=format, output=output)
        run = scan_and_report(
            "scan", settings, loaded, names, db, emit, run_id=run_id, shard=part, suppressions=accepted
        )
    if settings.siem.sinks and not no_export:
        deliver_after_scan(settings, db)
    raise typer.Exit(scan_exit_code(run, fail_on))
