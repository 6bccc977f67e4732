"""Commands that scan: ``scan`` and ``demo`` (``sweep`` is in :mod:`partner_nhi.cli.sweep`)."""

from __future__ import annotations

import sys
import tempfile
from contextlib import ExitStack
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

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


def _emit(store: Store, run: RunResult, fmt: RunFormat | None, output: Path | None) -> None:
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


def _exit_code(run: RunResult, fail_on: Severity | None) -> int:
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
        emit = partial(_emit, fmt=format, output=output)
        run = scan_and_report(
            "scan", settings, loaded, names, db, emit, run_id=run_id, shard=part, suppressions=accepted
        )
    if settings.siem.sinks and not no_export:
        deliver_after_scan(settings, db)
    raise typer.Exit(_exit_code(run, fail_on))


@app.command()
def demo(
    connector: ConnectorOption = None,
    format: FormatOption = None,
    output: OutputOption = None,
    db: DbOption = None,
    verbose: VerboseOption = 0,
) -> None:
    """Run the whole product against a built-in simulated estate: no credentials, no network."""
    from partner_nhi.config import Settings
    from partner_nhi.connector import connector_names, load_connector
    from partner_nhi.outputs.files import check_output
    from partner_nhi.registry import load_registry

    logs.configure(verbose)
    with exit_codes_for_errors():
        if output is not None:
            check_output(output)
        installed = connector_names()
        unknown = sorted(set(connector or []) - set(installed))
        if unknown:
            raise ConfigError(
                f"--connector: unknown connector(s) {', '.join(unknown)} (installed: {', '.join(installed)})"
            )
    names = connector or installed
    registry_file = Path(str(files("partner_nhi.demo").joinpath("registry.yaml")))
    with ExitStack() as stack:
        estates: dict[str, dict[str, Any]] = {}
        for name in names:
            try:
                estate = load_connector(name).demo_estate()
            except (ImportError, ConfigError) as exc:
                err.print(f"[yellow]skipping {name}:[/] its demo is not available here ({escape(str(exc))})")
                continue
            if estate is not None:
                err.print(f"starting the simulated {name} estate…")
                estates[name] = stack.enter_context(estate)
        settings = Settings(connectors=estates, retry={"attempts": 3, "initial_delay": 0.2, "max_delay": 2})
        if db is None:
            db = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/demo.db"
        with exit_codes_for_errors():
            err.print(f"demo registry: {registry_file}", markup=False, highlight=False)
            run = scan_and_report(
                "demo",
                settings,
                load_registry(registry_file),
                sorted(estates),
                db,
                partial(_emit, fmt=format, output=output),
            )
    raise typer.Exit(_exit_code(run, None))
