"""BENCHMARKS.md's measured part and bench/chart.svg, from bench/results.json.

Only the text between the two markers is generated; the analysis around it is
written by hand, so re-rendering never loses it and no figure is typed by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench/run.py writes from here: do not edit by hand -->"
END = "<!-- bench/run.py writes up to here -->"
# Targets of the issue (SPEC §8 and the side-by-side)
MULTI_ACCOUNT_MAX = 1.3  # N accounts' peak over one account's
SCALE_MEMORY_MAX = 2.0  # 50k peak over 10k peak, one scope
WALL_RATIO_MIN = 10.0  # Prowler's wall over ours
MEMORY_RATIO_MAX = 0.25  # our peak over Prowler's
CALLS_PER_USER_MAX = 1.5
CALLS_PER_ROLE_MAX = 0.01
# An AWS action is per role or per user by its name; the rest (bulk listings, the
# credential report, STS) is shared by the scope.
ROLE_WORDS = ("Role",)
USER_WORDS = (
    "User",
    "AccessKey",
    "SSHPublicKey",
    "ServiceSpecificCredential",
    "SigningCertificate",
    "MFADevice",
    "LoginProfile",
)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if digits else f"{value:,.0f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _load(row: dict[str, Any]) -> str:
    load = row["load"]
    others = "; ".join(f"{label}: {seconds} s" for label, seconds in load["others_top"])
    lull = "" if load["quiet"] else f"; no lull in {load['waited_seconds']:.0f} s"
    return (
        f"{load['load_at_start']:.1f} at start, {load['load_min']:.1f}-{load['load_max']:.1f} during{lull} "
        f"(others {load['others_cpu_seconds']} CPU s: {others})"
    )


def split_calls(operations: dict[str, int]) -> dict[str, int]:
    """Calls per role, per user and shared, by the AWS action's name."""
    parts = {"role": 0, "user": 0, "shared": 0}
    for action, calls in operations.items():
        kind = (
            "role"
            if any(w in action for w in ROLE_WORDS)
            else "user"
            if any(w in action for w in USER_WORDS)
            else "shared"
        )
        parts[kind] += calls
    return parts


def _estate(scan: dict[str, Any]) -> str:
    if scan["accounts"] == 1:
        return f"{scan['size']:,}"
    return f"{scan['accounts']} x {scan['size']:,}, concurrency {scan['concurrency']}"


def _scans(results: dict[str, Any], cloud: str) -> list[dict[str, Any]]:
    return [s for s in results["scans"] if s["cloud"] == cloud]


def _cloud_section(results: dict[str, Any], cloud: str) -> str:
    rows = [
        (
            _estate(s),
            f"{s['identities']:,}",
            _n(s["wall_seconds"]),
            _n(s["cpu_seconds"]),
            f"{s['calls']:,}" + (f" (+{s['batch_items']:,} in $batch)" if s["batch_items"] else ""),
            _n(s["calls_per_identity"], 2),
            _n(s["peak_rss_mb"], 0),
            _n(s["database_mb"]),
            _n(s["report_mb"]),
            f"{s['findings']:,}",
            s["status"],
            _n(s["seed_seconds"], 0),
            _load(s),
        )
        for s in _scans(results, cloud)
    ]
    header = (
        "estate",
        "identities",
        "wall s",
        "CPU s",
        "API calls",
        "calls / identity",
        "peak RSS MB",
        "store MB",
        "report MB",
        "findings",
        "run",
        "seeding s",
        "load (1-min) and other processes' CPU",
    )
    operations = "\n".join(
        f"- {_estate(s)}: "
        + ", ".join(f"{op} {n:,}" for op, n in sorted(s["operations"].items(), key=lambda kv: -kv[1]))
        for s in _scans(results, cloud)
    )
    skipped = [s for s in results["skipped"] if s["cloud"] == cloud]
    notes = "".join(f"\n\nSkipped: {s['size']:,} x {s['accounts']}: {s['reason']}." for s in skipped)
    return f"### {cloud}\n\n{_table(header, rows)}{notes}\n\nCalls by operation, counted at the server:\n\n{operations}"


def _find(results: dict[str, Any], size: int, accounts: int = 1) -> dict[str, Any] | None:
    return next(
        (s for s in _scans(results, "aws") if s["size"] == size and s["accounts"] == accounts),
        None,
    )


def _targets(results: dict[str, Any]) -> str:
    lines = []
    many = [s for s in _scans(results, "aws") if s["accounts"] > 1]
    for multi in many:
        single = _find(results, multi["size"])
        if single:
            ratio = multi["peak_rss_mb"] / single["peak_rss_mb"]
            lines.append(
                f"- {multi['accounts']} accounts x {multi['size']:,} (concurrency {multi['concurrency']}) peaked at "
                f"{_n(multi['peak_rss_mb'], 0)} MB, {ratio:.2f} x the {_n(single['peak_rss_mb'], 0)} MB of one "
                f"account x {single['size']:,} (target ≤ {MULTI_ACCOUNT_MAX}: {_met(ratio <= MULTI_ACCOUNT_MAX)}); "
                f"wall {_n(multi['wall_seconds'])} s vs {_n(single['wall_seconds'])} s."
            )
    small, large = _find(results, 10000), _find(results, 50000)
    if small and large:
        wall = large["wall_seconds"] / small["wall_seconds"]
        memory = large["peak_rss_mb"] / small["peak_rss_mb"]
        lines.append(
            f"- One scope, 10,000 → 50,000 identities (5 x): wall x {wall:.2f} "
            f"(target ≤ 5, linear: {_met(wall <= 5)}), "
            f"peak RSS x {memory:.2f} (target < {SCALE_MEMORY_MAX}: {_met(memory < SCALE_MEMORY_MAX)})."
        )
    return "\n".join(lines) or "- Not measured in this run."


def _prowler(results: dict[str, Any]) -> str:
    theirs = results.get("prowler")
    ours = _find(results, theirs["size"]) if theirs else None
    if not theirs or not ours:
        return "Not measured in this run."
    users, roles = theirs["size"] * 4 // 5, theirs["size"] - theirs["size"] * 4 // 5
    mine, peer = split_calls(ours["operations"]), split_calls(theirs["operations"])

    def per(parts: dict[str, int]) -> tuple[float, float]:
        return (parts["user"] + parts["shared"]) / users, parts["role"] / roles

    my_user, my_role = per(mine)
    peer_user, peer_role = per(peer)
    wall = theirs["wall_seconds"] / ours["wall_seconds"]
    memory = ours["peak_rss_mb"] / theirs["peak_rss_mb"]
    rows = [
        (
            "wall s",
            _n(theirs["wall_seconds"]),
            _n(ours["wall_seconds"]),
            f"{wall:.1f} x less",
            f"≥ {WALL_RATIO_MIN:.0f} x",
            _met(wall >= WALL_RATIO_MIN),
        ),
        (
            "CPU s (user + system)",
            _n(theirs["cpu_seconds"]),
            _n(ours["cpu_seconds"]),
            f"{theirs['cpu_seconds'] / ours['cpu_seconds']:.1f} x less",
            "",
            "",
        ),
        (
            "peak RSS MB",
            _n(theirs["peak_rss_mb"], 0),
            _n(ours["peak_rss_mb"], 0),
            f"{memory:.2f} of Prowler's",
            f"≤ {MEMORY_RATIO_MAX}",
            _met(memory <= MEMORY_RATIO_MAX),
        ),
        (
            "API calls",
            f"{theirs['calls']:,}",
            f"{ours['calls']:,}",
            f"{theirs['calls'] / ours['calls']:.1f} x fewer",
            "",
            "",
        ),
        (
            "calls per IAM user (user + shared)",
            _n(peer_user, 2),
            _n(my_user, 2),
            "",
            f"≤ {CALLS_PER_USER_MAX}",
            _met(my_user <= CALLS_PER_USER_MAX),
        ),
        (
            "calls per role",
            _n(peer_role, 3),
            _n(my_role, 3),
            "",
            f"≤ {CALLS_PER_ROLE_MAX}",
            _met(my_role <= CALLS_PER_ROLE_MAX),
        ),
        ("start-up to first API call s", _n(theirs["startup_seconds"], 2), _n(ours["startup_seconds"], 2), "", "", ""),
    ]
    table = _table(("", f"Prowler {theirs['version']}", "partner-nhi", "ratio", "target", ""), rows)
    compare = _table(
        (
            "users with a key…",
            "expected",
            "partner-nhi",
            "Prowler",
            "only partner-nhi",
            "only Prowler",
            "partner-nhi missed / extra",
            "Prowler missed / extra",
        ),
        (
            (
                category,
                c["expected"],
                c["partner_nhi"],
                c["prowler"],
                ", ".join(c["only_partner_nhi"]) or "-",
                ", ".join(c["only_prowler"]) or "-",
                f"{c['partner_nhi_missed']} / {c['partner_nhi_extra']}",
                f"{c['prowler_missed']} / {c['prowler_extra']}",
            )
            for category, c in theirs["comparison"].items()
        ),
    )
    operations = ", ".join(f"{op} {n:,}" for op, n in sorted(theirs["operations"].items(), key=lambda kv: -kv[1]))
    failed = ", ".join(f"{check} {n:,}" for check, n in theirs["findings_failed"].items())
    return (
        f"{users:,} IAM users and {roles:,} roles, one account, the same moto server, Prowler right after "
        f"partner-nhi. Load during Prowler: {_load(theirs)}.\n\n{table}\n\n"
        f"Prowler's calls by operation: {operations}.\n\nProwler's checks and their FAIL results: {failed}.\n\n"
        f"Findings (names: at most ten shown):\n\n{compare}"
    )


def _profile(results: dict[str, Any]) -> str:
    found = results.get("profile")
    if not found:
        return "Not measured in this run."
    layers = ", ".join(f"{name} {share} %" for name, share in found["layers"])
    return (
        f"py-spy, {found['rate']} samples/s, every thread while it holds the GIL ({found['samples']:,} samples) of a "
        f"second scan of the {found['size']:,}-identity AWS estate ({found['wall_seconds']} s under the profiler).\n\n"
        f"By layer (the sampled frame's module): {layers}.\n\n"
        + _table(("top functions by own time", "% of samples"), found["top_self"])
        + "\n\n"
        + _table(("partner-nhi functions by inclusive time", "% of samples"), found["ours_inclusive"])
    )


def generated(results: dict[str, Any]) -> str:
    machine = results["machine"]
    return "\n\n".join(
        (
            "## The run",
            f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, Python {machine['python']}, "
            f"Linux {machine['kernel']}; shared with other engineers' test suites (each table says the load). "
            f"Branch commit `{results['commit']}`, main `{results['main']}`; {results['started']} to "
            f"{results['finished']}.\n\n![wall time and peak memory](bench/chart.svg)",
            "## Each cloud",
            *(_cloud_section(results, cloud) for cloud in ("aws", "azure", "gcp") if _scans(results, cloud)),
            "## Memory and scaling targets (SPEC §8)",
            _targets(results),
            "## Side by side with Prowler",
            _prowler(results),
            "## Profile of an AWS scan",
            _profile(results),
        )
    )


def chart(results: dict[str, Any]) -> str:
    """Horizontal bars: wall time and peak RSS of each measurement, Prowler's beside ours."""
    rows = [(f"{s['cloud']} {_estate(s)}".replace("concurrency", "c."), s) for s in results["scans"]]
    if "prowler" in results:
        rows.append((f"Prowler, aws {results['prowler']['size']:,}", results["prowler"]))
    label_w, bar_w, row_h, top = 200, 300, 22, 40
    height = top + row_h * len(rows) + 20
    width = label_w + 2 * (bar_w + 90)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for column, (key, title, unit) in enumerate(
        (("wall_seconds", "wall time", "s"), ("peak_rss_mb", "peak RSS", "MB"))
    ):
        x0 = label_w + column * (bar_w + 90)
        most = max(row[key] for _, row in rows)
        parts.append(f'<text x="{x0}" y="20" font-weight="bold">{title} ({unit})</text>')
        for i, (label, row) in enumerate(rows):
            y = top + i * row_h
            length = max(1.0, bar_w * row[key] / most)
            colour = "#d9822b" if label.startswith("Prowler") else "#2b6cb0"
            parts.append(f'<rect x="{x0}" y="{y}" width="{length:.1f}" height="{row_h - 6}" fill="{colour}"/>')
            parts.append(f'<text x="{x0 + length + 4:.1f}" y="{y + row_h - 10}">{row[key]:,.0f}</text>')
    for i, (label, _) in enumerate(rows):
        parts.append(
            f'<text x="{label_w - 8}" y="{top + i * row_h + row_h - 10}" text-anchor="end">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def render(results: dict[str, Any], markdown: Path, svg: Path) -> None:
    svg.write_text(chart(results))
    text = markdown.read_text() if markdown.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    markdown.write_text(f"{head}{BEGIN}\n\n{generated(results)}\n\n{END}{tail}")
