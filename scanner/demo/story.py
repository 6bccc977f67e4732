"""The story ``partner-nhi demo`` tells: a partner offboarded, yet still holding access in the
customer's clouds, found, revoked and proven gone, on Example Corp's simulated estate.

The customer stays accountable for what its partners hold. Each step is printed in plain
words with its figures:

1. scan every cloud;
2. sweep the offboarded partner: the gate stays closed (exit 1), with the commands to run,
   per cloud;
3. carry those very commands out in the simulated estate (each connector's demo-only
   :meth:`~partner_nhi.connector.Connector.demo_revoke`, as the customer's people would run
   them in the real clouds: the scanner itself never changes anything in a cloud);
4. scan again: the partner's findings are resolved;
5. sweep again: the gate opens (exit 0);
6. the evidence an auditor keeps: the audit report and the sweep's, before and after, in HTML.

Each step is checked against what the story says; the first that does not hold stops the
story with :class:`StoryBroken`, naming the step. On a built-in estate that means partner-nhi
itself is broken, so the demo exits 3.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, cast

from rich.console import Console
from rich.text import Text

from partner_nhi.cli.app import EXIT_FINDINGS, EXIT_OK
from partner_nhi.cli.scanning import scan_and_report
from partner_nhi.cli.sweep import gate_exit_code
from partner_nhi.config import Settings
from partner_nhi.connector import Connector
from partner_nhi.errors import PartnerNhiError
from partner_nhi.formats import SweepFormat
from partner_nhi.outputs.audit import build_audit, write_audit
from partner_nhi.outputs.files import output_stream
from partner_nhi.outputs.sweep import write_sweep
from partner_nhi.registry import Partner, Registry
from partner_nhi.results import RunResult
from partner_nhi.revocation import RevocationStep
from partner_nhi.store import Store
from partner_nhi.suppressions import Suppressions
from partner_nhi.sweep import sweep_report

STEPS = 6
OFFBOARDED_PARTNER = "acme"  # scanner/demo/registry.yaml


class StoryBroken(PartnerNhiError):
    """A step did not do what the story says it does."""


@dataclass(frozen=True)
class Scanned:
    """What one scan of the story found, and the sweep of the partner on that run."""

    run: str
    identities: int
    findings: Counter[str]  # by status: new, open, resolved
    partner_findings: Counter[str]  # the partner's, by status
    sweep: dict[str, Any]

    @property
    def others(self) -> Counter[str]:
        return self.findings - self.partner_findings


@dataclass
class Story:
    console: Console  # standard output: colour only on a terminal; soft wrap, so a command is never cut
    estates: Mapping[str, Mapping[str, Any]]  # each connector's settings, pointed at its simulated estate
    settings: Settings
    registry: Registry
    partner: Partner
    db: str
    connector: Callable[[str], type[Connector]]
    evidence: Path | None  # where the evidence goes; None: a new temporary folder

    def tell(self) -> None:
        started = time.monotonic()
        self._introduce()
        before = self._scan(1, f"Scan every cloud: {', '.join(self.estates)}")
        self._sweep(2, before, EXIT_FINDINGS)
        self._revoke(3, before.sweep)
        after = self._scan(4, "Scan again", before)
        self._check_resolved(after)
        self._sweep(5, after, EXIT_OK)
        self._keep_evidence(6, before, after)
        self._say(f"\nThe story ran as told in {time.monotonic() - started:.1f} s.", "bold green")

    # -- the steps ------------------------------------------------------------------------

    def _introduce(self) -> None:
        partner = self.partner
        left = f"was offboarded on {partner.offboarded_on}" if partner.offboarded_on else f"is {partner.status.value}"
        self._say("partner-nhi demo: Example Corp's clouds, simulated on this machine (no credentials, no network).")
        self._say(
            f"{partner.name} ({partner.id}) {left}; its sponsor is {partner.sponsor or 'nobody'}. "
            f"Example Corp stays accountable for whatever {partner.id} still holds: "
            "find it, revoke it, prove it is gone."
        )

    def _scan(self, number: int, title: str, previous: Scanned | None = None) -> Scanned:
        self._step(number, title)
        found: list[Scanned] = []
        run = scan_and_report(
            "demo",
            self.settings,
            self.registry,
            sorted(self.estates),
            self.db,
            lambda store, run: found.append(self._read(store, run)),
        )
        [scanned] = found
        if run.status != "complete":
            raise StoryBroken(f"step {number}: the scan should be complete, it is {run.status}: {run.error or ''}")
        seen = f"{scanned.identities} identities" + (f" ({previous.identities} before)" if previous else "")
        self._say(f"  run {scanned.run}: {run.status}, {seen}, {counted(scanned.findings.total(), 'finding')}")
        self._say(
            f"  {self.partner.id}'s findings: {statuses(scanned.partner_findings)}; "
            f"everyone else's: {statuses(scanned.others)}"
        )
        return scanned

    def _read(self, store: Store, run: RunResult) -> Scanned:
        """The figures of ``run`` and the partner's sweep on it, read back from the store."""
        document = store.document(run.id)
        findings = list(document.findings())
        return Scanned(
            run=run.id,
            identities=sum(scope["identity_count"] for scope in document.run["scopes"]),
            findings=Counter(finding["status"] for finding in findings),
            partner_findings=Counter(f["status"] for f in findings if f["partner"] == self.partner.id),
            sweep=sweep_report(store, run.id, self.partner, self.connector, datetime.now(UTC), "scan", Suppressions()),
        )

    def _sweep(self, number: int, scanned: Scanned, expected: int) -> None:
        sweep, partner = scanned.sweep, self.partner.id
        self._step(number, f"Sweep {partner}, the offboarding gate: partner-nhi sweep --partner {partner}")
        code = gate_exit_code(sweep)
        holdings = sweep["holdings"]
        if code == EXIT_FINDINGS:
            steps = command_count(holdings)
            self._say(
                f"  exit {code}: the gate stays closed. {partner} still holds {sweep['active']} active "
                f"of {counted(len(holdings), 'identity')}; {counted(steps, 'command')} revoke them:"
            )
            for cloud in sorted({holding["provider"] for holding in holdings}):
                held = [holding for holding in holdings if holding["provider"] == cloud]
                commands = command_count(held)
                self._say(f"    {cloud}: {counted(len(held), 'identity')}, {counted(commands, 'command')}")
            self._say("  The sweep as it prints, each command runnable as printed:")
            self.console.print()
            write_sweep(sweep, SweepFormat.table, cast(TextIO, self.console.file), self.console)
        elif code == EXIT_OK:
            self._say(
                f"  exit {code}: the gate opens. Nothing {partner} holds is active any more "
                f"({counted(len(holdings), 'identity')} left, all disabled)."
            )
        else:
            scopes = ", ".join(f"{s['connector']}:{s['scope']}" for s in sweep["incomplete_scopes"])
            self._say(f"  exit {code}: the sweep cannot tell, not completely listed: {scopes or 'the run'}")
        if code != expected:
            raise StoryBroken(f"step {number}: the sweep should exit {expected}, it exited {code}")

    def _revoke(self, number: int, sweep: dict[str, Any]) -> None:
        """Each connector carries out its holdings' steps, in the sweep's order, in its estate."""
        commands = command_count(sweep["holdings"])
        self._step(number, f"Revoke: the sweep's {counted(commands, 'command')}, run in the simulated estate")
        self._say(
            f"  partner-nhi never changes a cloud: {self.partner.id}'s sponsor and owners run these commands. "
            "Here each simulated estate carries them out as its cloud would."
        )
        by_connector: dict[str, list[RevocationStep]] = {}
        holders: Counter[str] = Counter()
        for holding in sweep["holdings"]:
            holders[holding["connector"]] += 1
            steps = [RevocationStep.model_validate(step) for step in holding["revocation"]]
            by_connector.setdefault(holding["connector"], []).extend(steps)
        for name, steps in sorted(by_connector.items()):
            self.connector(name).demo_revoke(self.estates[name], steps)
            self._say(
                f"  {name}: {counted(len(steps), 'command')} carried out for {counted(holders[name], 'identity')}"
            )

    def _check_resolved(self, after: Scanned) -> None:
        mine = after.partner_findings
        if not mine["resolved"] or mine["open"] or mine["new"]:
            raise StoryBroken(f"step 4: every finding of {self.partner.id} should be resolved: {statuses(mine)}")

    def _keep_evidence(self, number: int, before: Scanned, after: Scanned) -> None:
        """The audit report of the last run, and the sweep's evidence before and after, in HTML."""
        self._step(number, "The evidence an auditor keeps with the offboarding ticket")
        folder = self.evidence or Path(tempfile.mkdtemp(prefix="partner-nhi-demo-"))
        partner = self.partner.id
        with Store(self.db, read_only=True) as store:
            document = store.document(after.run)
            self._write(
                folder / "audit-report.html",
                "audit report",
                lambda s: write_audit(build_audit(document, self.registry), "html", s),
            )
        self._write(
            folder / f"{partner}-sweep-before.html",
            "sweep before revocation",
            lambda s: write_sweep(before.sweep, SweepFormat.html, s),
        )
        self._write(
            folder / f"{partner}-sweep-after.html",
            "sweep after revocation",
            lambda s: write_sweep(after.sweep, SweepFormat.html, s),
        )

    # -- printing -------------------------------------------------------------------------

    def _write(self, path: Path, what: str, write: Callable[[TextIO], None]) -> None:
        with output_stream(path) as stream:
            write(stream)
        self._say(f"  {what}: {path}")

    def _step(self, number: int, title: str) -> None:
        self.console.print()
        self._say(f"{number}/{STEPS}  {title}", "bold")

    def _say(self, line: str, style: str = "") -> None:
        """One line, never read as markup: names come from the clouds."""
        self.console.print(Text(line, style=style))


def command_count(holdings: Iterable[dict[str, Any]]) -> int:
    return sum(len(holding["revocation"]) for holding in holdings)


def statuses(findings: Counter[str]) -> str:
    """``19 new, 48 open``: findings by status, in the order of their life."""
    shown = [f"{findings[status]} {status}" for status in ("new", "open", "resolved") if findings[status]]
    return ", ".join(shown) or "none"


def counted(number: int, noun: str) -> str:
    """``1 identity``, ``2 identities``, ``3 commands``."""
    if number == 1:
        return f"1 {noun}"
    return f"{number} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"
