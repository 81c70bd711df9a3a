import json

import dagster as dg

from bookshop.alert_queue import AlertQueue
from bookshop.defs.failure_alerts import build_run_failure_alert_sensor
from bookshop.webhook import FailureWebhook
from support.webhook_receiver import webhook_receiver

run_failure_alert_sensor = build_run_failure_alert_sensor(30)


@dg.op
def explode() -> None:
    raise RuntimeError("MySQL went away")


@dg.job
def doomed() -> None:
    explode()


def fail_a_run(instance: dg.DagsterInstance) -> str:
    return doomed.execute_in_process(instance=instance, raise_on_error=False).run_id


def tick(instance: dg.DagsterInstance, cursor: str | None, webhook: FailureWebhook) -> tuple[str, str]:
    """One evaluation in a context of its own, as after a restart: only the cursor carries over."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"failure_webhook": webhook})
    result = run_failure_alert_sensor.evaluate_tick(context)
    return result.cursor, result.skip_message


def started(instance: dg.DagsterInstance, webhook: FailureWebhook) -> str:
    """The cursor after the sensor's first tick, which looks at failures from then on."""
    cursor, _ = tick(instance, None, webhook)
    return cursor


def started_then_a_run_fails(instance: dg.DagsterInstance, webhook: FailureWebhook) -> tuple[str, str]:
    """The cursor after the sensor's first tick, and the id of a run that failed after it."""
    return started(instance, webhook), fail_a_run(instance)


def test_a_failed_run_is_posted_once_with_job_run_error_link_and_idempotency_key(instance):
    with webhook_receiver() as receiver:
        webhook = FailureWebhook(url=receiver.url, webserver_url="http://dagster.example:3000/")
        cursor, run_id = started_then_a_run_fails(instance, webhook)

        cursor, message = tick(instance, cursor, webhook)
        tick(instance, cursor, webhook)

    [alert] = receiver.received
    assert alert["event"] == "run_failed"
    assert alert["job"] == "doomed"
    assert alert["run_id"] == run_id
    assert "explode" in alert["error"]
    assert "MySQL went away" in alert["error"]
    assert alert["url"] == f"http://dagster.example:3000/runs/{run_id}"
    assert receiver.keys == [run_id]
    assert message == f"{run_id}: delivered"


def test_failures_before_the_first_tick_are_not_reported(instance):
    with webhook_receiver() as receiver:
        fail_a_run(instance)
        webhook = FailureWebhook(url=receiver.url)
        cursor = started(instance, webhook)
        tick(instance, cursor, webhook)

    assert receiver.received == []


def test_a_refused_alert_is_posted_again_until_accepted_and_then_never(instance):
    with webhook_receiver() as receiver:
        webhook = FailureWebhook(url=receiver.url, first_retry_seconds=0)
        cursor, run_id = started_then_a_run_fails(instance, webhook)

        receiver.status = 503
        cursor, refused = tick(instance, cursor, webhook)
        cursor, refused_again = tick(instance, cursor, webhook)
        receiver.status = 204
        cursor, delivered = tick(instance, cursor, webhook)
        cursor, after = tick(instance, cursor, webhook)

    assert [alert["run_id"] for alert in receiver.received] == [run_id] * 3
    assert [alert["run_id"] for alert in receiver.accepted] == [run_id]
    assert receiver.keys == [run_id] * 3
    assert refused.startswith(f"{run_id}: POST 1 of 10 failed")
    assert refused_again.startswith(f"{run_id}: POST 2 of 10 failed")
    assert delivered == f"{run_id}: delivered"
    assert after == "nothing due; 0 alerts waiting to be retried"


def test_a_retry_waits_for_its_backoff(instance):
    with webhook_receiver() as receiver:
        receiver.status = 500
        webhook = FailureWebhook(url=receiver.url, first_retry_seconds=600)
        cursor, run_id = started_then_a_run_fails(instance, webhook)
        cursor, _ = tick(instance, cursor, webhook)
        cursor, waiting = tick(instance, cursor, webhook)

    # The second tick posted nothing: the retry is due only after its backoff.
    assert len(receiver.received) == 1
    assert receiver.accepted == []
    assert waiting == "nothing due; 1 alerts waiting to be retried"
    assert AlertQueue.from_cursor(cursor).attempts == {run_id: 1}


def test_an_unreachable_webhook_is_given_up_after_max_attempts(instance, caplog):
    webhook = FailureWebhook(url="http://127.0.0.1:9/alerts", timeout_seconds=2, max_attempts=2, first_retry_seconds=0)
    cursor, run_id = started_then_a_run_fails(instance, webhook)

    cursor, first = tick(instance, cursor, webhook)
    cursor, last = tick(instance, cursor, webhook)

    assert first.startswith(f"{run_id}: POST 1 of 2 failed")
    assert last.startswith(f"{run_id}: dropped after 2 failed POSTs")
    assert AlertQueue.from_cursor(cursor).due == {}
    assert any(f"alert for run {run_id} dropped" in record.getMessage() for record in caplog.records)


def test_without_a_url_the_alert_is_only_logged_once(instance, caplog):
    webhook = FailureWebhook(url="")
    cursor, run_id = started_then_a_run_fails(instance, webhook)

    cursor, _ = tick(instance, cursor, webhook)
    tick(instance, cursor, webhook)

    lines = [record.getMessage() for record in caplog.records if record.name == "bookshop.alerts"]
    assert [json.loads(line)["run_id"] for line in lines] == [run_id]
    assert AlertQueue.from_cursor(cursor).due == {}


def test_retry_delays_double_up_to_an_hour():
    webhook = FailureWebhook(first_retry_seconds=30)

    assert [webhook.retry_delay(n) for n in (1, 2, 3, 8, 9, 20)] == [30, 60, 120, 3600, 3600, 3600]


def test_the_queue_survives_its_cursor():
    queue = AlertQueue(after_storage_id=41)
    queue.add("run-a", due=100.0)
    queue.add("run-b", due=50.0)
    queue.retry("run-a", due=160.0)

    restored = AlertQueue.from_cursor(queue.to_cursor())

    assert restored == queue
    assert restored.ready(now=200.0, limit=5) == ["run-b", "run-a"]
    assert restored.ready(now=120.0, limit=5) == ["run-b"]
