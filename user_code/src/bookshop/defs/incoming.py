"""The job that loads one dropped order file: validate, land as Parquet, move it out of the way."""

import dagster as dg

from bookshop.files import IncomingOrderFiles
from bookshop.logic.order_files import InvalidOrderFile, read_order_file
from bookshop.metadata import frame_metadata

INCOMING_ORDERS = dg.AssetKey("incoming_orders")


class OrderFileConfig(dg.Config):
    file_name: str


@dg.op(description="Validate one order CSV; load it into incoming_orders, or reject it.")
def load_order_file(context: dg.OpExecutionContext, config: OrderFileConfig, incoming: IncomingOrderFiles) -> None:
    path = incoming.directory / config.file_name
    if not path.is_file():
        raise dg.Failure(f"{config.file_name}: not found in {incoming.directory}", allow_retries=False)
    try:
        orders = read_order_file(path)
    except InvalidOrderFile as error:
        moved = incoming.rejected(path, context.run_id)
        raise dg.Failure(f"Rejected {error} (moved to {moved})", allow_retries=False) from error
    landed = incoming.land(orders.assign(source_file=config.file_name), path, context.run_id)
    moved = incoming.processed(path, context.run_id)
    context.log_event(
        dg.AssetMaterialization(
            INCOMING_ORDERS,
            description=f"Orders loaded from {config.file_name}",
            metadata={
                **frame_metadata(orders),
                "file": config.file_name,
                "parquet": str(landed),
                "moved_to": str(moved),
            },
        )
    )


@dg.job(description="Load one order file dropped into the incoming directory (started by incoming_orders_sensor).")
def ingest_order_file() -> None:
    load_order_file()
