"""The bookshop code location: a pipeline over the bookshop's MySQL data."""
