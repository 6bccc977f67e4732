"""What the commands that scan share: loading their inputs, choosing connectors, running the
engine with progress on a terminal, and reading the result back while the store is open.

Heavy modules (the engine, the store, pydantic) load inside these functions, when a command
runs, so that ``partner-nhi --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from partner_nhi.cli.app import err
from partner_nhi.errors import ConfigError

if TYPE_CHECKING:
    from partner_nhi.config import Settings
    from partner_nhi.engine import ScanRequest
    from partner_nhi.registry import Registry
    from partner_nhi.results import RunResult
    from partner_nhi.shards import Shard
    from partner_nhi.store import Store
    from partner_nhi.suppressions import Suppressions


def load_inputs(config: Path | None, registry: Path | None) -> tuple[Settings, Registry]:
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


def accepted_risks(settings: Settings, registry: Registry) -> Suppressions:
    """The accepted-risks file the configuration names, validated (none named: none)."""
    from partner_nhi.suppressions import configured_suppressions

    return configured_suppressions(settings, registry, datetime.now(UTC).date())


def chosen_connectors(settings: Settings, requested: list[str] | None) -> list[str]:
    from partner_nhi.connector import connector_names

    names = list(dict.fromkeys(requested or sorted(settings.connectors) or ["aws"]))
    installed = connector_names()
    for name in names:
        if name not in installed:
            raise ConfigError(f"--connector: unknown connector {name!r} (installed: {', '.join(installed)})")
    return names


def progress_scan(request: ScanRequest, store: Store | None) -> RunResult:
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


def scan_and_report(
    command: str,
    settings: Settings,
    registry: Registry,
    names: list[str],
    db: str | None,
    report: Callable[[Store, RunResult], None],
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
            keep_records=False,
            run_id=run_id,
            shard=shard,
            suppressions=suppressions or Suppressions(),
        )
        run = progress_scan(request, store)
        report(store, run)
    return run
