"""Who may call which mutation of the pinned Dagster's GraphQL schema, decided from what it acts on.

Every mutation is listed once in MUTATIONS with the rule that finds what it acts on: the code
locations named in its arguments (selectors), and those of the runs, backfills, assets, schedules
and sensors it names, looked up in the workspace (lookups.py). What acts on no one location
(concurrency, the global automation pause, the whole workspace) is the admin's; the UI's own
bookkeeping (telemetry, "seen" flags) changes nothing people share and is anyone's.
A mutation missing here is refused to all but the admin (tests/logic/test_mutation_policy.py fails
when the schema has one that the list lacks, so an upgrade of Dagster cannot open a hole).
"""

from dataclasses import dataclass
from enum import Enum


class Scope(Enum):
    LOCATIONS = "the code locations it acts on"
    INSTANCE = "the whole instance: the admin's"
    ANY_SIGNED_IN = "nothing people share"


@dataclass(frozen=True)
class Rule:
    """What a mutation does (its audit record's action) and where in its arguments its targets
    are: dotted paths, "*" stepping into each item of a list."""

    action: str
    locations: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()
    backfills: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    instigators: tuple[str, ...] = ()
    # What the record names as the target besides runs, assets and instigators (a job, a schedule).
    names: tuple[str, ...] = ()
    # Where the tags of the runs it launches are, to add who launched them (argument first).
    tags: tuple[str, ...] = ()
    scope: Scope = Scope.LOCATIONS


def _instance(action: str) -> Rule:
    return Rule(action, scope=Scope.INSTANCE)


EXECUTION = ("executionParams.selector.repositoryLocationName",)
JOB = ("executionParams.selector.jobName", "executionParams.selector.pipelineName")
RUN_TAGS = ("executionParams.executionMetadata.tags",)
REEXECUTION_TAGS = (*RUN_TAGS, "reexecutionParams.extraTags")
PARENT_RUN = ("reexecutionParams.parentRunId", "executionParams.executionMetadata.parentRunId")
SCHEDULE = ("scheduleSelector.repositoryLocationName",)
SENSOR = ("sensorSelector.repositoryLocationName",)
SCHEDULE_IDS = ("id", "scheduleOriginId", "scheduleSelectorId")
SENSOR_IDS = ("id", "jobOriginId", "jobSelectorId")
MUTATIONS: dict[str, Rule] = {
    "launchRun": Rule("launch run", EXECUTION, names=JOB, tags=RUN_TAGS),
    "launchPipelineExecution": Rule("launch run", EXECUTION, names=JOB, tags=RUN_TAGS),
    "launchMultipleRuns": Rule(
        "launch run",
        ("executionParamsList.*.selector.repositoryLocationName",),
        names=("executionParamsList.*.selector.jobName",),
        tags=("executionParamsList.*.executionMetadata.tags",),
    ),
    "launchRunReexecution": Rule("re-execute run", EXECUTION, runs=PARENT_RUN, names=JOB, tags=REEXECUTION_TAGS),
    "launchPipelineReexecution": Rule("re-execute run", EXECUTION, runs=PARENT_RUN, names=JOB, tags=REEXECUTION_TAGS),
    "launchPartitionBackfill": Rule(
        "launch backfill",
        ("backfillParams.selector.repositorySelector.repositoryLocationName",),
        assets=("backfillParams.assetSelection.*", "backfillParams.partitionsByAssets.*.assetKey"),
        names=("backfillParams.selector.partitionSetName",),
        tags=("backfillParams.tags",),
    ),
    "reexecutePartitionBackfill": Rule(
        "re-execute backfill", backfills=("reexecutionParams.parentRunId",), tags=("reexecutionParams.extraTags",)
    ),
    "cancelPartitionBackfill": Rule("cancel backfill", backfills=("backfillId",)),
    "resumePartitionBackfill": Rule("resume backfill", backfills=("backfillId",)),
    "terminateRun": Rule("terminate run", runs=("runId",)),
    "terminatePipelineExecution": Rule("terminate run", runs=("runId",)),
    "terminateRuns": Rule("terminate run", runs=("runIds.*",)),
    "deleteRun": Rule("delete run", runs=("runId",)),
    "deletePipelineRun": Rule("delete run", runs=("runId",)),
    "startSchedule": Rule("start schedule", SCHEDULE, names=("scheduleSelector.scheduleName",)),
    "stopRunningSchedule": Rule("stop schedule", instigators=SCHEDULE_IDS),
    "resetSchedule": Rule("reset schedule", SCHEDULE, names=("scheduleSelector.scheduleName",)),
    "scheduleDryRun": Rule(
        "test schedule", ("selectorData.repositoryLocationName",), names=("selectorData.scheduleName",)
    ),
    "startSensor": Rule("start sensor", SENSOR, names=("sensorSelector.sensorName",)),
    "stopSensor": Rule("stop sensor", instigators=SENSOR_IDS),
    "resetSensor": Rule("reset sensor", SENSOR, names=("sensorSelector.sensorName",)),
    "setSensorCursor": Rule("set sensor cursor", SENSOR, names=("sensorSelector.sensorName",)),
    "sensorDryRun": Rule("test sensor", ("selectorData.repositoryLocationName",), names=("selectorData.sensorName",)),
    "reloadRepositoryLocation": Rule("reload location", ("repositoryLocationName",)),
    "shutdownRepositoryLocation": Rule("shut down location", ("repositoryLocationName",)),
    "addDynamicPartition": Rule(
        "add partition", ("repositorySelector.repositoryLocationName",), names=("partitionKey",)
    ),
    "deleteDynamicPartitions": Rule(
        "delete partitions", ("repositorySelector.repositoryLocationName",), names=("partitionKeys.*",)
    ),
    "setAppManagedComponent": Rule("set component", ("locationName",), names=("componentId",)),
    "deleteAppManagedComponent": Rule("delete component", ("locationName",), names=("componentId",)),
    "refreshComponentState": Rule("refresh component", ("locationName",), names=("defsStateKey",)),
    "wipeAssets": Rule("wipe assets", assets=("assetPartitionRanges.*.assetKey",)),
    "reportRunlessAssetEvents": Rule("report asset event", assets=("eventParams.assetKey",)),
    "reportAssetCheckEvaluations": Rule("report asset check", assets=("eventParams.assetKey",)),
    "reloadWorkspace": _instance("reload workspace"),
    "setConcurrencyLimit": _instance("set concurrency limit"),
    "deleteConcurrencyLimit": _instance("delete concurrency limit"),
    "freeConcurrencySlots": _instance("free concurrency slots"),
    "freeConcurrencySlotsForRun": _instance("free concurrency slots"),
    "setAutoMaterializePaused": _instance("pause automation"),
    "logTelemetry": Rule("", scope=Scope.ANY_SIGNED_IN),
    "setNuxSeen": Rule("", scope=Scope.ANY_SIGNED_IN),
}


# Stands for a location not found: what a mutation names by id that the workspace does not know.
UNKNOWN = "(not found)"


def values_at(arguments: dict, path: str) -> list:
    """The values at a dotted path of a mutation's arguments ("*" steps into each list item)."""
    found = [arguments]
    for step in path.split("."):
        following = []
        for value in found:
            if step == "*" and isinstance(value, list):
                following.extend(value)
            elif isinstance(value, dict) and value.get(step) is not None:
                following.append(value[step])
        found = following
    return found


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # viewer, operator or admin
    # The locations an operator acts on; "*" is every location.
    locations: tuple[str, ...] = ()

    def may_act_on(self, locations: set[str]) -> bool:
        if self.role == "admin":
            return True
        if self.role != "operator" or not locations:
            return False
        return "*" in self.locations or locations <= set(self.locations)


def refusal(person: Person, mutation: str, rule: Rule | None, locations: set[str]) -> str | None:
    """Why `person` may not call `mutation` acting on `locations`; None when they may."""
    if person.role == "admin":
        return None
    if rule is None:
        return f"{mutation} is not on the list of allowed mutations: only an admin may call it"
    if rule.scope is Scope.ANY_SIGNED_IN:
        return None
    if person.role != "operator":
        return f"{person.name} is a {person.role}: a {person.role} changes nothing"
    if rule.scope is Scope.INSTANCE:
        return f"{mutation} acts on the whole instance: only an admin may call it"
    if not locations or UNKNOWN in locations:
        return f"{mutation}: what it acts on was not found, so only an admin may call it"
    if not person.may_act_on(locations):
        others = ", ".join(sorted(locations - set(person.locations)))
        return f"{person.name} is an operator of {', '.join(person.locations)}, not of {others}"
    return None
