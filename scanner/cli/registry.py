"""``registry validate``, ``registry schema``, ``registry suggest`` and ``registry diff``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from partner_nhi import logs
from partner_nhi.cli.app import EXIT_BAD_INPUT, EXIT_INCOMPLETE, EXIT_OK, err, exit_codes_for_errors, fail, registry_app
from partner_nhi.cli.options import ConfigOption, ConnectorOption, DbOption, OutputOption, RegistryOption, VerboseOption
from partner_nhi.errors import ConfigError

if TYPE_CHECKING:  # the rest loads when a command runs: `partner-nhi --help` stays fast
    from partner_nhi.config import Settings
    from partner_nhi.registry import Registry
    from partner_nhi.registry_diff import RegistryDiff


@registry_app.command("validate")
def registry_validate(path: Annotated[Path, typer.Argument(help="The registry YAML file.")]) -> None:
    """Report every error with file, line and field; exit 2 if there is any."""
    from partner_nhi.registry import load_registry

    try:
        loaded = load_registry(path)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    typer.echo(
        f"{path}: valid: {len(loaded.owners)} owners, {len(loaded.partners)} partners, "
        f"{len(loaded.assignments)} assignments"
    )


@registry_app.command("schema")
def registry_schema() -> None:
    """Print the registry's JSON Schema (for editors)."""
    from partner_nhi.registry import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


class DraftFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class DiffFormat(StrEnum):
    table = "table"
    json = "json"


def _registry_in_use(settings: Settings, registry: Path | None) -> tuple[Registry, Path | None]:
    """The registry named by ``--registry`` or the configuration; an empty one when neither names
    one (bootstrapping: nothing is claimed yet)."""
    from partner_nhi.registry import Registry, load_registry

    path = registry or settings.registry
    return (load_registry(path), path) if path else (Registry(version=1), None)


def _write(text: str, output: Path | None) -> None:
    """To stdout, or atomically and privately to ``output`` (the one writer every command uses)."""
    from partner_nhi.outputs.files import STDOUT, output_stream

    with output_stream(output or STDOUT) as stream:
        stream.write(text)
    if output is not None and output != STDOUT:
        err.print(f"wrote {output}", markup=False, highlight=False)


@registry_app.command("suggest")
def registry_suggest(
    config: ConfigOption = None,
    registry: RegistryOption = None,
    connector: ConnectorOption = None,
    db: DbOption = None,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Read the latest run in the store instead of scanning.")
    ] = False,
    format: Annotated[DraftFormat, typer.Option("--format", "-f", help="yaml (commented) or json.")] = DraftFormat.yaml,
    output: OutputOption = None,
    verbose: VerboseOption = 0,
) -> None:
    """Propose registry entries for what no partner claims: external accounts, tenants, domains and
    projects, federations, and the owners the clouds record. Never edits the registry.

    Scans (the scan options; the run is stored) or, with --from-store, reads the latest run. Without
    a registry nothing is claimed yet: everything external is proposed. Exits 3 when that run was not
    complete (the draft is still written, and says so)."""
    from partner_nhi.cli.scanning import chosen_connectors, scan_and_report
    from partner_nhi.config import check_threshold_keys, load_settings
    from partner_nhi.connector import connector_names
    from partner_nhi.store import Store
    from partner_nhi.store.queries import latest_scan, seen_identities
    from partner_nhi.suggest import as_document, as_yaml, suggest

    def draft(store: Store, run_id: str) -> str:
        """Write the draft of one run; give that run's status."""
        document = store.document(run_id)
        run = document.run
        proposals = suggest(seen_identities(document), loaded)
        source = {
            "run": {key: run[key] for key in ("id", "command", "status", "finished")},
            "registry": str(registry_path) if registry_path else None,
        }
        if format is DraftFormat.yaml:
            _write(as_yaml(proposals, source), output)
        else:
            _write(json.dumps(as_document(proposals, source), indent=2) + "\n", output)
        return str(run["status"])

    from partner_nhi.outputs.files import check_output

    logs.configure(verbose)
    with exit_codes_for_errors():
        if output is not None:
            check_output(output)  # before the scan: a draft nowhere to go is bad input, not a lost run
        settings = load_settings(config)
        loaded, registry_path = _registry_in_use(settings, registry)
        if from_store:
            if connector:
                raise ConfigError("--connector scans: it cannot be combined with --from-store")
            with Store(db or settings.database, read_only=True) as store:
                status = draft(store, latest_scan(store.engine))
        else:
            if registry_path is not None:
                check_threshold_keys(settings, [p.id for p in loaded.partners], connector_names(), config)
            names = chosen_connectors(settings, connector)
            statuses: list[str] = []
            scan_and_report(
                "registry suggest",
                settings,
                loaded,
                names,
                db,
                lambda store, run: statuses.append(draft(store, run.id)),
            )
            [status] = statuses
    raise typer.Exit(EXIT_OK if status == "complete" else EXIT_INCOMPLETE)


@registry_app.command("diff")
def registry_diff(
    config: ConfigOption = None,
    registry: RegistryOption = None,
    db: DbOption = None,
    format: Annotated[
        DiffFormat | None, typer.Option("--format", "-f", help="Default: table on a terminal, json otherwise.")
    ] = None,
) -> None:
    """What changed between the registry and what the latest run saw: partners with no identity left,
    identities attributed by a name pattern only, assignments naming identities the run did not see.
    Exits 3 when that run was not complete (absence in it is weaker evidence)."""
    from partner_nhi.config import load_settings
    from partner_nhi.registry_diff import registry_diff as compare
    from partner_nhi.store import Store
    from partner_nhi.store.queries import known_identities, latest_scan, seen_identities
    from partner_nhi.yamlsource import YamlDocument

    with exit_codes_for_errors():
        settings = load_settings(config)
        loaded, registry_path = _registry_in_use(settings, registry)
        if registry_path is None:
            raise ConfigError("no registry to compare: pass --registry FILE or set 'registry:' in the config")
        with Store(db or settings.database, read_only=True) as store:
            document = store.document(latest_scan(store.engine))
            run = document.run
            diff = compare(seen_identities(document), loaded, known_identities(store.engine))
        lines = YamlDocument.load(registry_path)
    report = {
        "run": {key: run[key] for key in ("id", "command", "status", "finished")},
        "registry": str(registry_path),
        "partners_without_identities": [
            {"id": p.id, "status": p.status.value, "offboarded_on": str(p.offboarded_on) if p.offboarded_on else None}
            for p in diff.partners_without_identities
        ],
        "pattern_only": [{**p.holder.evidence(), "detail": p.detail} for p in diff.pattern_only],
        "dangling_assignments": [
            {
                "where": lines.where(("assignments", d.index)),
                "identity": d.assignment.identity,
                "partner": d.assignment.partner,
                "owner": d.assignment.owner,
                "state": d.state,
                "gone_run": d.gone_run,
            }
            for d in diff.dangling
        ],
    }
    if (format or (DiffFormat.table if sys.stdout.isatty() else DiffFormat.json)) is DiffFormat.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        _print_diff(report, diff)
    raise typer.Exit(EXIT_OK if run["status"] == "complete" else EXIT_INCOMPLETE)


_DANGLING = {
    "gone": "gone: a complete listing (run {gone_run}) no longer had it",
    "never-seen": "never seen by partner-nhi (a typo, or a scope never scanned)",
    "not-in-run": "not seen by this run, not gone: its scope was not listed completely",
}


def _print_diff(report: dict[str, Any], diff: RegistryDiff) -> None:
    """Plain lines: every cloud-supplied string is quoted (escaped), never read as markup."""
    run = report["run"]
    out = [f"registry diff: {report['registry']} against run {run['id']} ({run['command']}, {run['status']})"]
    idle = report["partners_without_identities"]
    out.append(f"partners with no identity ({len(idle)}):")
    out += [f"  {p['id']} ({p['status']})" for p in idle]
    out.append(f"identities attributed by a name pattern only ({len(diff.pattern_only)}):")
    out += [f"  {p.holder.line()}: {p.detail}" for p in diff.pattern_only]
    dangling = report["dangling_assignments"]
    out.append(f"assignments naming an identity the run did not see ({len(dangling)}):")
    out += [f"  {d['where']}: {json.dumps(d['identity'])}: {_DANGLING[d['state']].format(**d)}" for d in dangling]
    sys.stdout.write("\n".join(out) + "\n")
