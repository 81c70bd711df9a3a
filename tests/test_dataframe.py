"""Dagster checks the DataFrame type of asset outputs, while the code server never imports pandas."""

import dagster as dg
import pandas as pd

from bookshop.dataframe import DataFrame


@dg.asset
def frame() -> dg.Output[DataFrame]:
    return dg.Output(pd.DataFrame({"id": [1, 2]}))


@dg.asset
def not_a_frame() -> dg.Output[DataFrame]:
    return dg.Output([1, 2])


def test_a_data_frame_passes_the_type_check():
    result = dg.materialize([frame])

    assert result.success
    assert result.output_for_node("frame")["id"].tolist() == [1, 2]


def test_a_value_that_is_not_a_data_frame_fails_the_step():
    result = dg.materialize([not_a_frame], raise_on_error=False)

    assert not result.success
    [failure] = [event for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_FAILURE]
    error = failure.step_failure_data.error
    assert error.cls_name == "DagsterTypeCheckDidNotPass"
    assert 'Type check failed for step output "result" - expected type "DataFrame"' in error.message
