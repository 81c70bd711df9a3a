"""The table type that assets pass to each other: a pandas DataFrame, named without importing pandas.

The code server only loads definitions; steps run in their own containers. Importing pandas
(and pyarrow with it) there would cost the code server about 40 MB that it never uses, so asset
and check signatures name `DataFrame` from here, and pandas is imported where a function calls it.

One name, read two ways: a type checker reads `DataFrame` as `pandas.DataFrame`; at run time it is
a Dagster type whose check imports pandas only when a step hands it a value, so Dagster still
fails a step whose output or input is not a DataFrame.
"""

from typing import TYPE_CHECKING, TypeAlias

import dagster as dg

if TYPE_CHECKING:
    import pandas as pd


def is_data_frame(_context: dg.TypeCheckContext, value: object) -> bool:
    import pandas as pd

    return isinstance(value, pd.DataFrame)


if TYPE_CHECKING:
    DataFrame: TypeAlias = pd.DataFrame
else:
    DataFrame = dg.DagsterType(name="DataFrame", type_check_fn=is_data_frame, description="A pandas DataFrame.")
