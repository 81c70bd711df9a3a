"""`python -m bench`: every benchmark of issue 5, one table, bench/results.json.

    python -m bench                         # everything, on a compose project of its own
    python -m bench --rows 20000 --repeats 1 --idle-seconds 0    # a quick look
    python -m bench --skip-stack --mysql-admin-url mysql://root@127.0.0.1:3306   # reads only

Order: build the images; first starts (each from `down --volumes`), then cold starts (containers
removed, volumes kept); one-asset launches and
daily_refresh on the seed data; the idle spell and `docker stats`; image sizes; then the
extraction and incremental benchmarks on a database of `--rows` orders beside `shop` in the
same MySQL; the compose project is removed with its volumes at the end, whatever happened.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench import footprint, reads, report, runs
from bench.database import BenchDatabase
from bench.graphql import Dagster
from bench.process import ROOT, middle
from bench.stack import Stack


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="orders in the extraction benchmark")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each figure; the median is reported")
    parser.add_argument("--idle-seconds", type=float, default=300, help="idle spell before docker stats")
    parser.add_argument("--skip-stack", action="store_true", help="only the extraction and incremental figures")
    parser.add_argument(
        "--mysql-admin-url",
        help="read orders from this server (it must hold mysql_init/'s shop) instead of the stack's MySQL",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    options = parser.parse_args(argv)
    if options.skip_stack and not options.mysql_admin_url:
        parser.error("--skip-stack needs --mysql-admin-url")
    return options


def start(stack: Stack, dagster: Dagster, keep_volumes: bool) -> float:
    """Seconds from `docker compose up` (containers removed, images built) until every service is
    healthy and the code location is loaded; with the volumes of the last start, or empty ones."""
    stack.down(keep_volumes=keep_volumes)
    started = time.monotonic()
    stack.up()
    while not dagster.location_loaded():
        time.sleep(0.1)
    return time.monotonic() - started


def stack_figures(stack: Stack, options: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"build_seconds": round(stack.build(), 1)}
    dagster = Dagster(stack.webserver_port, ("operator", stack.env["BOOKSHOP_OPERATOR_PASSWORD"]))
    first = [start(stack, dagster, keep_volumes=False) for _ in range(options.repeats)]
    results["first_start_seconds"] = middle(first)
    results["cold_start_seconds"] = middle([start(stack, dagster, keep_volumes=True) for _ in range(options.repeats)])
    results["launch"] = runs.launch_latency(dagster, stack.user_code_image(), options.repeats)
    results["daily_refresh"] = runs.daily_refresh(dagster, options.repeats)
    results["idle_seconds"] = options.idle_seconds
    results["idle_memory_mb"] = footprint.idle_memory(stack, options.idle_seconds)
    results.update(footprint.images(stack))
    return results


def main(argv: list[str]) -> int:
    options = arguments(argv)
    # The machine's load tells how far to trust the figures: other work shares these 2 cores.
    results: dict[str, Any] = {"repeats": options.repeats, "cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0]}
    stack = None if options.skip_stack else Stack.create()
    try:
        if stack:
            print(f"compose project {stack.project}, webserver on 127.0.0.1:{stack.webserver_port}", file=sys.stderr)
            results.update(stack_figures(stack, options))
        database = BenchDatabase.from_admin_url(
            options.mysql_admin_url or stack.mysql_admin_url(), f"bench_{os.getpid()}"
        )
        results["database"] = database.name
        try:
            results.update(reads.measure(database, options.rows, options.repeats))
        finally:
            database.drop()
    finally:
        if stack:
            stack.down()
    results["load_at_end"] = os.getloadavg()[0]
    report.write(results, options.output)
    print(report.render(results))
    print(f"\nload average (1 min) {results['load_at_start']:.1f} at start, {results['load_at_end']:.1f} at end")
    print(f"written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
