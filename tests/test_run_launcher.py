"""The run launcher of dagster.yaml, loaded by Dagster: each run container is its code location's code server."""

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin

from support.stack import ROOT

RUN_VOLUMES = "bookshop_compute_logs:/opt/dagster/compute_logs:rw"
# Two code servers as Docker inspects them: each its image, environment, label and mounts.
SERVERS = {
    "bookshop": {
        "Config": {
            "Image": "bookshop-user-code:latest",
            "Env": ["BOOKSHOP_MYSQL_HOST=mysql", "BOOKSHOP_ALERT_WEBHOOK_URL=https://hooks.example/x", "A=b=c"],
            "Labels": {"bookshop.code-location": "bookshop", "bookshop.code-server-only": "BOOKSHOP_ALERT_WEBHOOK_URL"},
        },
        "Mounts": [
            {"Type": "volume", "Name": "bookshop_data", "Destination": "/data", "RW": True},
            {"Type": "bind", "Source": "/srv/incoming", "Destination": "/data/incoming", "RW": True},
            {"Type": "volume", "Name": "bookshop_dagster_passwords", "Destination": "/run/p", "RW": False},
        ],
    },
    "warehouse": {
        "Config": {
            "Image": "warehouse-code:latest",
            "Env": ["WAREHOUSE_SITE=north"],
            "Labels": {"bookshop.code-location": "warehouse"},
        },
        "Mounts": [{"Type": "volume", "Name": "bookshop_warehouse_data", "Destination": "/data", "RW": True}],
    },
}


class FakeContainer:
    def __init__(self, attrs: dict[str, Any]):
        self.attrs, self.id, self.started = attrs, "c0ffee", False
        self.labels = attrs.get("Config", {}).get("Labels", {})

    def start(self) -> None:
        self.started = True


class FakeDocker:
    """Docker as the daemon's socket proxy shows it: the code servers, and the containers created."""

    def __init__(self):
        self.created: list[dict[str, Any]] = []
        self.containers = self

    def list(self, all: bool, filters: dict[str, str]) -> list[FakeContainer]:
        location = filters["label"].split("=", 1)[1]
        return [FakeContainer(SERVERS[location])] if location in SERVERS else []

    def create(self, **settings: Any) -> FakeContainer:
        self.created.append(settings)
        return FakeContainer({})


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An instance with the run launcher block of dagster.yaml, with compose's environment."""
    monkeypatch.syspath_prepend(str(ROOT / "docker"))
    block = yaml.safe_load((ROOT / "dagster.yaml").read_text())["run_launcher"]
    for name in block["config"]["env_vars"]:
        monkeypatch.setenv(name, f"{name} from the daemon")
    monkeypatch.setenv("DAGSTER_RUN_NETWORK", "bookshop_runs")
    monkeypatch.setenv("DAGSTER_RUN_VOLUMES", RUN_VOLUMES)
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"run_launcher": block}))
    with dg.instance_for_test(temp_dir=str(tmp_path), overrides={"run_launcher": block}) as instance:
        yield instance


@pytest.fixture
def docker(instance, monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    fake = FakeDocker()
    monkeypatch.setattr(type(instance.run_launcher), "_get_client", lambda self, context: fake)
    return fake


def queued_run(instance, location: str, image: str | None = None, context: dict | None = None) -> dg.DagsterRun:
    """A run of `location` as the webserver stores it, with the origin's image and container settings."""
    code_location = GrpcServerCodeLocationOrigin(host=location, port=4000, location_name=location)
    repository = RepositoryPythonOrigin(
        executable_path="python",
        code_pointer=ModuleCodePointer(f"{location}.definitions", "defs", None),
        container_image=image,
        container_context=context,
    )
    return instance.create_run_for_job(
        dg.GraphDefinition(name="a_job").to_job(),
        remote_job_origin=RemoteJobOrigin(RemoteRepositoryOrigin(code_location, "__repository__"), "a_job"),
        job_code_origin=JobPythonOrigin("a_job", repository),
    )


def launch(instance, run: dg.DagsterRun) -> None:
    instance.run_launcher.start_container(run, ["dagster", "api", "execute_run", "{}"])


def test_a_run_container_is_its_code_locations_code_server_on_the_runs_network(instance, docker):
    launch(instance, queued_run(instance, "bookshop", image="bookshop-user-code:latest"))
    [created] = docker.created
    settings = yaml.safe_load((ROOT / "dagster.yaml").read_text())["run_launcher"]["config"]
    assert created["image"] == "bookshop-user-code:latest"
    assert created["network"] == "bookshop_runs"
    assert created["volumes"] == [
        "bookshop_data:/data:rw",
        "/srv/incoming:/data/incoming:rw",
        "bookshop_dagster_passwords:/run/p:ro",
        RUN_VOLUMES,
    ]
    assert created["labels"]["bookshop.code-location"] == "bookshop"
    assert {key: created[key] for key in settings["container_kwargs"]} == settings["container_kwargs"]
    environment = created["environment"]
    assert environment["BOOKSHOP_MYSQL_HOST"] == "mysql" and environment["A"] == "b=c"
    assert environment["DAGSTER_POSTGRES_PASSWORD"] == "DAGSTER_POSTGRES_PASSWORD from the daemon"
    assert "BOOKSHOP_ALERT_WEBHOOK_URL" not in environment, "kept by the code server"


def test_each_code_location_gets_its_own_box_and_no_other(instance, docker):
    launch(instance, queued_run(instance, "warehouse"))
    [created] = docker.created
    assert created["image"] == "warehouse-code:latest"
    assert created["volumes"] == ["bookshop_warehouse_data:/data:rw", RUN_VOLUMES]
    assert "BOOKSHOP_MYSQL_HOST" not in created["environment"]
    assert created["environment"]["WAREHOUSE_SITE"] == "north"


@pytest.mark.parametrize(
    ("location", "image", "context", "refused"),
    [
        ("warehouse", "bookshop-user-code:latest", None, "the image 'bookshop-user-code:latest'"),
        ("bookshop", "nginx:1.27", None, "the image 'nginx:1.27'"),
        ("bookshop", None, {"docker": {"container_kwargs": {"privileged": True}}}, "the container settings"),
        ("marketing", None, None, "no code server of this deployment serves the code location 'marketing'"),
    ],
)
def test_a_forged_run_of_a_code_location_is_refused_with_its_reason(
    instance, docker, location, image, context, refused
):
    run = queued_run(instance, location, image=image, context=context)
    with pytest.raises(Exception, match="Refused") as raised:
        launch(instance, run)
    assert refused in str(raised.value)
    assert docker.created == []
