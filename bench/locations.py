"""What a second code location costs: the bookshop stack beside the same stack with the warehouse
team's location added as the operator guide says (tests/code_locations/, support/code_locations.py),
measured by the same code as bench/reference.py.

    cold start: containers removed (volumes kept), then `docker compose up --detach` until the
        webserver has loaded every code location; the two stacks alternately, each alone (the
        other stopped), after a first start of the two-location stack that made its volumes.
    idle memory: both stacks up and idle for the same spell, then one `docker stats` of both;
        the second location's cost is the difference of the whole stacks.
"""

import time
from typing import Any

from bench import footprint, process
from bench.reference import ratio, until_loaded
from support.code_locations import WAREHOUSE, checkout_with
from support.stack import Stack, new_stack

# The second location's code server, by its service name in tests/code_locations/warehouse.yaml.
SECOND_CODE_SERVER = "warehouse"


def cold_starts(one: Stack, two: Stack, repeats: int) -> tuple[list[dict], list[dict]]:
    ones, twos = [], []
    for _ in range(repeats):
        two.down(keep_volumes=True)
        one.down(keep_volumes=True)
        ones.append(until_loaded(one))
        one.compose("stop")
        twos.append(until_loaded(two))
    one.up()
    return ones, twos


def measure(one: Stack, repeats: int, idle_seconds: float) -> dict[str, Any]:
    """Cold starts and idle memory of `one` (the bookshop's location alone) and of the same
    deployment with a second location; ratios two / one."""
    two = new_stack("bench-two", checkout_with(WAREHOUSE))
    two.build()
    try:
        two.up()
        cold_one, cold_two = cold_starts(one, two, repeats)
        time.sleep(idle_seconds)
        memory_one, memory_two = footprint.memory(one, two)
    finally:
        two.down()
    cold_one_median, cold_two_median = process.medians(cold_one), process.medians(cold_two)
    added = round(footprint.whole_stack(memory_two) - footprint.whole_stack(memory_one), 1)
    return {
        "cold_start_ratio": ratio(cold_two_median["seconds"], cold_one_median["seconds"]),
        "added_memory_mb": added,
        "added_memory_ratio": ratio(added, memory_two[SECOND_CODE_SERVER]),
        "one_location": {
            "cold_start_seconds": cold_one_median.pop("seconds"),
            "cold_start_timeline": cold_one_median,
            "whole_stack_at_rest_mb": footprint.whole_stack(memory_one),
            "code_server_mb": memory_one["user_code"],
            "idle_memory_mb": memory_one,
        },
        "two_locations": {
            "cold_start_seconds": cold_two_median.pop("seconds"),
            "cold_start_timeline": cold_two_median,
            "whole_stack_at_rest_mb": footprint.whole_stack(memory_two),
            "second_code_server_mb": memory_two[SECOND_CODE_SERVER],
            "idle_memory_mb": memory_two,
        },
        "idle_seconds": idle_seconds,
        "repeats": repeats,
    }
