"""The run launcher: every run container exactly as the deployment says, whatever a run's row says.

Dagster's DockerRunLauncher builds a run's container from its own settings merged with the image
and the container context stored in the run itself (the code origin, in Postgres), so whoever can
write the runs table could choose the container: another image, privileged, a bind of `/`. This
launcher builds every container from dagster.yaml alone (image, network, volumes, variables,
container settings) and refuses a run whose origin asks for anything else: the daemon then marks
the run failed, with this launcher's reason in its event log, and the failure alert reports it.
"""

import json
from collections.abc import Mapping
from typing import Any

from dagster import DagsterRun, Field, StringSource
from dagster_docker import DockerRunLauncher
from dagster_docker.container_context import DockerContainerContext
from dagster_docker.utils import DOCKER_CONFIG_SCHEMA


class ForgedRunError(Exception):
    """A run's origin asks for container settings that the deployment does not give."""


class DeploymentRunLauncher(DockerRunLauncher):
    """DockerRunLauncher whose containers take nothing from a run's own row."""

    def __init__(self, volumes: str, **config: Any):
        container_kwargs = dict(config.pop("container_kwargs", None) or {})
        container_kwargs["volumes"] = [volume for volume in volumes.split(",") if volume]
        super().__init__(container_kwargs=container_kwargs, **config)

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:
        return {
            **DOCKER_CONFIG_SCHEMA,
            "image": Field(StringSource, description="The image of every run container."),
            "volumes": Field(
                StringSource,
                description="The volumes of every run container, comma-separated, as Docker's name:path:mode.",
            ),
        }

    def get_container_context(self, dagster_run: DagsterRun) -> DockerContainerContext:
        return DockerContainerContext(
            registry=self.registry,
            env_vars=self.env_vars,
            networks=self.networks,
            container_kwargs=self.container_kwargs,
        )

    def refusal(self, dagster_run: DagsterRun) -> str | None:
        """What the run's origin asks for beyond the deployment's settings, or None."""
        if dagster_run.job_code_origin is None:
            return None
        repository = dagster_run.job_code_origin.repository_origin
        asked = []
        if repository.container_image not in (None, self.image):
            asked.append(f"the image {repository.container_image!r}")
        if repository.container_context:
            asked.append(f"the container settings {json.dumps(repository.container_context, sort_keys=True)}")
        if not asked:
            return None
        return (
            f"Refused: this run's stored origin asks for {' and '.join(asked)}, which the deployment does not"
            f" give its runs (run containers are built from dagster.yaml alone: image {self.image!r})."
        )

    def check_run(self, dagster_run: DagsterRun) -> None:
        refusal = self.refusal(dagster_run)
        if refusal:
            self._instance.report_engine_event(refusal, dagster_run, cls=self.__class__)
            raise ForgedRunError(refusal)

    # `context`: Dagster's LaunchRunContext or ResumeRunContext, which it exports from no public module.
    def launch_run(self, context: Any) -> None:
        self.check_run(context.dagster_run)
        super().launch_run(context)

    def resume_run(self, context: Any) -> None:
        self.check_run(context.dagster_run)
        super().resume_run(context)
