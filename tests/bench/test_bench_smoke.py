"""The benchmark's own code at a tiny size: `python -m bench --skip-stack` end to end, not its timings.

It runs against the integration tests' MySQL (BOOKSHOP_TEST_MYSQL_ADMIN_URL, or the compose stack's
mysql service) and checks what the benchmark reports is what the database holds.
"""

import json
import subprocess
import sys

from integration.conftest import ROOT, shop_database  # noqa: F401  (the fixture, shared)
from sqlalchemy import text

ROWS = 1000


def test_reads_benchmark_reports_exact_orders_and_a_one_percent_refresh(shop_database, tmp_path):  # noqa: F811
    output = tmp_path / "results.json"
    admin_url = shop_database.admin_url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "bench", "--skip-stack", "--mysql-admin-url", admin_url]
    options = ["--rows", str(ROWS), "--repeats", "1", "--output", str(output)]
    finished = subprocess.run([*command, *options], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]

    results = json.loads(output.read_text())
    with shop_database.admin_engine().connect() as connection:
        cents = connection.execute(text(f"SELECT SUM(unit_price * 100) FROM orders WHERE id <= {ROWS}")).scalar()
        left = connection.execute(text("SHOW DATABASES LIKE :name"), {"name": results["database"]}).scalars().all()

    extraction, incremental = results["extraction"], results["incremental"]
    assert extraction["rows"] == ROWS
    assert (extraction["money_exact"], extraction["cents_total"]) == (True, int(cents))
    assert extraction["rows_per_second"] == round(ROWS / extraction["seconds"])
    assert 0 < extraction["floor_seconds"] < extraction["process_seconds"]
    assert extraction["peak_rss_mb"] > extraction["floor_peak_rss_mb"] > 0
    assert (incremental["changed_rows"], incremental["changed_fraction"]) == (ROWS // 100, 0.01)
    assert incremental["full_run_seconds"] == extraction["materialization_seconds"] > incremental["full_seconds"] > 0
    assert incremental["run_seconds"] > incremental["seconds"] > 0
    assert incremental["read_table_seconds"] > 0
    assert set(incremental["phases_seconds"]) == {"read changed rows and deleted ids", "fold into the stored table"}
    assert "extraction: read_table, 1,000 orders" in finished.stdout
    assert "incremental refresh, 1% changed" in finished.stdout
    assert results["database"].startswith("bench_") and not left, "the benchmark's database was left behind"
