from datetime import UTC, datetime

import dagster as dg
import pytest

from bookshop.definitions import defs

MONDAY_2AM = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def tick(definitions, instance, schedule_name):
    schedule = definitions.resolve_schedule_def(schedule_name)
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=MONDAY_2AM, repository_def=definitions.get_repository_def()
    )
    return schedule.evaluate_tick(context)


def materialize_every_asset(instance):
    for key in ("mysql_users", "mysql_authors", "mysql_books", "mysql_orders", "users_cleaned", "orders_cleaned"):
        instance.report_runless_asset_event(dg.AssetMaterialization(key))


def start_run(instance, job_name, status):
    return instance.add_run(dg.DagsterRun(job_name=job_name, status=status))


@pytest.mark.parametrize(
    "schedule_name",
    [
        "daily_refresh_schedule",
        "source_refresh_schedule",
        "analytics_refresh_schedule",
        "business_hours_analytics",
        "weekend_processing",
    ],
)
def test_an_idle_job_gets_exactly_one_run(definitions, instance, schedule_name):
    materialize_every_asset(instance)

    result = tick(definitions, instance, schedule_name)

    assert len(result.run_requests) == 1
    assert result.skip_message is None


@pytest.mark.parametrize(
    "status", [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
)
def test_a_tick_skips_while_its_job_has_a_run_queued_or_in_progress(definitions, instance, status):
    busy = start_run(instance, "analytics_refresh", status)

    result = tick(definitions, instance, "business_hours_analytics")

    assert not result.run_requests
    assert result.skip_message == (
        f"analytics_refresh still has run {busy.run_id} {status.value}; skipped so runs do not pile up."
    )


def test_finished_runs_and_other_jobs_do_not_block_a_tick(definitions, instance):
    start_run(instance, "analytics_refresh", dg.DagsterRunStatus.SUCCESS)
    start_run(instance, "analytics_refresh", dg.DagsterRunStatus.FAILURE)
    start_run(instance, "daily_refresh", dg.DagsterRunStatus.STARTED)
    materialize_every_asset(instance)

    assert len(tick(definitions, instance, "analytics_refresh_schedule").run_requests) == 1


def test_a_retimed_schedule_still_requests_its_job(code_location_env, monkeypatch, instance):
    monkeypatch.setenv("ANALYTICS_REFRESH_SCHEDULE_CRON", "* * * * *")
    definitions = defs()

    assert definitions.resolve_schedule_def("analytics_refresh_schedule").cron_schedule == "* * * * *"
    materialize_every_asset(instance)
    assert len(tick(definitions, instance, "analytics_refresh_schedule").run_requests) == 1


@pytest.mark.parametrize("schedule_name", ["analytics_refresh_schedule", "business_hours_analytics"])
def test_a_tick_before_its_inputs_were_ever_materialized_skips_saying_which(definitions, instance, schedule_name):
    instance.report_runless_asset_event(dg.AssetMaterialization("mysql_books"))

    result = tick(definitions, instance, schedule_name)

    assert not result.run_requests
    assert result.skip_message == (
        "analytics_refresh reads mysql_authors, orders_cleaned, users_cleaned, never materialized yet; skipped until "
        "a run of daily_refresh (or of the job that writes them) has materialized them."
    )


@pytest.mark.parametrize("schedule_name", ["daily_refresh_schedule", "source_refresh_schedule", "weekend_processing"])
def test_jobs_that_read_no_other_asset_run_on_a_new_install(definitions, instance, schedule_name):
    result = tick(definitions, instance, schedule_name)

    assert len(result.run_requests) == 1
