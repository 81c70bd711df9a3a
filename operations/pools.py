"""Create the code location's pools before its code server serves (code_locations/code-location.yaml).

Every asset is in a pool of its own name, and the instance gives a pool
`concurrency.default_op_concurrency_limit` slots (dagster.yaml). Left to itself, Dagster creates a
pool the first time a step claims it, and runs that start together on a fresh install race to
create the same pool, failing in Dagster's own bookkeeping (dagster-io/dagster#33552). This creates
the missing pools of the location's jobs ahead, one at a time, with the instance's default limit, as
`dagster instance concurrency set` does, in one process. A pool that exists keeps its limit (an
operator may have changed it in the UI). The definitions are those the code server serves:
CODE_LOCATION_MODULE's CODE_LOCATION_ATTRIBUTE (`defs` unless set).
"""

import importlib
import os

import dagster as dg


def pools(definitions: dg.Definitions) -> set[str]:
    """The pools the code location's steps claim."""
    return {pool for job in definitions.resolve_all_job_defs() for node in job.all_node_defs for pool in node.pools}


def location_definitions() -> dg.Definitions:
    """The code location's definitions, from its module; a @dg.definitions function is called."""
    module = importlib.import_module(os.environ["CODE_LOCATION_MODULE"])
    found = getattr(module, os.environ.get("CODE_LOCATION_ATTRIBUTE") or "defs")
    return found if isinstance(found, dg.Definitions) else found()


with dg.DagsterInstance.get() as instance:
    limit = instance.global_op_concurrency_default_limit
    if limit is None:
        raise SystemExit("dagster.yaml sets no concurrency.default_op_concurrency_limit: no pool to create.")
    storage = instance.event_log_storage
    existing = storage.get_concurrency_keys()
    for pool in sorted(pools(location_definitions()) - existing):
        storage.set_concurrency_slots(pool, limit)
        print(f"Created pool {pool} with {limit} slot(s).")
    print(f"{len(existing)} pool(s) existed and were left as they are.")
