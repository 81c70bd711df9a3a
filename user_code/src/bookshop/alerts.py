"""Failure alerts for ops teams: one JSON log line always, and a webhook POST when a URL is set."""

import json
import logging
import urllib.request

import dagster as dg

logger = logging.getLogger("bookshop.alerts")


def failure_alert(run: dg.DagsterRun, error: str, webserver_url: str) -> dict[str, str]:
    return {
        "event": "run_failed",
        "job": run.job_name,
        "run_id": run.run_id,
        "error": error,
        "url": f"{webserver_url.rstrip('/')}/runs/{run.run_id}",
    }


class FailureWebhook(dg.ConfigurableResource):
    """Where failure alerts are POSTed as JSON; an empty url turns the POST off."""

    url: str = ""
    webserver_url: str = "http://localhost:3000"
    timeout_seconds: float = 10.0

    def send(self, alert: dict[str, str]) -> None:
        logger.error(json.dumps(alert, sort_keys=True))
        if not self.url:
            return
        request = urllib.request.Request(
            self.url,
            data=json.dumps(alert).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
            response.read()
