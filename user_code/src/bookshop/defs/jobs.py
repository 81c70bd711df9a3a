"""Asset jobs: which assets each scheduled refresh materialises."""

import dagster as dg

from bookshop.asset_groups import ANALYTICS, EXPORTS, SOURCES
from bookshop.defs.sources import OrdersRefresh

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Every asset, sources to exports: the complete overnight refresh, orders read in full.",
    # Once a night every order is read again, whatever the incremental refreshes in between did.
    config=dg.RunConfig(ops={"mysql_orders": OrdersRefresh(full_refresh=True)}),
)

source_refresh = dg.define_asset_job(
    "source_refresh",
    selection=dg.AssetSelection.groups(SOURCES.name),
    description="Only the raw MySQL copies.",
)

analytics_refresh = dg.define_asset_job(
    "analytics_refresh",
    selection=dg.AssetSelection.groups(ANALYTICS.name, EXPORTS.name),
    description="Analytics and exports from the transforms already stored.",
)

weekend_batch = dg.define_asset_job(
    "weekend_batch",
    selection=dg.AssetSelection.all(),
    description="Every asset, for weekend batch processing.",
)
