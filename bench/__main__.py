"""`python -m bench`: every benchmark, one table, bench/results.json.

    python -m bench                        # every part but the burst, on a compose project of its own
    python -m bench --parts soak --soak-minutes 30                     # the compressed month on record
    python -m bench --parts burst                                      # the burst on record
    python -m bench --parts burst --burst-files 10 --burst-bad 2       # one part, small
    python -m bench --skip-stack --mysql-admin-url mysql://root@127.0.0.1:3306   # no Docker

Order: build the images and start the stack from empty volumes; Dagster's deploy_docker beside
it (cold starts, one-asset launches, the idle spell and `docker stats` of both, then the runs
page in Chromium over an emulated network); the burst of order files (`--parts burst`); a dropped
file to the figures; the compressed month; extraction on a database of `--rows` orders;
daily_refresh and the incremental refresh at each of `--scale-rows`. Generated orders live in
databases of their own beside `shop` in the same MySQL; the compose projects are removed with
their volumes at the end, whatever happened.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import burst, drop, locations, reads, reference, report, scale, soak, ui
from bench.database import BenchDatabase
from bench.process import ROOT
from support.stack import Stack, new_stack

PARTS = ("reference", "ui", "locations", "drop", "burst", "soak", "extraction", "scale")
# What `make bench` measures: every part but the burst, whose one-run-per-file anchor alone takes
# some 20 minutes for a target met since (its figure on record is its own run, bench/README.md).
DEFAULT_PARTS = ("reference", "ui", "locations", "drop", "soak", "extraction", "scale")


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(DEFAULT_PARTS), help="what to measure")
    parser.add_argument("--rows", type=int, default=1_000_000, help="orders in the extraction benchmark")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each figure; the median is reported")
    parser.add_argument("--idle-seconds", type=float, default=120, help="idle spell before docker stats")
    parser.add_argument("--scale-rows", type=int, nargs="+", default=[1_000_000, 5_000_000], help="orders per size")
    parser.add_argument("--changed-orders", type=int, default=10_000, help="orders changed before each incremental")
    parser.add_argument("--burst-files", type=int, default=200, help="good order files dropped at once")
    parser.add_argument("--burst-orders", type=int, default=100, help="orders in each good file")
    parser.add_argument("--burst-bad", type=int, default=20, help="bad order files dropped with them")
    parser.add_argument("--drop-files", type=int, default=200, help="files dropped at once on their way to the figures")
    parser.add_argument("--soak-minutes", type=float, default=30, help="the compressed month's length")
    parser.add_argument("--skip-stack", action="store_true", help="only what needs no Docker (extraction, incremental)")
    parser.add_argument(
        "--mysql-admin-url",
        help="read orders from this server (it must hold mysql_init/'s shop) instead of the stack's MySQL",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    options = parser.parse_args(argv)
    if options.skip_stack and not options.mysql_admin_url:
        parser.error("--skip-stack needs --mysql-admin-url")
    if min(options.scale_rows) < options.changed_orders * 100:
        parser.error("--scale-rows must each hold at least 100 x --changed-orders orders")
    return options


def mysql_admin_url(stack: Stack) -> str:
    host, port = stack.mysql_address()
    return f"mysql://root:{stack.env['MYSQL_ROOT_PASSWORD']}@{host}:{port}"


def timed(results: dict[str, Any], part: str, work: Callable[[], Any]) -> Any:
    """Run one part of the benchmark and keep its wall time in results["part_seconds"]."""
    started = time.monotonic()
    value = work()
    results.setdefault("part_seconds", {})[part] = round(time.monotonic() - started, 1)
    return value


def beside_reference(stack: Stack, options: argparse.Namespace, results: dict[str, Any]) -> None:
    """The figures against deploy_docker, started beside ours."""
    with reference.beside(stack) as (theirs, build_seconds):
        results.setdefault("part_seconds", {})["reference build"] = round(build_seconds, 1)
        if "reference" in options.parts:
            results["reference"] = timed(
                results, "reference", lambda: reference.measure(stack, theirs, options.repeats, options.idle_seconds)
            )
        if "ui" in options.parts:
            if "reference" not in options.parts:  # the runs page shows a run of each
                reference.launches(stack, theirs, 1)
            results["ui"] = timed(results, "ui", lambda: ui.measure(stack, theirs, options.repeats))


def stack_figures(stack: Stack, options: argparse.Namespace, results: dict[str, Any]) -> None:
    timed(results, "build", stack.build)
    timed(results, "start", stack.up)
    if {"reference", "ui"} & set(options.parts):
        beside_reference(stack, options, results)
    if "locations" in options.parts:
        results["locations"] = timed(
            results, "locations", lambda: locations.measure(stack, options.repeats, options.idle_seconds)
        )
    if "burst" in options.parts:
        results["burst"] = timed(
            results,
            "burst",
            lambda: burst.measure(stack, options.burst_files, options.burst_orders, options.burst_bad),
        )
    if "drop" in options.parts:
        results["drop_to_figures"] = timed(
            results, "drop", lambda: drop.measure(stack, options.drop_files, options.burst_orders)
        )
    if "soak" in options.parts:
        results["soak"] = timed(results, "soak", lambda: soak.measure(stack, options.soak_minutes))


def database_figures(admin_url: str, stack: Stack | None, options: argparse.Namespace, results: dict[str, Any]) -> None:
    if "extraction" in options.parts:
        database = BenchDatabase.from_admin_url(admin_url, f"bench_{os.getpid()}")
        results["database"] = database.name
        try:
            results["extraction"] = timed(
                results, "extraction", lambda: reads.measure(database, options.rows, options.repeats)
            )
        finally:
            database.drop()
    if "scale" in options.parts:
        reader = stack.env.get("MYSQL_READER_USER", "bookshop_reader") if stack else None
        measured = timed(
            results,
            "scale",
            lambda: scale.measure(
                admin_url, options.scale_rows, options.changed_orders, options.repeats, stack, reader
            ),
        )
        incremental = measured["incremental_scale"]
        results["incremental"] = {"scale_ratio": incremental["scale_ratio"], "scale": incremental}
        if "scale" in measured:
            results["scale"] = measured["scale"]


def main(argv: list[str]) -> int:
    options = arguments(argv)
    began = time.monotonic()
    # The machine's load tells how far to trust the figures: other work may share the cores.
    results: dict[str, Any] = {"repeats": options.repeats, "cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0]}
    stack = None if options.skip_stack else new_stack("bench")
    if stack:
        # The bench loads its generated orders as MySQL's root from this host (never done in a deployment).
        stack.env["MYSQL_ROOT_HOST"] = "%"
    try:
        if stack:
            print(f"compose project {stack.project}, webserver on 127.0.0.1:{stack.webserver_port}", file=sys.stderr)
            stack_figures(stack, options, results)
        database_figures(options.mysql_admin_url or mysql_admin_url(stack), stack, options, results)
    finally:
        if stack:
            stack.down()
    results["load_at_end"] = os.getloadavg()[0]
    results["total_seconds"] = round(time.monotonic() - began, 1)
    report.write(results, options.output)
    print(report.render(results))
    print(f"\nparts (s): {results.get('part_seconds', {})}, total {results['total_seconds']} s")
    print(f"load average (1 min) {results['load_at_start']:.1f} at start, {results['load_at_end']:.1f} at end")
    print(f"written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
