"""The run launcher of dagster.yaml, loaded by Dagster: containers from the deployment's settings only."""

from pathlib import Path

import dagster as dg
import pytest
import yaml

from support.stack import ROOT

IMAGE = "bookshop-user-code:latest"
VOLUMES = "bookshop_data:/data:rw,bookshop_compute_logs:/opt/dagster/compute_logs:rw"


@pytest.fixture
def launcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The run launcher block of dagster.yaml, as the daemon loads it with compose's environment."""
    monkeypatch.syspath_prepend(str(ROOT / "docker"))
    monkeypatch.setenv("DAGSTER_RUN_IMAGE", IMAGE)
    monkeypatch.setenv("DAGSTER_RUN_NETWORK", "bookshop_runs")
    monkeypatch.setenv("DAGSTER_RUN_VOLUMES", VOLUMES)
    block = yaml.safe_load((ROOT / "dagster.yaml").read_text())["run_launcher"]
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"run_launcher": block}))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance.run_launcher


def test_every_run_container_is_what_dagster_yaml_and_compose_say(launcher):
    context = launcher.get_container_context(dg.DagsterRun(job_name="source_refresh", run_id="0" * 32))
    settings = yaml.safe_load((ROOT / "dagster.yaml").read_text())["run_launcher"]["config"]
    assert type(launcher).__name__ == "DeploymentRunLauncher"
    assert launcher.image == IMAGE
    assert context.networks == ["bookshop_runs"]
    assert context.env_vars == settings["env_vars"]
    assert context.container_kwargs == {**settings["container_kwargs"], "volumes": VOLUMES.split(",")}
