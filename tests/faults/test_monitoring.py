"""Alerts that do not hang on the daemon: stop it, and Prometheus's alert reaches the webhook the
run-failure alert uses; start it again, and so does the resolution. Monitoring runs on the short
clock of conftest.FAST_MONITORING; the rule's threshold and `for:` are monitoring/rules.yml's own."""

import time
import urllib.parse
from typing import Any

from support.stack import TIMINGS, Stack, wait_for

ALERT = "DagsterDaemonHeartbeatStale"
# The bounds docs/operator-guide.md (Monitoring) states for a 5 s interval: a heartbeat is at most
# 30 s old when the daemon stops, then 90 s threshold + 1 min `for:` + scrapes and group wait.
ALERT_WITHIN_SECONDS = 300
# The daemon loads its workspace and writes heartbeats again, then one group interval.
RESOLVED_WITHIN_SECONDS = 240


def query(stack: Stack, promql: str) -> list[dict[str, Any]]:
    """An instant query to Prometheus, through the proxy's operator entry as an operator would."""
    answer = stack.http(stack.webserver_port, "/prometheus/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    assert answer.status == 200, answer
    return answer.json()["data"]["result"]


def firing_daemons(notification: dict[str, Any]) -> set[str]:
    """The daemons a notification says are firing."""
    return {alert["labels"]["daemon"] for alert in notification["alerts"] if alert["status"] == "firing"}


def notifications(stack: Stack, status: str, since: int) -> list[dict[str, Any]]:
    """The webhook's notifications of ALERT with `status`, after the first `since` of them all."""
    return [
        notification
        for notification in stack.alertmanager_notifications()[since:]
        if notification["groupLabels"].get("alertname") == ALERT and notification["status"] == status
    ]


def test_a_stopped_daemon_is_reported_at_the_webhook_and_its_return_too(stack: Stack):
    # Other tests of the suite restart the daemon too: start from fresh heartbeats and no such alert.
    heartbeats = wait_for(
        lambda: (
            not query(stack, f'ALERTS{{alertname="{ALERT}"}}')
            and query(stack, "dagster_daemon_heartbeat_age_seconds < 90")
        ),
        300,
        "fresh daemon heartbeats in Prometheus and no alert on them",
    )
    daemons = {series["metric"]["daemon"] for series in heartbeats}
    assert {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"} <= daemons, daemons
    since = len(stack.alertmanager_notifications())

    stack.compose("stop", "daemon")
    stopped = time.monotonic()
    try:
        # Each daemon's heartbeat ages past the threshold in its own time, so the group's first
        # notification may name only some of them; a later one names the scheduler too.
        firing = wait_for(
            lambda: [n for n in notifications(stack, "firing", since) if "SCHEDULER" in firing_daemons(n)],
            ALERT_WITHIN_SECONDS,
            f"{ALERT} for the scheduler at the webhook",
        )
        TIMINGS["monitoring: daemon stopped until its alert arrived"] = time.monotonic() - stopped
    finally:
        stack.compose("start", "daemon")
    started = time.monotonic()
    assert firing[0]["alerts"][0]["annotations"]["summary"].startswith("Dagster daemon ")

    resolved = wait_for(
        lambda: notifications(stack, "resolved", since), RESOLVED_WITHIN_SECONDS, f"{ALERT} resolved at the webhook"
    )
    TIMINGS["monitoring: daemon started until its alert resolved"] = time.monotonic() - started
    assert {alert["status"] for alert in resolved[0]["alerts"]} == {"resolved"}
    assert stack.services()["daemon"]["State"] == "running"


def test_prometheus_is_for_operators_only(stack: Stack):
    path = "/prometheus/api/v1/query?query=up"
    assert stack.http(stack.webserver_port, path, signed_in=False).status == 401
    assert stack.http(stack.webserver_port, path).json()["status"] == "success"
    # The viewer entry has no such path: it is the read-only UI's, which knows no Prometheus API.
    viewer = stack.http(stack.readonly_port, path)
    assert b'"resultType"' not in viewer.body, viewer
