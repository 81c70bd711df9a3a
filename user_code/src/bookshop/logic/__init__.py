"""Pure data logic: DataFrames in, DataFrames out, no Dagster."""
