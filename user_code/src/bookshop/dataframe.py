"""The table type that assets pass to each other: a pandas DataFrame, named without importing pandas.

The code server only loads definitions; steps run in their own containers. Importing pandas
(and pyarrow with it) there would cost the code server about 40 MB that it never uses, so asset
and check signatures name this Dagster type, and pandas is imported where a function calls it.
"""

import dagster as dg


def is_data_frame(_context: dg.TypeCheckContext, value: object) -> bool:
    import pandas as pd

    return isinstance(value, pd.DataFrame)


DataFrame = dg.DagsterType(name="DataFrame", type_check_fn=is_data_frame, description="A pandas DataFrame.")
