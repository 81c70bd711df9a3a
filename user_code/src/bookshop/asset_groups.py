"""The asset groups: each group's name, kinds and owners, said once.

Every asset is declared through its group (`@SOURCES.asset(...)`), so what the UI shows about a
group's assets cannot drift from one decorator to the next. Each asset is also put in a
concurrency pool named after it: the instance gives every pool one slot (dagster.yaml), so one
run at a time writes an asset, however schedules, sensors, automation and operators overlap.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dagster as dg

OWNERS = ("team:data-platform",)


@dataclass(frozen=True)
class AssetGroup:
    name: str
    kinds: frozenset[str]
    owners: tuple[str, ...] = OWNERS

    def asset(self, **attributes: Any) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
        """`@dg.asset` with this group's name, kinds and owners, and a pool of the asset's own name."""

        def decorate(function: Callable[..., Any]) -> dg.AssetsDefinition:
            return dg.asset(
                group_name=self.name,
                kinds=set(self.kinds),
                owners=list(self.owners),
                pool=attributes.get("name", function.__name__),
                **attributes,
            )(function)

        return decorate

    def spec(self, key: str, description: str, **attributes: Any) -> dg.AssetSpec:
        """An asset that an op job's runs report as materialized, with this group's name, kinds and owners."""
        return dg.AssetSpec(
            key,
            group_name=self.name,
            kinds=set(self.kinds),
            owners=list(self.owners),
            description=description,
            **attributes,
        )


SOURCES = AssetGroup("sources", frozenset({"mysql", "pandas"}))
INCOMING = AssetGroup("incoming", frozenset({"csv", "parquet"}))
TRANSFORMS = AssetGroup("transforms", frozenset({"pandas", "parquet"}))
ANALYTICS = AssetGroup("analytics", frozenset({"pandas", "parquet"}))
EXPORTS = AssetGroup("exports", frozenset({"csv"}))
