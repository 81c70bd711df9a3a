"""Failure alerts end to end: a run made to fail (MySQL stopped for it) is reported once, as a
structured log line of the code server and a JSON POST to the webhook receiver of compose.test.yml;
a run that succeeds is not reported at all. The two runs are made in the background (conftest).

Other runs may fail meanwhile (the stack tests kill a run container, for one), so everything is
checked per run id.
"""

import json
from typing import Any

from support.stack import Stack, wait_for
from support.switches import tick_reasons

SENSOR = "run_failure_alert_sensor"


def logged_alerts(stack: Stack) -> list[dict[str, Any]]:
    """The JSON lines that logger `bookshop.alerts` wrote in the code server's output."""
    output = stack.compose("logs", "--no-color", "--no-log-prefix", "user_code").stdout
    lines = [line for line in output.splitlines() if line.startswith("{") and '"event": "run_failed"' in line]
    return [json.loads(line) for line in lines]


def test_a_failed_run_is_reported_once_and_a_successful_run_never(stack: Stack, operator_runs):
    made = operator_runs.result(timeout=420)
    failed, succeeded = made.failed["runId"], made.succeeded["runId"]
    assert (made.failed["status"], made.succeeded["status"]) == ("FAILURE", "SUCCESS")

    posted = wait_for(
        lambda: [alert for alert in stack.alerts() if alert["run_id"] == failed],
        120,
        f"the webhook POST for run {failed}",
    )

    # One tick delivered it, and no tick mentions the run otherwise: its POST never failed.
    def ticks_for_the_run():
        return [reason for reason in tick_reasons(stack, SENSOR) if failed in reason]

    acting = wait_for(ticks_for_the_run, 60, f"the {SENSOR} tick that delivered run {failed}'s alert")
    assert acting == [f"{failed}: delivered"]

    [alert] = posted
    assert alert == {
        "event": "run_failed",
        "job": "source_refresh",
        "run_id": failed,
        "error": alert["error"],
        "url": f"{stack.env['DAGSTER_WEBSERVER_PUBLIC_URL']}/runs/{failed}",
    }
    assert "mysql_users" in alert["error"] and "failed" in alert["error"]
    # The same alert as a structured log line, once.
    assert [line for line in logged_alerts(stack) if line["run_id"] == failed] == [alert]

    # The successful run: no POST, no log line, no tick that acted on it.
    assert not [alert for alert in stack.alerts() if alert["run_id"] == succeeded]
    assert not [line for line in logged_alerts(stack) if line["run_id"] == succeeded]
    assert not [reason for reason in tick_reasons(stack, SENSOR) if succeeded in reason]
    # And still exactly one POST for the failed run, after all that.
    assert [alert for alert in stack.alerts() if alert["run_id"] == failed] == [alert]
