"""Alerts at least once: a failure alert owed while the webhook receiver is down is POSTed once
the receiver is back, exactly once, from the queue the alert sensor keeps in its cursor."""

from typing import Any

from support.stack import Stack, wait_for
from support.switches import tick_reasons

SENSOR = "run_failure_alert_sensor"


def alerts_for(stack: Stack, run_id: str) -> list[dict[str, Any]]:
    return [alert for alert in stack.alerts() if alert["run_id"] == run_id]


def tick_messages(stack: Stack) -> str:
    return "\n".join(tick_reasons(stack, SENSOR))


def ticks_after(stack: Stack, said: str) -> int:
    """How many ticks came after the newest one that said `said`."""
    return next(newer for newer, reason in enumerate(tick_reasons(stack, SENSOR)) if said in reason)


def failed_run(stack: Stack) -> str:
    """A run of source_refresh made to fail by stopping MySQL for it; MySQL is back at the end."""
    stack.compose("stop", "mysql")
    try:
        launched = stack.launch_run("source_refresh", ["mysql_users"])
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run = stack.wait_until_finished(launched["run"]["runId"], timeout=240)
    finally:
        stack.compose("up", "--detach", "--wait", "mysql")
    assert run["status"] == "FAILURE", run
    return run["runId"]


def test_an_alert_owed_while_the_receiver_is_down_arrives_exactly_once_when_it_is_back(stack: Stack):
    stack.compose("stop", "webhook_receiver")
    try:
        run_id = failed_run(stack)
        # The sensor tried, failed, and keeps the alert for a later tick.
        wait_for(lambda: f"{run_id}: POST 1 of 10 failed" in tick_messages(stack), 120, "a failed POST")
    finally:
        stack.compose("start", "webhook_receiver")

    wait_for(lambda: alerts_for(stack, run_id), 300, f"the alert for run {run_id}", interval=5)
    assert f"{run_id}: delivered" in tick_messages(stack)
    # Two more ticks: nothing is sent again.
    wait_for(lambda: ticks_after(stack, f"{run_id}: delivered") >= 2, 150, "two ticks after the delivery")
    [alert] = alerts_for(stack, run_id)
    assert alert["job"] == "source_refresh"
    assert alert["url"].endswith(f"/runs/{run_id}")
