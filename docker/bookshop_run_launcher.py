"""The run launcher: every run container is its code location's code server, whatever a run's row says.

Dagster's DockerRunLauncher builds a run's container from its own settings merged with the image
and the container context stored in the run itself (the code origin, in Postgres), so whoever can
write the runs table could choose the container: another image, privileged, a bind of `/`. This
launcher takes nothing from the row. It finds the code server that compose made from the run's
code location's declaration (code_locations/, the label `bookshop.code-location`) and starts the
run as that container is: its image, its environment but the variables it keeps to itself (the
label `bookshop.code-server-only`), its volumes; on the runs' network, with the hardening and the
instance's settings of dagster.yaml. So a run gets its own location's settings and secrets and
no other's. A run whose origin asks for anything else (another image, container settings) is
refused: the daemon then marks it failed, with this launcher's reason in its event log, and the
failure alert reports it. The daemon's Docker API proxy judges each container the same way.
"""

import json
from collections.abc import Mapping
from typing import Any

from dagster import DagsterRun, Field, StringSource
from dagster._core.storage.tags import DOCKER_IMAGE_TAG
from dagster._core.utils import parse_env_var
from dagster._grpc.types import ExecuteRunArgs, ResumeRunArgs
from dagster_docker import DockerRunLauncher
from dagster_docker.container_context import DockerContainerContext
from dagster_docker.docker_run_launcher import DOCKER_CONTAINER_ID_TAG
from dagster_docker.utils import DOCKER_CONFIG_SCHEMA

# The label of a code server: its code location's name. Also put on each run container.
LOCATION_LABEL = "bookshop.code-location"
# The code server's variables that its runs never get, space-separated.
SERVER_ONLY_LABEL = "bookshop.code-server-only"


class ForgedRunError(Exception):
    """A run's origin asks for what its code location's code server is not."""


def mounts_as_binds(container: Mapping[str, Any]) -> list[str]:
    """A container's volumes and bind mounts, as Docker's `name-or-path:/target:rw|ro`."""
    return [
        f"{mount['Name'] if mount['Type'] == 'volume' else mount['Source']}:{mount['Destination']}:"
        f"{'rw' if mount['RW'] else 'ro'}"
        for mount in container["Mounts"]
        if mount["Type"] in ("volume", "bind")
    ]


class DeploymentRunLauncher(DockerRunLauncher):
    """DockerRunLauncher whose containers are their code location's code server, on the runs' network."""

    def __init__(self, volumes: str, **config: Any):
        self.volumes = [volume for volume in volumes.split(",") if volume]
        super().__init__(**config)

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:
        return {
            **DOCKER_CONFIG_SCHEMA,
            "volumes": Field(
                StringSource,
                description="The volumes of every run container besides its code server's, comma-separated,"
                " as Docker's name:path:mode.",
            ),
        }

    def get_container_context(self, dagster_run: DagsterRun) -> DockerContainerContext:
        """What every run container shares, from dagster.yaml alone (terminating a run needs no more)."""
        return DockerContainerContext(
            registry=self.registry,
            env_vars=self.env_vars,
            networks=self.networks,
            container_kwargs=self.container_kwargs,
        )

    def code_server(self, location: str) -> Mapping[str, Any] | None:
        """The code location's code server as Docker inspects it, or None if the deployment has none."""
        client = self._get_client(DockerContainerContext(registry=self.registry))
        listed = client.containers.list(all=True, filters={"label": f"{LOCATION_LABEL}={location}"})
        servers = [server.attrs for server in listed if server.labels.get(LOCATION_LABEL) == location]
        return servers[0] if len(servers) == 1 else None

    def refusal(self, dagster_run: DagsterRun, location: str, server: Mapping[str, Any] | None) -> str | None:
        """Why the run may not start in the box of its code location (`location`, served by `server`), or None."""
        if server is None:
            return f"Refused: no code server of this deployment serves the code location {location!r}."
        asked = []
        repository = dagster_run.job_code_origin.repository_origin if dagster_run.job_code_origin else None
        image = server["Config"]["Image"]
        if repository and repository.container_image not in (None, image):
            asked.append(f"the image {repository.container_image!r}")
        if repository and repository.container_context:
            asked.append(f"the container settings {json.dumps(repository.container_context, sort_keys=True)}")
        if not asked:
            return None
        return (
            f"Refused: this run's stored origin asks for {' and '.join(asked)}, which the deployment does not"
            f" give the runs of the code location {location!r} (its runs are its code server: image {image!r})."
        )

    def start_container(self, dagster_run: DagsterRun, command: list[str]) -> None:
        """Start the run as its code location's code server is, or refuse it."""
        location = dagster_run.remote_job_origin.location_name if dagster_run.remote_job_origin else ""
        server = self.code_server(location)
        refusal = self.refusal(dagster_run, location, server)
        if refusal or server is None:
            self._instance.report_engine_event(refusal, dagster_run, cls=self.__class__)
            raise ForgedRunError(refusal)
        context = self.get_container_context(dagster_run)
        kept = set(server["Config"]["Labels"].get(SERVER_ONLY_LABEL, "").split())
        location_env = dict(variable.split("=", 1) for variable in server["Config"]["Env"] or [])
        environment = {
            **{name: value for name, value in location_env.items() if name not in kept},
            **dict(parse_env_var(variable) for variable in context.env_vars),
            "DAGSTER_RUN_JOB_NAME": dagster_run.job_name,
        }
        image = server["Config"]["Image"]
        container = self._get_client(context).containers.create(
            image=image,
            command=command,
            detach=True,
            environment=environment,
            network=context.networks[0],
            labels={
                "dagster/run_id": dagster_run.run_id,
                "dagster/job_name": dagster_run.job_name,
                LOCATION_LABEL: location,
            },
            volumes=mounts_as_binds(server) + self.volumes,
            **context.container_kwargs,
        )
        self._instance.report_engine_event(
            f"Launching run in a new container {container.id} with image {image} (code location {location!r})",
            dagster_run,
            cls=self.__class__,
        )
        self._instance.add_run_tags(
            dagster_run.run_id, {DOCKER_CONTAINER_ID_TAG: container.id, DOCKER_IMAGE_TAG: image}
        )
        container.start()

    # `context`: Dagster's LaunchRunContext or ResumeRunContext, which it exports from no public module.
    def launch_run(self, context: Any) -> None:
        run = context.dagster_run
        arguments = ExecuteRunArgs(
            job_origin=context.job_code_origin, run_id=run.run_id, instance_ref=self._instance.get_ref()
        )
        self.start_container(run, arguments.get_command_args())

    def resume_run(self, context: Any) -> None:
        run = context.dagster_run
        arguments = ResumeRunArgs(
            job_origin=context.job_code_origin, run_id=run.run_id, instance_ref=self._instance.get_ref()
        )
        self.start_container(run, arguments.get_command_args())
