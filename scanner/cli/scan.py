"""Commands that scan: ``scan``, ``demo`` and ``sweep``."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from partner_nhi import logs
from partner_nhi.cli.app import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    app,
    err,
    exit_codes_for_errors,
)
from partner_nhi.cli.options import (
    ConfigOption,
    ConnectorOption,
    DbOption,
    FailOnOption,
    Format,
    FormatOption,
    OutputOption,
    RegistryOption,
    VerboseOption,
)
from partner_nhi.errors import ConfigError
from partner_nhi.severity import Severity

if TYPE_CHECKING:  # the rest loads when a command runs: `partner-nhi --help` stays fast
    from partner_nhi.config import Settings
    from partner_nhi.engine import ScanRequest
    from partner_nhi.registry import Registry
    from partner_nhi.results import RunResult
    from partner_nhi.shards import Shard
    from partner_nhi.store import Store
    from partner_nhi.suppressions import Suppressions


def _load(config: Path | None, registry: Path | None) -> tuple[Settings, Registry]:
    from partner_nhi.config import check_threshold_keys, load_settings
    from partner_nhi.connector import connector_names
    from partner_nhi.registry import load_registry

    settings = load_settings(config)
    registry_path = registry or settings.registry
    if registry_path is None:
        raise ConfigError("no registry: pass --registry FILE or set 'registry:' in the config")
    loaded = load_registry(registry_path)
    check_threshold_keys(settings, [p.id for p in loaded.partners], connector_names(), config)
    return settings, loaded


def _accepted_risks(settings: Settings, registry: Registry) -> Suppressions:
    from partner_nhi.suppressions import configured_suppressions

    return configured_suppressions(settings, registry, datetime.now(UTC).date())


def _connectors(settings: Settings, requested: list[str] | None) -> list[str]:
    from partner_nhi.connector import connector_names

    names = list(dict.fromkeys(requested or sorted(settings.connectors) or ["aws"]))
    installed = connector_names()
    for name in names:
        if name not in installed:
            raise ConfigError(f"--connector: unknown connector {name!r} (installed: {', '.join(installed)})")
    return names


def _progress_scan(request: ScanRequest, store: Store | None) -> RunResult:
    from partner_nhi.engine import run_scan
    from partner_nhi.results import ScopeResult

    if not err.is_terminal:
        return run_scan(request, store)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("listing scopes", total=None)

        def report(message: str, scope: ScopeResult | None) -> None:
            if scope is not None:
                err.print(
                    f"  {escape(message)}: {scope.status.value}, "
                    f"{scope.identity_count} identities, {scope.api_calls} API calls"
                )
            else:
                bar.update(task, description=escape(message))

        return run_scan(request, store, progress=report)


def _emit(store: Store, run: RunResult, fmt: Format | None, output: Path | None) -> None:
    """The report of ``run``, streamed from the store to stdout or atomically to ``output``."""
    from partner_nhi.outputs import write_report
    from partner_nhi.outputs.render import print_report

    chosen = fmt or (Format.table if sys.stdout.isatty() and output is None else Format.json)
    document = store.document(run.id)
    if chosen is Format.table and output is None:
        print_report(document, Console() if sys.stdout.isatty() else Console(width=160))
        return
    if output is None:
        write_report(document, chosen.value, sys.stdout)
        return
    tmp = output.with_name(output.name + ".partial")
    with tmp.open("w", encoding="utf-8") as stream:
        write_report(document, chosen.value, stream)
    tmp.replace(output)  # never a half-written report
    err.print(f"wrote {chosen.value} report to {output}: run {run.status}", markup=False, highlight=False)


def _exit_code(run: RunResult, fail_on: Severity | None) -> int:
    if run.status != "complete":
        return EXIT_INCOMPLETE
    if fail_on is not None and run.holds_current_at_or_above(fail_on):
        return EXIT_FINDINGS
    return EXIT_OK


def _scan_and_report(
    command: str,
    settings: Settings,
    registry: Registry,
    names: list[str],
    db: str | None,
    report: Callable[[Store, RunResult], None],
    keep_records: bool = False,
    run_id: str | None = None,
    shard: Shard | None = None,
    suppressions: Suppressions | None = None,
) -> RunResult:
    from partner_nhi.engine import ScanRequest
    from partner_nhi.store import Store
    from partner_nhi.suppressions import Suppressions

    with Store(db or settings.database) as store:
        request = ScanRequest(
            settings,
            registry,
            names,
            command=command,
            keep_records=keep_records,
            run_id=run_id,
            shard=shard,
            suppressions=suppressions or Suppressions(),
        )
        run = _progress_scan(request, store)
        report(store, run)
    return run


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
    verbose: VerboseOption = 0,
) -> None:
    """Scan the configured accounts, tenants and projects; store the history; report."""
    from partner_nhi.shards import Shard

    logs.configure(verbose)
    with exit_codes_for_errors():
        part = Shard.parse(shard) if shard is not None else None
        if part is not None and not run_id:
            raise ConfigError("--shard needs --run-id: every shard of one run must name the same run")
        settings, loaded = _load(config, registry)
        accepted = _accepted_risks(settings, loaded)
        names = _connectors(settings, connector)
        emit = partial(_emit, fmt=format, output=output)
        run = _scan_and_report(
            "scan", settings, loaded, names, db, emit, run_id=run_id, shard=part, suppressions=accepted
        )
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
    from partner_nhi.registry import load_registry

    logs.configure(verbose)
    names = connector or connector_names()
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
            run = _scan_and_report(
                "demo",
                settings,
                load_registry(registry_file),
                sorted(estates),
                db,
                partial(_emit, fmt=format, output=output),
            )
    raise typer.Exit(_exit_code(run, None))


@app.command()
def sweep(
    partner: Annotated[str, typer.Option("--partner", help="The partner id to offboard.")],
    config: ConfigOption = None,
    registry: RegistryOption = None,
    connector: ConnectorOption = None,
    format: Annotated[Format | None, typer.Option("--format", "-f", help="table or json.")] = None,
    output: OutputOption = None,
    db: DbOption = None,
    verbose: VerboseOption = 0,
) -> None:
    """Everything one partner holds, in every cloud, with the revocation step for each.

    Exits 1 while anything of the partner is still active: a gate for offboarding.
    """
    from partner_nhi.connector import load_connector
    from partner_nhi.sweep import sweep_report

    logs.configure(verbose)
    with exit_codes_for_errors():
        settings, loaded = _load(config, registry)
        if loaded.partner(partner) is None:
            raise ConfigError(f"--partner: {partner!r} is not in the registry")
        accepted = _accepted_risks(settings, loaded)
        names = _connectors(settings, connector)
        run = _scan_and_report(
            f"sweep {partner}", settings, loaded, names, db, lambda store, run: None, True, suppressions=accepted
        )
    report = sweep_report(run, partner, {name: load_connector(name) for name in names}, accepted)
    text = json.dumps(report, indent=2) + "\n"
    if (format or (Format.table if sys.stdout.isatty() else Format.json)) is Format.table and output is None:
        console = Console()
        console.print(
            f"[bold]{escape(partner)}[/]: {report['active']} active of {len(report['holdings'])} held "
            f"({report['accepted']} accepted as a risk); run {run.status}"
        )
        for item in report["holdings"]:
            accepted_until = f", accepted until {item['suppression']['expires']}" if item["suppressed"] else ""
            console.print(
                f"- {item['provider']}:{item['name']} ({item['kind']}, "
                f"{'active' if item['active'] else 'inactive'}{accepted_until})",
                markup=False,
            )
            for step in item["revocation"]:
                console.print(f"    {step['command']}", highlight=False, markup=False)
    elif output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if run.status != "complete":
        raise typer.Exit(EXIT_INCOMPLETE)
    raise typer.Exit(EXIT_FINDINGS if report["outstanding"] else EXIT_OK)
