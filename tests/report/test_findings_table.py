"""The findings table at 80 and 120 columns: grouped by partner then owner, no word broken
over two lines, names cut with an ellipsis, markup shown as text, colour only on a terminal."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from helpers.hostile import HOSTILE, History
from partner_nhi.outputs.render import print_report
from partner_nhi.rules.catalogue import CATALOGUE
from partner_nhi.store import Store

ANSI = re.compile(r"\x1b\[")


def table(history: History, width: int, terminal: bool = False, remediation: bool = False) -> str:
    stream = io.StringIO()
    console = Console(file=stream, width=width, force_terminal=terminal, color_system="standard" if terminal else None)
    with Store(history.url, read_only=True) as store:
        print_report(store.document(history.second.id), console, remediation=remediation)
    return stream.getvalue()


@pytest.mark.parametrize("width", [80, 120])
def test_no_word_is_broken_and_names_are_cut(history: History, width: int) -> None:
    text = table(history, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    rows = [line for line in lines if re.match(r"  (critical|high|medium|low) ", line)]
    assert len(rows) == 9  # every finding of the run, resolved included
    severities = {line.split()[0] for line in rows}
    assert severities <= {"critical", "high", "medium", "low"} and "critical" in severities
    rule_ids = {rule.id for rule in CATALOGUE}
    assert {line.split()[1] for line in rows} <= rule_ids  # neither broken nor cut at these widths
    long_name = "internal-" + "a" * 60
    assert not any(long_name in row for row in rows)
    assert any("internal-a" in row and "…" in row for row in rows)
    words = {word for line in lines for word in line.split()}
    for message in ("rotate every 90 days", "was offboarded on 2026-06-30 but"):
        assert all(word in words for word in message.split())  # wrapped at spaces only
    assert HOSTILE["rich"][:12] in text  # markup shown as text, never read


def test_grouped_by_partner_then_owner(history: History) -> None:
    headings = [line.split() for line in table(history, 120).splitlines() if line.startswith("partner ")]
    assert headings == [
        ["partner", "acme", "owner", "alice@example.com"],
        ["partner", "(none)", "owner", "alice@example.com"],
    ]


def test_verbose_shows_remediation_and_the_full_id(history: History) -> None:
    plain, verbose = table(history, 120), table(history, 120, remediation=True)
    assert "fix: " not in plain and "fix: Create a new credential" in verbose
    [finding_id] = {found for found in re.findall(r"\(nhi-[0-9a-f]{24}\)", verbose)} & {
        f"({f.id})" for f in history.second.findings if f.rule == "orphaned-identity" and "sync" in f.identity
    }
    assert finding_id[5:13] in plain  # the short id is the start of the full one


def test_colour_only_on_a_terminal(history: History) -> None:
    assert not ANSI.search(table(history, 120))
    assert ANSI.search(table(history, 120, terminal=True))
