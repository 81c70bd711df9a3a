"""A queued run whose row is forged in Postgres, with the password every run container holds.

The attack: queue a run, then edit its stored origin so that the daemon's run launcher would start
it privileged, with the host's `/` bound in, from another image (or, on a deployment of two teams,
from the other code location's image). The deployment's launcher builds each container as its code
location's code server is and refuses such a run: no container is created for it, the run fails
with the reason in its event log, and the failure alert reports it.
"""

import json
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import pytest

from support.stack import Stack, wait_for

FORGED_IMAGE = "nginx:1.27"
FORGED_CONTEXT = {"docker": {"container_kwargs": {"privileged": True, "volumes": ["/:/host:ro"]}}}
# The edit, as the `dagster` role makes it (psql variables: the run id and the forged values).
FORGE = """
UPDATE runs SET run_body = jsonb_set(
    jsonb_set(run_body::jsonb, '{pipeline_code_origin,repository_origin,container_image}', to_jsonb(:'image'::text)),
    '{pipeline_code_origin,repository_origin,container_context}', :'context'::jsonb
)::text
WHERE run_id = :'run_id' AND status = 'QUEUED';
"""
EVENTS = """
query($runId: ID!) {
  logsForRun(runId: $runId) { ... on EventConnection { events { __typename ... on MessageEvent { message } } } }
}
"""


@dataclass
class ForgedRun:
    run_id: str
    updated: str
    finished: dict[str, Any]
    created: list[str]
    messages: list[str]


def forge(stack: Stack, job: str, image: str, context: dict, location: str | None = None) -> ForgedRun:
    """A run of the job, queued while the daemon is paused, its row forged before the daemon sees it."""
    daemon = stack.container_id("daemon")
    since = str(int(time.time()))
    subprocess.run(["docker", "pause", daemon], check=True, capture_output=True)
    try:
        launched = stack.launch_run(job, location=location)
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        updated = stack.exec(
            "postgres",
            f"PGPASSWORD='{stack.env['DAGSTER_POSTGRES_PASSWORD']}' psql -h 127.0.0.1 -U dagster -d dagster"
            f" -v ON_ERROR_STOP=1 -v run_id={run_id} -v image={image}"
            f" -v context='{json.dumps(context)}' -f -",
            input=FORGE,
        ).strip()
    finally:
        subprocess.run(["docker", "unpause", daemon], check=True, capture_output=True)
    finished = stack.wait_until_finished(run_id)
    events = subprocess.run(
        ["docker", "events", "--since", since, "--until", str(int(time.time()) + 1), "--format", "{{json .}}",
         "--filter", "type=container", "--filter", "event=create", "--filter", f"label=dagster/run_id={run_id}"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    logs = stack.graphql(EVENTS, runId=run_id)["logsForRun"]["events"]
    messages = [event["message"] for event in logs if event.get("message")]
    return ForgedRun(run_id, updated, finished, events.splitlines(), messages)


@pytest.fixture(scope="module")
def forged_run(stack: Stack) -> ForgedRun:
    """source_refresh, forged to start privileged, with `/` bound in, from another image."""
    return forge(stack, "source_refresh", FORGED_IMAGE, FORGED_CONTEXT)


def test_the_forged_row_is_what_the_daemon_reads(forged_run: ForgedRun):
    assert forged_run.updated == "UPDATE 1"


def test_no_container_is_created_for_a_forged_run(forged_run: ForgedRun):
    assert forged_run.created == []
    assert forged_run.finished["status"] == "FAILURE"


def test_the_forged_run_says_why_it_was_refused(forged_run: ForgedRun):
    [refusal] = [message for message in forged_run.messages if message.startswith("[DeploymentRunLauncher] Refused:")]
    assert f"the image '{FORGED_IMAGE}'" in refusal
    assert '"privileged": true' in refusal and '"/:/host:ro"' in refusal


def test_the_forged_run_is_alerted(stack: Stack, forged_run: ForgedRun):
    alerts = wait_for(
        lambda: [alert for alert in stack.alerts() if alert["run_id"] == forged_run.run_id],
        150,
        f"the failure alert of forged run {forged_run.run_id}",
    )
    assert len(alerts) == 1


def test_its_retry_runs_like_any_other(stack: Stack, forged_run: ForgedRun):
    """Run retries start it again from the code location's own origin, not from the forged row."""
    query = """
    query($runId: String!) {
      runsOrError(filter: {tags: [{key: "dagster/parent_run_id", value: $runId}]}) { ... on Runs { results { runId } } }
    }
    """
    retries = wait_for(
        lambda: stack.graphql(query, runId=forged_run.run_id)["runsOrError"]["results"],
        120,
        f"the retry of run {forged_run.run_id}",
    )
    assert stack.wait_until_finished(retries[0]["runId"])["status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("location", "job", "other_service"),
    [("bookshop", "source_refresh", "warehouse"), ("warehouse", "stock_count_job", "user_code")],
)
def test_a_run_forged_to_the_other_code_locations_image_is_refused(stack: Stack, location, job, other_service):
    image = subprocess.run(
        ["docker", "inspect", "--format", "{{.Config.Image}}", stack.container_id(other_service)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    forged = forge(stack, job, image, {}, location=location)
    assert (forged.updated, forged.created, forged.finished["status"]) == ("UPDATE 1", [], "FAILURE")
    [refusal] = [message for message in forged.messages if message.startswith("[DeploymentRunLauncher] Refused:")]
    assert f"the image '{image}'" in refusal and f"the code location '{location}'" in refusal
