"""The ops team's alert webhook: the JSON body of a failed run's alert, and its POST."""

import json
import logging
import urllib.request

import dagster as dg

from bookshop import settings

# The log channel ops teams grep for alerts (see the operator guide).
logger = logging.getLogger("bookshop.alerts")


def failure_alert(run: dg.DagsterRun, error: str, webserver_url: str) -> dict[str, str]:
    return {
        "event": "run_failed",
        "job": run.job_name,
        "run_id": run.run_id,
        "error": error,
        "url": f"{webserver_url.rstrip('/')}/runs/{run.run_id}",
    }


class WebhookError(OSError):
    """The webhook did not take the alert: unreachable, timed out, or answered other than 2xx."""


class FailureWebhook(dg.ConfigurableResource):
    """Where failure alerts are POSTed as JSON; an empty url turns the POST off.

    A POST that fails is tried again with a growing delay (`first_retry_seconds`, doubled each
    time, at most an hour) until it succeeds or `max_attempts` POSTs have failed.
    """

    url: str = ""
    webserver_url: str = "http://localhost:3000"
    timeout_seconds: float = 10.0
    max_attempts: int = 10
    first_retry_seconds: float = settings.DEFAULT_ALERT_INTERVAL_SECONDS

    def retry_delay(self, failed_attempts: int) -> float:
        """Seconds to wait after the n-th failed POST: 30, 60, 120, ... (by default) capped at an hour."""
        return min(self.first_retry_seconds * 2 ** (failed_attempts - 1), 3600.0)

    def post(self, alert: dict[str, str]) -> None:
        """POST the alert once; raise WebhookError unless the receiver answers 2xx.

        The run id goes in an `Idempotency-Key` header too: an alert sent again after a crash
        between the POST and the sensor's cursor being saved can be recognised by the receiver.
        """
        request = urllib.request.Request(
            self.url,
            data=json.dumps(alert).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": alert["run_id"]},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                response.read()
                status = response.status
        except OSError as error:  # URLError, HTTPError (4xx/5xx), timeouts, refused connections
            raise WebhookError(f"POST {self.url} failed: {error}") from error
        if not 200 <= status < 300:
            raise WebhookError(f"POST {self.url} answered {status}")
