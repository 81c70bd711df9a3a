import dagster as dg
import pytest

from bookshop.alerts import FailureWebhook
from bookshop.defs.alerts import run_failure_alert_sensor
from support.webhook_receiver import webhook_receiver


@dg.op
def explode() -> None:
    raise RuntimeError("MySQL went away")


@dg.job
def doomed() -> None:
    explode()


def failure_context(instance):
    result = doomed.execute_in_process(instance=instance, raise_on_error=False)
    failure = next(event for event in result.all_events if event.event_type_value == "PIPELINE_FAILURE")
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()


def test_a_failed_run_is_posted_once_with_job_run_error_and_link():
    with dg.instance_for_test() as instance, webhook_receiver() as (url, received):
        context = failure_context(instance)
        webhook = FailureWebhook(url=url, webserver_url="http://dagster.example:3000/")

        run_failure_alert_sensor(context, failure_webhook=webhook)

    run_id = context.dagster_run.run_id
    [alert] = received
    assert alert["event"] == "run_failed"
    assert alert["job"] == "doomed"
    assert alert["run_id"] == run_id
    assert "explode" in alert["error"]
    assert "MySQL went away" in alert["error"]
    assert alert["url"] == f"http://dagster.example:3000/runs/{run_id}"


def test_without_a_url_the_alert_is_only_logged(caplog):
    with dg.instance_for_test() as instance:
        context = failure_context(instance)

        run_failure_alert_sensor(context, failure_webhook=FailureWebhook(url=""))

    [line] = [record.getMessage() for record in caplog.records if record.name == "bookshop.alerts"]
    assert f'"run_id": "{context.dagster_run.run_id}"' in line


def test_an_unreachable_webhook_fails_the_tick_so_the_alert_is_retried():
    with dg.instance_for_test() as instance:
        context = failure_context(instance)
        webhook = FailureWebhook(url="http://127.0.0.1:9/alerts", timeout_seconds=2)

        with pytest.raises(OSError):
            run_failure_alert_sensor(context, failure_webhook=webhook)
