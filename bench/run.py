"""The benchmark: partner-nhi's real CLI on synthetic estates served by the emulators,
side by side with Prowler on the same moto server; writes bench/results.json, the
tables of BENCHMARKS.md and bench/chart.svg.

    .venv/bin/python bench/run.py                       # everything (about an hour on 2 cores)
    .venv/bin/python bench/run.py --sizes 2500 --clouds aws --prowler
    .venv/bin/python bench/run.py --render              # BENCHMARKS.md and the chart from results.json

Each estate is seeded and served by ``bench/serve.py`` in a child process; each
measurement is one ``partner-nhi scan`` process (SQLite store file, JSON report file)
whose wall time, peak RSS (``wait4``), calls counted at the server, store size and
findings are recorded, with the load average and the other processes' CPU time
while it ran (the machine is shared). Prowler (pinned, in its own virtualenv under
build/bench) runs its IAM credential checks on the 2,500-identity AWS estate (2,000
users and 500 roles) right after partner-nhi, on the same server. ``--profile`` adds
a py-spy profile of a second scan of the 10,000-identity AWS estate.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_estate import CATEGORIES, expected
from machine import Neighbours, describe, git
from measure import EstateServer, Measured, TimedOut, start_launcher
from prowler import CHECKS, VERSION, failed_by_check, prowler_scan
from prowler import user_findings as prowler_user_findings
from render import render
from scanners import Scan, scan_estate, user_findings
from spy import summarise, wrap

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
WORK = ROOT / "build" / "bench" / "runs"


def _figures(scan: Scan) -> dict[str, Any]:
    measured = scan.measured
    return {
        "identities": scan.identities,
        "status": scan.status,
        **_process(measured),
        "calls_per_identity": round(measured.calls / scan.identities, 3) if scan.identities else None,
        "database_mb": round(scan.database_mb, 1),
        "report_mb": round(scan.report_mb, 1),
        "findings": sum(scan.findings.values()),
        "findings_by_rule": dict(scan.findings),
    }


def _process(measured: Measured) -> dict[str, Any]:
    return {
        "wall_seconds": round(measured.wall, 1),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "cpu_seconds": round(measured.cpu_seconds, 1),
        "startup_seconds": None if measured.startup is None else round(measured.startup, 2),
        "calls": measured.calls,
        "batch_items": measured.batch_items,
        "operations": dict(sorted(measured.operations.items())),
        "exit_code": measured.exit_code,
    }


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: dict[str, Any] = {
            "machine": describe(),
            "commit": git("rev-parse", "--short", "HEAD"),
            "main": git("rev-parse", "--short", "main"),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "scans": [],
            "skipped": [],
        }

    def log(self, message: str) -> None:
        print(f"{datetime.now():%H:%M:%S} {message}", flush=True)

    def quiet(self) -> dict[str, Any]:
        """Wait, up to --wait seconds, for the 1-minute load to fall to --quiet-load: on a
        shared machine, measure in a lull when there is one, and say when there was none."""
        waited = 0.0
        while os.getloadavg()[0] > self.args.quiet_load and waited < self.args.wait:
            time.sleep(10)
            waited += 10
        load = os.getloadavg()[0]
        return {"waited_seconds": waited, "load_at_start": round(load, 2), "quiet": load <= self.args.quiet_load}

    def scan(self, estate: EstateServer, name: str, **extra: Any) -> Scan | None:
        """One measured partner-nhi scan, recorded with the load it ran under."""
        lull = self.quiet()
        self.log(f"scan {name} (load {_load()})")
        try:
            with Neighbours() as others:
                scan = scan_estate(estate, estate.cloud, WORK / name, self.args.timeout, **extra)
        except TimedOut as error:
            self.skip(estate, str(error))
            return None
        row = {
            "cloud": estate.cloud,
            "size": estate.size,
            "accounts": estate.accounts,
            "concurrency": extra.get("concurrency", 8),
            "seed_seconds": round(estate.seeded, 1),
            **_figures(scan),
            "load": {**lull, **others.summary()},
        }
        self.results["scans"].append(row)
        self.log(f"  {row['wall_seconds']} s, {row['peak_rss_mb']} MB, {row['calls']} calls, {row['status']}")
        return scan

    def skip(self, estate: EstateServer, reason: str) -> None:
        self.log(f"  skipped: {reason}")
        self.results["skipped"].append(
            {"cloud": estate.cloud, "size": estate.size, "accounts": estate.accounts, "reason": reason}
        )

    def prowler(self, estate: EstateServer, ours: Scan) -> None:
        lull = self.quiet()
        self.log(f"prowler {VERSION} on the same estate (load {_load()})")
        with Neighbours() as others:
            measured, findings = prowler_scan(estate, WORK / "prowler", self.args.timeout)
        truth = expected(estate.size)
        theirs, mine = prowler_user_findings(findings), user_findings(ours.report)
        comparison = {}
        for category in CATEGORIES:
            should = getattr(truth, category)
            comparison[category] = {
                "expected": len(should),
                "prowler": len(theirs[category]),
                "partner_nhi": len(mine[category]),
                "only_prowler": sorted(theirs[category] - mine[category])[:10],
                "only_partner_nhi": sorted(mine[category] - theirs[category])[:10],
                "prowler_missed": len(should - theirs[category]),
                "prowler_extra": len(theirs[category] - should),
                "partner_nhi_missed": len(should - mine[category]),
                "partner_nhi_extra": len(mine[category] - should),
            }
        self.results["prowler"] = {
            "version": VERSION,
            "checks": list(CHECKS),
            "size": estate.size,
            **_process(measured),
            "findings_failed": failed_by_check(findings),
            "comparison": comparison,
            "load": {**lull, **others.summary()},
        }
        self.log(f"  {measured.wall:.1f} s, {measured.peak_rss_mb:.0f} MB, {measured.calls} calls")

    def profile(self, estate: EstateServer) -> None:
        raw = WORK / "profile" / "py-spy.txt"
        self.log(f"profile of a second scan of {estate.size} identities (load {_load()})")
        scan = scan_estate(estate, estate.cloud, WORK / "profile", self.args.timeout, wrap=wrap(raw))
        self.results["profile"] = {"size": estate.size, "wall_seconds": round(scan.measured.wall, 1), **summarise(raw)}

    def accounts(self, accounts: int, size: int) -> None:
        """N accounts of ``size`` identities, beside one account of that size (SPEC §8)."""
        if size not in self.args.sizes:
            self.log(f"seeding aws {size}")
            with EstateServer("aws", size, WORK / f"serve-aws-{size}.log") as single:
                self.scan(single, f"aws-{size}")
        self.log(f"seeding aws {accounts} x {size}")
        with EstateServer("aws", size, WORK / f"serve-aws-{accounts}x{size}.log", accounts) as estate:
            for concurrency in self.args.multi_concurrency:
                self.scan(estate, f"aws-{accounts}x{size}-c{concurrency}", concurrency=concurrency)

    def run(self) -> None:
        args = self.args
        for cloud in args.clouds:
            for size in args.sizes:
                if size > args.max_size.get(cloud, size):
                    self.results["skipped"].append(
                        {"cloud": cloud, "size": size, "accounts": 1, "reason": f"over --max-size {cloud}"}
                    )
                    continue
                self.log(f"seeding {cloud} {size}")
                with EstateServer(cloud, size, WORK / f"serve-{cloud}-{size}.log") as estate:
                    ours = self.scan(estate, f"{cloud}-{size}")
                    if cloud == "aws" and size == args.prowler_size and args.prowler and ours is not None:
                        self.prowler(estate, ours)
                    if cloud == "aws" and size == args.profile_size and args.profile:
                        self.profile(estate)
            if cloud == "aws" and args.accounts > 1:
                self.accounts(args.accounts, args.account_size)
        self.results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        args.results.write_text(json.dumps(self.results, indent=1) + "\n")
        self.log(f"wrote {args.results}")


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def _max_sizes(text: str) -> dict[str, int]:
    return {cloud: int(size) for cloud, size in (item.split("=") for item in text.split(",") if item)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2500,10000,50000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--clouds", default="aws,azure,gcp", type=lambda s: s.split(","))
    parser.add_argument("--max-size", default="", type=_max_sizes, help="e.g. aws=10000: skip larger estates")
    parser.add_argument("--accounts", type=int, default=5, help="AWS: also N accounts of --account-size (1: none)")
    parser.add_argument("--account-size", type=int, default=10000)
    parser.add_argument("--prowler", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--multi-concurrency",
        default=[8],
        type=lambda s: [int(x) for x in s.split(",")],
        help="scope concurrency of the several-account scans, e.g. 8,1",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="where to write the figures (BENCHMARKS.md only from the default)"
    )
    parser.add_argument("--prowler-size", type=int, default=2500, help="the AWS size Prowler also scans")
    parser.add_argument("--profile-size", type=int, default=10000, help="the AWS size profiled")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per scan before it is killed")
    parser.add_argument("--quiet-load", type=float, default=2.0, help="1-minute load to wait for before a scan")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for that load at most")
    parser.add_argument("--render", action="store_true", help="only render BENCHMARKS.md from results.json")
    args = parser.parse_args()
    if not args.render:
        start_launcher()  # while the harness is small: see bench/launch.py
        started = time.perf_counter()
        Harness(args).run()
        print(f"harness: {time.perf_counter() - started:.0f} s")
    if args.results == RESULTS:
        render(json.loads(RESULTS.read_text()), ROOT / "BENCHMARKS.md", ROOT / "bench" / "chart.svg")


if __name__ == "__main__":
    main()
