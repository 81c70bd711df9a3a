"""The benchmark's own code at a tiny size: `python -m bench --skip-stack` end to end, not its timings.

It runs against the integration tests' MySQL (BOOKSHOP_TEST_MYSQL_ADMIN_URL, or the compose stack's
mysql service) and checks that what the benchmark reports is what the database holds.
"""

import ast
import json
import subprocess
import sys

from integration.conftest import ROOT
from sqlalchemy import text

ROWS = 1000
SCALE_ROWS = (2000, 4000)
CHANGED = 10
# The code location as a deployment uses it: its definitions (jobs, resources, stored asset values).
PUBLIC_ENTRY_POINTS = {"bookshop.definitions"}


def test_reads_benchmark_reports_exact_orders_and_the_incremental_scale(shop_database, tmp_path):
    output = tmp_path / "results.json"
    admin_url = shop_database.admin_url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "bench", "--skip-stack", "--mysql-admin-url", admin_url]
    options = ["--rows", str(ROWS), "--repeats", "1", "--output", str(output)]
    sizes = ["--scale-rows", *map(str, SCALE_ROWS), "--changed-orders", str(CHANGED)]
    finished = subprocess.run([*command, *options, *sizes], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]

    results = json.loads(output.read_text())
    extraction, incremental = results["extraction"], results["incremental"]
    databases = [results["database"], *(size["database"] for size in incremental["scale"]["sizes"].values())]
    with shop_database.admin_engine().connect() as connection:
        cents = connection.execute(text(f"SELECT SUM(unit_price * 100) FROM orders WHERE id <= {ROWS}")).scalar()
        left = [name for name in databases if connection.execute(text("SHOW DATABASES LIKE :n"), {"n": name}).first()]

    assert extraction["rows"] == ROWS
    assert (extraction["money_exact"], extraction["cents_total"]) == (True, int(cents))
    assert extraction["rows_per_second"] == round(ROWS / extraction["seconds"])
    assert extraction["ratio"] == round(extraction["seconds"] / extraction["floor_seconds"], 3)
    assert 0 < extraction["floor_seconds"] < extraction["process_seconds"]
    assert extraction["peak_rss_mb"] > extraction["floor_peak_rss_mb"] > 0
    scaled = incremental["scale"]["sizes"]
    assert set(scaled) == {str(rows) for rows in SCALE_ROWS}
    assert {size["changed_orders"] for size in scaled.values()} == {CHANGED}
    small, large = (scaled[str(rows)]["seconds"] for rows in SCALE_ROWS)
    assert incremental["scale_ratio"] == round(large / small, 3) > 0
    assert "scale" not in results, "daily_refresh at scale needs the stack"
    assert "extraction: read_table, 1,000 orders" in finished.stdout
    assert f"the same {CHANGED} orders changed, 4,000 orders" in finished.stdout
    assert all(name.startswith("bench_") for name in databases) and not left, f"left behind: {left}"


def test_bench_uses_the_code_location_only_through_its_public_entry_points():
    imported = set()
    for path in (ROOT / "bench").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    code_location = {module for module in imported if module.split(".")[0] == "bookshop"}
    assert code_location == PUBLIC_ENTRY_POINTS


def test_the_table_shows_a_verdict_for_every_target_of_the_stack_parts():
    from bench import report, soak, ui

    breakdown = {"to_first_query_seconds": 0.4, "slowest_answer_seconds": 0.25, "slowest_operation": "RunsRootQuery"}
    visits = {
        "first_visit": {"bytes": 1000, "seconds": 2.0, **breakdown},
        "repeat_visit": {"bytes": 100, "seconds": 1.0, **breakdown},
    }
    ours = {
        "first_visit": {"bytes": 200, "seconds": 1.0, **breakdown},
        "repeat_visit": {"bytes": 10, "seconds": 0.5, **breakdown},
    }
    entry = {**ui.ratios(ours, visits), **ours}
    launch = {"seconds": 3.0, "queue_seconds": 1.0, "start_seconds": 1.0, "step_seconds": 0.5}
    side = {"cold_start_seconds": 5.0, "launch": launch, "idle_memory_mb": {"daemon": 100.0}}
    samples = [{"daemon": 100.0, "postgres": 50.0}] * 5 + [{"daemon": 105.0, "postgres": 60.0}]
    results = {
        "reference": {
            "launch_ratio": 0.8,
            "cold_start_ratio": 0.5,
            "idle_memory_ratio": 1.0,
            "idle_cpu_ratio": 3.1,
            "idle_cpu": {
                "ours_percent_of_a_core": 18.6,
                "reference_percent_of_a_core": 6.0,
                "bare_machine_percent_of_a_core": 1.5,
            },
            "whole_stack_at_rest_mb": 850.0,
            "ours": {**side, "idle_memory_same_four_mb": 380.0},
            "reference": {**side, "idle_memory_same_four_mb": 385.0},
        },
        "ui": {"reference": visits, "operator": entry, "viewer": entry},
        "drop_to_figures": {
            "one_file_seconds": 20.0,
            "one_file_stages": {"to_ingest_run": 8.0, "ingest_start": 5.0, "ingest_steps": 7.0},
            "p50_seconds": 40.0,
            "max_seconds": 130.0,
            "files": 200,
        },
        "soak": {
            "minutes": 30,
            "memory_drift": soak.drift(samples),
            "memory_drift_ratio": max(soak.drift(samples).values()),
            "memory_drift_second_half": soak.second_half_drift(samples),
            "runs": {"SUCCESS": 300, "FAILURE": 1},
            "postgres_growth_mb_per_1000_runs": 12.5,
            "leftover_run_containers": 0,
        },
    }

    assert soak.drift(samples) == {"daemon": 1.05, "postgres": 1.2}
    assert soak.second_half_drift(samples) == {"daemon": 1.05, "postgres": 1.2}
    assert soak.second_half_drift(samples[:5]) == {"daemon": 1.0, "postgres": 1.0}
    assert entry["first_visit_bytes_ratio"] == 0.2 and entry["repeat_visit_seconds_ratio"] == 0.5
    table = report.render(results)
    for met in ("<=1.0x", "<=0.6x", "<900 MiB", "<=0.3x", "<=0.5x", "<=0.7x", "<=45 s", "none"):
        assert f"met ({met})" in table, met
    assert "MISSED (<=120 s)" in table and "MISSED (<=1.1x)" in table and "MISSED (<=2.5x)" in table
    assert "18.6 % of a core" in table and "deploy_docker 6.0 % (bare machine 1.5 %)" in table
    assert table.count("viewer entry") == 4 and "1 FAILURE, 300 SUCCESS" in table
    assert "postgres's drift in the second half alone" in table
    assert "0.40 s; 0.25 s" in table and "deploy_docker 0.40 s; 0.25 s" in table
