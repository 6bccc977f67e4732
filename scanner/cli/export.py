"""``partner-nhi export``: send the SIEM events not yet acknowledged; and the delivery that
``scan`` makes at its end (never changing the scan's own exit code).

Exit codes of ``export``: 0 nothing is pending for the chosen sinks; 3 events remain
pending (a receiver down, throttling past the retries: a scheduler can alert); 2 bad
input, including a receiver that refuses the configuration (a bad token: events stay
pending, and the configuration is what must change, so 2 wins over 3 here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from partner_nhi import logs
from partner_nhi.cli.app import EXIT_BAD_INPUT, EXIT_INCOMPLETE, EXIT_OK, app, err, exit_codes_for_errors
from partner_nhi.cli.options import ConfigOption, DbOption, VerboseOption
from partner_nhi.errors import ConfigError

if TYPE_CHECKING:  # loaded when a command runs: `partner-nhi --help` stays fast
    from partner_nhi.config import Settings
    from partner_nhi.siem.delivery import DeliveryResult


@app.command()
def export(
    config: ConfigOption = None,
    db: DbOption = None,
    sink: Annotated[str | None, typer.Option("--sink", help="Deliver to this sink only (its name).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what each sink has pending; send nothing.")] = False,
    verbose: VerboseOption = 0,
) -> None:
    """Send the SIEM events each configured sink (siem.sinks) has not acknowledged."""
    from partner_nhi.config import load_settings
    from partner_nhi.siem.delivery import deliver
    from partner_nhi.store import Store

    logs.configure(verbose)
    with exit_codes_for_errors():
        settings = load_settings(config)
        if not settings.siem.sinks:
            raise ConfigError("no SIEM sink configured: add siem.sinks to the configuration (docs/siem.md)")
        url = db or settings.database
        Store(url, read_only=True).close()  # it writes acknowledgements, but never creates a database
        with Store(url) as store:
            result = deliver(store, settings.siem, only=sink, dry_run=dry_run)
    _print(result, to_stderr=settings.siem.writes_stdout)  # stdout then holds the events
    raise typer.Exit(exit_code(result))


def exit_code(result: DeliveryResult) -> int:
    if result.rejected:
        return EXIT_BAD_INPUT
    return EXIT_INCOMPLETE if result.pending else EXIT_OK


def deliver_after_scan(settings: Settings, db: str | None) -> None:
    """The delivery at the end of ``scan``: its problems are said on stderr and leave the
    events pending for the next scan or export; they never change the scan's exit code."""
    from partner_nhi.siem.delivery import deliver
    from partner_nhi.store import Store

    try:
        with Store(db or settings.database) as store:
            result = deliver(store, settings.siem)
    except Exception as exc:  # whatever broke, the scan itself is recorded and stands
        err.print(
            f"[yellow]export:[/] {escape(str(exc))}; the events stay pending (partner-nhi export retries)",
            highlight=False,
            soft_wrap=True,
        )
        return
    _print(result, to_stderr=True)


def _print(result: DeliveryResult, to_stderr: bool) -> None:
    from partner_nhi.siem.delivery import summary_lines

    for line in summary_lines(result):
        if to_stderr:
            err.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            typer.echo(line)
