import dagster as dg
import pandas as pd
import pytest

from bookshop.definitions import defs
from bookshop.defs.incoming import OrderFileConfig
from bookshop.files import IncomingOrderFiles

HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"


@pytest.fixture
def incoming(tmp_path):
    (tmp_path / "incoming").mkdir()
    return IncomingOrderFiles(path=str(tmp_path / "incoming"), storage_path=str(tmp_path / "storage"))


def load(incoming, file_name):
    job = defs().resolve_job_def("ingest_order_file")
    with dg.instance_for_test() as instance:
        return job.execute_in_process(
            run_config=dg.RunConfig(ops={"load_order_file": OrderFileConfig(file_name=file_name)}),
            resources={"incoming": incoming},
            instance=instance,
            raise_on_error=False,
        )


def test_a_good_file_is_landed_as_parquet_and_moved_to_processed(code_location_env, incoming):
    (incoming.directory / "good.csv").write_text(HEADER + "1,2,3,2,12.50,2026-11-01T10:00:00\n")

    result = load(incoming, "good.csv")

    assert result.success
    assert not (incoming.directory / "good.csv").exists()
    assert (incoming.directory / "processed" / "good.csv").is_file()
    [landed] = (incoming.directory.parent / "storage" / "incoming_orders").glob("good.*.parquet")
    frame = pd.read_parquet(landed)
    assert frame[["order_id", "quantity", "unit_price_cents", "source_file"]].values.tolist() == [
        [1, 2, 1250, "good.csv"]
    ]
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey("incoming_orders")
    assert event.materialization.metadata["row_count"].value == 1


def test_a_bad_file_fails_its_run_naming_the_file_and_problem_and_is_rejected(code_location_env, incoming):
    (incoming.directory / "bad.csv").write_text(HEADER + "1,2,3,lots,12.50,2026-11-01\n")

    result = load(incoming, "bad.csv")

    assert not result.success
    assert (incoming.directory / "rejected" / "bad.csv").is_file()
    assert not (incoming.directory / "storage").exists()
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "bad.csv: row 2, column quantity: 'lots' is not a whole number" in message


def test_a_name_already_processed_is_kept_beside_not_over_the_old_one(code_location_env, incoming):
    (incoming.directory / "processed").mkdir()
    (incoming.directory / "processed" / "day.csv").write_text("the earlier file")
    (incoming.directory / "day.csv").write_text(HEADER + "1,2,3,2,12.50,2026-11-01\n")

    assert load(incoming, "day.csv").success

    assert (incoming.directory / "processed" / "day.csv").read_text() == "the earlier file"
    assert len(list((incoming.directory / "processed").glob("day.*.csv"))) == 1
