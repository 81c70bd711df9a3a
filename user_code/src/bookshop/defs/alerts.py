"""Tells ops teams about every failed run of any job in this code location."""

import dagster as dg

from bookshop.alerts import FailureWebhook, failure_alert


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Logs every failed run as JSON and POSTs it to BOOKSHOP_ALERT_WEBHOOK_URL when set.",
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, failure_webhook: FailureWebhook) -> None:
    # A step's error wraps the exception that caused it: the cause is what ops teams need to read.
    step_errors = [event.step_failure_data.error for event in context.get_step_failure_events()]
    causes = [(error.cause or error).message.strip() for error in step_errors if error]
    error = "\n".join([context.failure_event.message or "run failed", *causes])
    failure_webhook.send(failure_alert(context.dagster_run, error, failure_webhook.webserver_url))
