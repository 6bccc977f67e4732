"""The typer application, the consoles, and the one mapping of errors to exit codes."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from partner_nhi import __version__, logs
from partner_nhi.errors import ConfigError, PartnerNhiError

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    name="partner-nhi",
    help="Find the non-human identities partners hold in your clouds, who answers for each, "
    "and which are orphaned, stale, unrotated or expiring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help formatter costs ~0.2 s of start-up
)
registry_app = typer.Typer(
    help="Validate the partner/owner registry or print its JSON Schema.", no_args_is_help=True, rich_markup_mode=None
)
scopes_app = typer.Typer(
    help="The accounts, tenants and projects history knows; retire one.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(registry_app, name="registry")
app.add_typer(scopes_app, name="scopes")

err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"partner-nhi {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """partner-nhi."""


def fail(message: str, code: int) -> typer.Exit:
    """Print one line (markup in ``message`` is shown as text) and give the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def exit_codes_for_errors() -> Iterator[None]:
    """Bad input exits 2; any other error partner-nhi raises on purpose means the scan did not complete: 3."""
    try:
        yield
    except ConfigError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except PartnerNhiError as exc:
        raise fail(str(exc), EXIT_INCOMPLETE) from None


def main() -> NoReturn:
    """Run the CLI. Every way out maps to a documented exit code: a usage error 2, an interrupt
    130, and an unexpected error one line and 3 (its traceback only with ``-v``)."""
    # A scan holds a scope's records and the SDKs' models: hundreds of thousands of long-lived
    # objects that CPython's default threshold (a collection every 700 allocations) walks
    # thousands of times, 11.6 s of the 42 CPU s of a 10,000-identity AWS scan. Every 10,000:
    # 4 s, about 7 % less CPU, the same peak memory (bench/, BENCHMARKS.md).
    gc.set_threshold(10_000, 10, 10)
    try:
        code = app(standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):  # Ctrl-C: typer returns 130 or raises Abort
        _exit_now(EXIT_INTERRUPTED)
    except typer.TyperException as exc:  # a usage error (typer's own click): bad input
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        code = EXIT_BAD_INPUT
    except Exception as exc:
        if logs.verbosity() > 0:
            err.print_exception()
        message = f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)"
        err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        code = EXIT_INCOMPLETE
    if code == EXIT_INTERRUPTED:
        _exit_now(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _exit_now(code: int) -> NoReturn:
    """After Ctrl-C the run is already recorded as interrupted; a worker may still be inside an
    SDK call (with its own long timeout), and the interpreter would wait for it: do not."""
    err.print("interrupted", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
