"""Step logs on object storage: an instance with dagster-aws's S3ComputeLogManager, against a local S3 API."""

import dagster as dg

LINE = "a line printed by the step"


@dg.op
def talkative() -> None:
    print(LINE)


@dg.job
def talkative_job() -> None:
    talkative()


def test_a_steps_output_is_uploaded_to_s3_and_read_back(s3, tmp_path):
    # The endpoint is not in the configuration: AWS_ENDPOINT_URL (set by the fixture) points boto3 at it.
    compute_logs = {
        "module": "dagster_aws.s3.compute_log_manager",
        "class": "S3ComputeLogManager",
        "config": {"bucket": s3.bucket, "prefix": "compute-logs", "local_dir": str(tmp_path / "staging")},
    }
    with dg.instance_for_test(overrides={"compute_logs": compute_logs}) as instance:
        result = talkative_job.execute_in_process(instance=instance)
        assert result.success
        [captured] = [e for e in instance.all_logs(result.run_id) if e.dagster_event_type == "LOGS_CAPTURED"]
        file_key = captured.dagster_event.logs_captured_data.file_key
        # What the webserver shows: the manager reads the log back from the bucket.
        log = instance.compute_log_manager.get_log_data([result.run_id, "compute_logs", file_key])

    uploaded = [key for key in s3.keys("compute-logs/") if key.endswith(".out")]
    assert uploaded, s3.keys()
    assert LINE in s3.read(uploaded[0]).decode()
    assert LINE in log.stdout.decode()
