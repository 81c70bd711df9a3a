"""The sensor that evaluates the sources' automation conditions (see sources.py for the rule)."""

import dagster as dg

from bookshop.asset_groups import SOURCES

sources_automation_sensor = dg.AutomationConditionSensorDefinition(
    "sources_automation_sensor",
    target=dg.AssetSelection.groups(SOURCES.name),
    # Unlike Dagster's implicit default automation sensor, this one starts running:
    # keeping mysql_orders inside its freshness policy must not wait for an operator.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Materialises the sources on their automation condition, keeping mysql_orders fresh.",
)
