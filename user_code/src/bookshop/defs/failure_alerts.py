"""Tells ops teams about every failed run, at least once, even while their webhook is down."""

import json
import os
import time

import dagster as dg

from bookshop import settings
from bookshop.alert_queue import AlertQueue
from bookshop.webhook import FailureWebhook, WebhookError, failure_alert, logger

# POSTs per tick at most: one tick stays well inside the sensor's time limit even when every
# POST waits for its timeout. The rest wait for the next tick.
POSTS_PER_TICK = 5


def alert_for(instance: dg.DagsterInstance, run_id: str, webserver_url: str) -> dict[str, str]:
    """The run's alert: its failure message, then the cause of each failed step."""
    [run_failure] = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1:]
    step_failures = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    errors = [entry.get_dagster_event().step_failure_data.error for entry in step_failures]
    causes = [(error.cause or error).message.strip() for error in errors if error]
    error = "\n".join([run_failure.get_dagster_event().message or "run failed", *causes])
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise LookupError(f"run {run_id} failed but is no longer in the instance")
    return failure_alert(run, error, webserver_url)


def queue_new_failures(context: dg.SensorEvaluationContext, queue: AlertQueue, webhook: FailureWebhook) -> None:
    """Log and queue every run that failed since the last one seen; a first tick starts from now."""
    first_tick = queue.after_storage_id is None
    records = context.instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(
            event_type=dg.DagsterEventType.RUN_FAILURE, after_storage_id=queue.after_storage_id
        ),
        limit=1 if first_tick else 100,
        ascending=not first_tick,
    ).records
    if first_tick:
        queue.after_storage_id = records[0].storage_id if records else 0
        return
    for record in records:
        queue.after_storage_id = record.storage_id
        alert = alert_for(context.instance, record.run_id, webhook.webserver_url)
        logger.error(json.dumps(alert, sort_keys=True))
        if webhook.url:
            queue.add(record.run_id, due=time.time())


def post_due_alerts(context: dg.SensorEvaluationContext, queue: AlertQueue, webhook: FailureWebhook) -> list[str]:
    """POST the alerts that are due; each outcome as a line for the tick's message."""
    outcomes = []
    for run_id in queue.ready(time.time(), POSTS_PER_TICK):
        try:
            webhook.post(alert_for(context.instance, run_id, webhook.webserver_url))
        except WebhookError as error:
            attempts = queue.attempts[run_id] + 1
            if attempts >= webhook.max_attempts:
                queue.remove(run_id)
                logger.error(f"alert for run {run_id} dropped after {attempts} failed POSTs: {error}")
                outcomes.append(f"{run_id}: dropped after {attempts} failed POSTs ({error})")
            else:
                queue.retry(run_id, due=time.time() + webhook.retry_delay(attempts))
                logger.warning(f"alert for run {run_id}: POST {attempts} of {webhook.max_attempts} failed: {error}")
                outcomes.append(f"{run_id}: POST {attempts} of {webhook.max_attempts} failed ({error})")
        else:
            queue.remove(run_id)
            outcomes.append(f"{run_id}: delivered")
    return outcomes


def build_run_failure_alert_sensor(interval_seconds: int) -> dg.SensorDefinition:
    """The failure alert sensor, looking every `interval_seconds` (BOOKSHOP_ALERT_INTERVAL_SECONDS)."""

    @dg.sensor(
        name="run_failure_alert_sensor",
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=interval_seconds,
        description=(
            "Logs every failed run as JSON and POSTs it to BOOKSHOP_ALERT_WEBHOOK_URL when set; a failed POST is"
            " tried again with backoff, the alerts owed kept in this sensor's cursor."
        ),
    )
    def run_failure_alert_sensor(context: dg.SensorEvaluationContext, failure_webhook: FailureWebhook) -> dg.SkipReason:
        # A failed POST never fails the tick: a failed tick does not save its cursor, so the alerts it
        # had delivered would be sent again.
        queue = AlertQueue.from_cursor(context.cursor)
        queue_new_failures(context, queue, failure_webhook)
        outcomes = post_due_alerts(context, queue, failure_webhook)
        context.update_cursor(queue.to_cursor())
        return dg.SkipReason("\n".join(outcomes) or f"nothing due; {len(queue.due)} alerts waiting to be retried")

    return run_failure_alert_sensor


@dg.definitions
def failure_alerts() -> dg.Definitions:
    return dg.Definitions(sensors=[build_run_failure_alert_sensor(settings.alert_interval_seconds(os.environ))])
