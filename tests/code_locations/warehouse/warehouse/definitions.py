"""The warehouse team's code location: the stock on hand at its site, counted every morning."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg


@dg.asset(
    group_name="warehouse",
    kinds={"python", "json"},
    owners=["team:warehouse"],
    pool="stock_count",
    description=f"Stock on hand at the {os.environ.get('WAREHOUSE_SITE', 'main')} site, counted by the warehouse team.",
)
def stock_count() -> dg.MaterializeResult:
    """Write the site's count to the team's own data volume."""
    counted = {"site": os.environ.get("WAREHOUSE_SITE", "main"), "at": datetime.now(UTC).isoformat(), "items": 42}
    path = Path(os.environ.get("WAREHOUSE_DATA_PATH", "/data")) / "stock_count.json"
    path.write_text(json.dumps(counted))
    return dg.MaterializeResult(metadata={"path": str(path), "items": counted["items"]})


stock_count_job = dg.define_asset_job("stock_count_job", selection=[stock_count])

stock_count_schedule = dg.ScheduleDefinition(
    name="stock_count_schedule", job=stock_count_job, cron_schedule="0 6 * * *", execution_timezone="UTC"
)


@dg.sensor(job=stock_count_job, minimum_interval_seconds=60)
def stock_delivery_sensor(context: dg.SensorEvaluationContext):
    """A count after each delivery note dropped in the team's data volume (deliveries/)."""
    folder = Path(os.environ.get("WAREHOUSE_DATA_PATH", "/data")) / "deliveries"
    notes = sorted(path.name for path in folder.glob("*.json")) if folder.is_dir() else []
    for note in notes:
        if note > (context.cursor or ""):
            yield dg.RunRequest(run_key=note)
    if notes:
        context.update_cursor(notes[-1])


defs = dg.Definitions(
    assets=[stock_count], jobs=[stock_count_job], schedules=[stock_count_schedule], sensors=[stock_delivery_sensor]
)
