"""After a landing, the figures follow: landed_orders_sensor requests orders_cleaned and everything downstream.

Each new materialization of incoming_orders (one per landed file) requests one run; files landed
between two sensor ticks share a run. Runs never write an asset at the same time: each asset has
a pool of one slot (asset_groups.py), so a second request waits in the queue for the first.
Assets upstream that were never materialized (a young install) are run first, in the same run.
"""

import os

import dagster as dg

from bookshop import settings
from bookshop.defs.incoming.assets import incoming_orders
from bookshop.defs.schedules import never_materialized_upstream

AFTER_LANDING = dg.AssetSelection.assets("orders_cleaned").downstream()

landed_orders_refresh = dg.define_asset_job(
    "landed_orders_refresh",
    selection=AFTER_LANDING.upstream() - dg.AssetSelection.assets(incoming_orders.key),
    description="orders_cleaned, the analytics and the exports after orders landed (and sources never read yet).",
)


def build_landed_orders_sensor(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.asset_sensor(
        name="landed_orders_sensor",
        asset_key=incoming_orders.key,
        job=landed_orders_refresh,
        minimum_interval_seconds=15,
        default_status=status,
        description="Starts landed_orders_refresh when an order file's orders were landed in incoming_orders.",
    )
    def landed_orders_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry) -> dg.RunRequest:
        repository = context.repository_def
        assert repository is not None
        missing = never_materialized_upstream(context.instance, repository, AFTER_LANDING)
        selection = AFTER_LANDING.upstream() if missing else AFTER_LANDING
        keys = selection.resolve(repository.asset_graph) - {incoming_orders.key}
        return dg.RunRequest(run_key=f"{asset_event.run_id}:{asset_event.timestamp}", asset_selection=sorted(keys))

    return landed_orders_sensor


@dg.definitions
def landing_refresh() -> dg.Definitions:
    status = dg.DefaultSensorStatus.RUNNING if settings.start_running(os.environ) else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(jobs=[landed_orders_refresh], sensors=[build_landed_orders_sensor(status)])
