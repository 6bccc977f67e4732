"""``demo``: the whole product on a built-in simulated estate, no credentials, no network.

By default it tells the offboarding story (:mod:`partner_nhi.demo.story`); ``--only scan`` runs
the scan alone and reports it as ``scan`` does (``--format``, ``--output``).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from enum import StrEnum
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from partner_nhi import logs
from partner_nhi.cli.app import EXIT_OK, app, err, exit_codes_for_errors
from partner_nhi.cli.options import ConnectorOption, FormatOption, OutputOption, VerboseOption
from partner_nhi.cli.scan import emit_report, scan_exit_code
from partner_nhi.cli.scanning import scan_and_report
from partner_nhi.errors import ConfigError

if TYPE_CHECKING:  # loaded when the command runs: `partner-nhi --help` stays fast
    from partner_nhi.config import Settings
    from partner_nhi.registry import Registry


class DemoStep(StrEnum):
    scan = "scan"


@app.command()
def demo(
    connector: ConnectorOption = None,
    only: Annotated[
        DemoStep | None,
        typer.Option("--only", help="Run only this step. scan: the scan alone, reported as 'scan' reports it."),
    ] = None,
    format: FormatOption = None,
    output: OutputOption = None,
    evidence_dir: Annotated[
        Path | None,
        typer.Option(
            "--evidence-dir",
            help="Where the story writes the audit report and the sweep's evidence "
            "(default: a new folder in the system's temporary folder; printed).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="SQLAlchemy URL of a store that keeps the demo's history (default: a throw-away one)."
        ),
    ] = None,
    verbose: VerboseOption = 0,
) -> None:
    """The offboarding story on a built-in simulated estate, no credentials, no network: scan
    every cloud, sweep the offboarded partner acme (exit 1, the commands to run), revoke its
    holdings in the simulated estate, scan again (its findings resolved), sweep again (exit 0),
    and write the audit report. Exit 0 when every step did what the story says, else 3.
    --only scan: the scan alone, its report in --format/--output."""
    from partner_nhi.config import Settings
    from partner_nhi.connector import connector_names, load_connector
    from partner_nhi.outputs.files import check_output
    from partner_nhi.registry import load_registry

    logs.configure(verbose)
    with exit_codes_for_errors():
        _check_options(only, format is not None or output is not None, evidence_dir)
        if output is not None:
            check_output(output)
        if evidence_dir is not None:
            _prepare_folder(evidence_dir)
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
            registry = load_registry(registry_file)
            if only is DemoStep.scan:
                report = partial(emit_report, fmt=format, output=output)
                run = scan_and_report("demo", settings, registry, sorted(estates), db, report)
                raise typer.Exit(scan_exit_code(run, None))
            _tell_story(estates, settings, registry, db, evidence_dir)
    raise typer.Exit(EXIT_OK)


def _check_options(only: DemoStep | None, reports_scan: bool, evidence_dir: Path | None) -> None:
    """The story and the scan alone write different things: refuse options of the other."""
    if only is None and reports_scan:
        raise ConfigError("--format and --output report the scan alone: add --only scan")
    if only is not None and evidence_dir is not None:
        raise ConfigError("--evidence-dir is where the story writes its evidence: not with --only")


def _prepare_folder(folder: Path) -> None:
    """Refused before any estate starts when it cannot be written. The evidence maps the
    estate: a folder it creates is its owner's alone."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--evidence-dir: cannot create {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"--evidence-dir: {folder} is not writable")


def _tell_story(
    estates: dict[str, dict[str, Any]], settings: Settings, registry: Registry, db: str, evidence_dir: Path | None
) -> None:
    from partner_nhi.connector import load_connector
    from partner_nhi.demo.story import OFFBOARDED_PARTNER, Story

    partner = registry.partner(OFFBOARDED_PARTNER)
    if partner is None:
        raise ConfigError(f"the demo registry names no partner {OFFBOARDED_PARTNER!r}")
    console = Console(highlight=False, soft_wrap=True)  # piped, no line is broken: commands stay whole
    story = Story(console, estates, settings, registry, partner, db, load_connector, evidence_dir)
    story.tell()
