"""The audit evidence report: one self-contained HTML file that renders in headless Chromium
with no request and no console error, every cloud-supplied string escaped; Markdown the same."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from helpers.chromium import render_page
from helpers.cli import run_cli
from helpers.hostile import HOSTILE, History


def write(history: History, monkeypatch: pytest.MonkeyPatch, out: Path, *args: str) -> str:
    outcome = run_cli(
        monkeypatch, "report", "--db", history.url, "--registry", str(history.registry), "-o", str(out), *args
    )
    assert outcome.code == 0, outcome.stderr
    return out.read_text(encoding="utf-8")


def test_the_html_report_renders_in_chromium(history: History, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    html = write(history, monkeypatch, out)
    assert "<script" not in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert '<img src=x onerror="alert(1)">' not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    page = render_page(out)
    assert page.requests == [out.resolve().as_uri()]  # the page itself, nothing else
    assert page.console_errors == []
    assert page.screenshot.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", page.screenshot[16:24])
    assert width >= 1200 and height > 2000  # the whole page, not an empty viewport
    for heading in ("Coverage: what was seen", "Ownership matrix", "OWASP NHI Top 10 and NIST CSF 2.0", "Partners"):
        assert heading in page.text
    assert "Status offboarded, offboarded on 2026-06-30; sponsor alice@example.com" in page.text
    assert HOSTILE["html"] in page.text  # shown as text, not run
    assert "Open findings over the last runs" in page.text and "Age of active secret-bearing credentials" in page.text
    assert html.count("<svg") == 2 and "NHI1:2025 Improper Offboarding" in page.text


def test_the_report_reads_a_past_run_and_its_trend(
    history: History, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = write(history, monkeypatch, tmp_path / "first.html", "--run", history.first.id)
    latest = write(history, monkeypatch, tmp_path / "latest.html")
    assert history.first.id in first and history.second.id not in first
    assert history.second.id in latest
    assert "<b>1</b>resolved by this run" in latest.replace("\n", "").replace("  ", "")
    trend = write(history, monkeypatch, tmp_path / "latest.md", "--format", "markdown").split("### Age of")[0]
    section = trend.split("### Open findings over the last runs")[1]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0][2:] for row in rows[1:]] == [history.first.id, history.second.id]  # oldest first
    assert [row.rsplit(" | ", 1)[1].strip(" |") for row in rows[1:]] == ["9", "8"]  # open in each run


def test_markdown_has_the_same_content_escaped(
    history: History, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    markdown = write(history, monkeypatch, tmp_path / "report.md", "--format", "markdown")
    for heading in ("## Coverage", "## Ownership matrix", "## OWASP NHI Top 10 and NIST CSF 2.0", "### acme\n"):
        assert heading in markdown
    assert "[click](http://evil.example)" not in markdown
    assert r"acme-\[click\](http\://evil.example)\|\`x\`\*y\*" in markdown
    assert not re.search(r"(?<!\\)<img", markdown) and r"\<img" in markdown
    identity_rows = [line for line in markdown.splitlines() if line.startswith("| acme-")]
    assert len(identity_rows) == 4  # a name's "|" does not open a cell: 8 columns, 9 unescaped bars
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in identity_rows} == {9}


def test_one_partner_only(history: History, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    markdown = write(history, monkeypatch, tmp_path / "acme.md", "--format", "markdown", "--partner", "acme")
    assert "covers partner **acme** only" in markdown and "### globex" not in markdown
    assert "plain-service" not in markdown
    unknown = run_cli(
        monkeypatch, "report", "--db", history.url, "--registry", str(history.registry), "--partner", "x", "-o", "-"
    )
    assert unknown.code == 2 and "'x' is not in the registry" in unknown.stderr
