"""incoming_orders: the orders landed from dropped files, read by orders_cleaned beside mysql_orders."""

import dagster as dg

from bookshop.asset_groups import INCOMING
from bookshop.incoming_files import IncomingOrderFiles

incoming_orders = INCOMING.spec(
    "incoming_orders",
    # One Parquet file per distinct file content under <storage>/incoming_orders/, one event per file.
    description="Orders landed from CSV files dropped into the incoming folder, by ingest_order_file runs.",
    metadata={
        "order_id_in_mysql": "MySQL's order wins; orders_cleaned counts the file's row in landed_conflicts_with_mysql",
        "invalid_rows": "the cleaning rules of MySQL orders apply; dropped rows are counted on orders_cleaned",
    },
)


@dg.asset_check(
    asset=incoming_orders.key,
    description="No order id was landed from two different files (orders_cleaned keeps only one of them).",
)
def incoming_orders_ids_unique_across_files(incoming: IncomingOrderFiles) -> dg.AssetCheckResult:
    landed = incoming.landed_orders.read_all()
    repeated = landed[landed["order_id"].duplicated(keep=False)]
    return dg.AssetCheckResult(
        passed=repeated.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "landed_orders": len(landed),
            "landed_files": int(landed["source_file"].nunique()),
            "order_ids_in_several_files": int(repeated["order_id"].nunique()),
        },
    )
