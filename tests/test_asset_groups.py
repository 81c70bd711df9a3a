"""One writer per asset at a time: every asset in a pool of its own, one slot per pool in the instance."""

from pathlib import Path

import yaml

from bookshop.definitions import defs

ROOT = Path(__file__).resolve().parents[1]


def test_every_asset_is_in_a_pool_of_its_own_name(code_location_env):
    graph = defs().resolve_asset_graph()
    pools = {
        key.to_user_string(): graph.get(key).pools for key in graph.get_all_asset_keys() if graph.get(key).is_executable
    }

    assert pools and pools == {name: {name} for name in pools}


def test_the_instance_admits_one_step_per_pool_across_all_runs():
    instance = yaml.safe_load((ROOT / "dagster.yaml").read_text())

    assert instance["concurrency"] == {"default_op_concurrency_limit": 1}
