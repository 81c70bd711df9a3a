"""deploy/helm/values.yaml against the Helm chart's own values.schema.json (vendored, see its README).

Helm validates the chart's defaults merged with these values. The defaults (the chart's
values.yaml) of the vendored schema's version are not vendored, so the schema's `required`
lists, which the defaults satisfy, are not enforced: everything these values set is checked
(names, types, enumerations, no unknown key where the chart forbids one, the config block that a
chosen type needs), not that the merged whole is complete. Kubernetes objects inside the values
(resources, volumes, security contexts) are `$ref`s to kubernetesjsonschema.dev in the schema and
stay unchecked here: nothing is fetched.
"""

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from support.deployments import INTERPOLATION, declarations

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "deploy" / "helm"
KUBERNETES_SCHEMAS = "https://kubernetesjsonschema.dev/"

# Credentials reach the pods from Kubernetes Secrets only; none of these names belongs in values.
SECRET_VARIABLES = {
    "BOOKSHOP_MYSQL_USER",
    "BOOKSHOP_MYSQL_PASSWORD",
    "BOOKSHOP_ALERT_WEBHOOK_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "DAGSTER_PG_PASSWORD",
}


def values() -> dict:
    return yaml.safe_load((HELM / "values.yaml").read_text())


def as_checked_here(schema):
    """The schema less its `required` lists, except those of if/then (a chosen type's config), and
    with each Kubernetes object (a `$ref` to kubernetesjsonschema.dev) accepted as it is: under
    draft 7, which Helm 3's validator implements, a `$ref` replaces the keywords beside it."""
    if isinstance(schema, list):
        return [as_checked_here(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref", "#")
    if not reference.startswith("#"):
        assert reference.startswith(KUBERNETES_SCHEMAS), f"{reference} is not vendored"
        return {}
    return {
        key: value if key == "then" else as_checked_here(value) for key, value in schema.items() if key != "required"
    }


def validator() -> Draft7Validator:
    schema = json.loads((HELM / "schema" / "values.schema.json").read_text())
    return Draft7Validator(as_checked_here(schema))


def errors(checked: dict) -> list[str]:
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator().iter_errors(checked)]


def test_the_values_follow_the_charts_schema():
    assert errors(values()) == []


def test_every_top_level_key_is_one_the_chart_knows():
    schema = json.loads((HELM / "schema" / "values.schema.json").read_text())

    assert set(values()) <= set(schema["properties"])


@pytest.mark.parametrize(
    ("path", "wrong", "message"),
    [
        (("dagsterWebserver",), {"enableReadonly": True}, "Additional properties are not allowed"),
        (("runLauncher",), {"type": "K8sJobLauncher"}, "is not one of"),
        (("computeLogManager", "config"), {"s3ComputeLogManager": None, "s3": {}}, "Additional properties"),
        (
            ("dagsterDaemon", "runCoordinator", "config", "queuedRunCoordinator"),
            {"maxConcurrentRuns": "4"},
            "not valid",
        ),
    ],
)
def test_a_wrong_key_or_value_is_refused(path, wrong, message):
    changed = copy.deepcopy(values())
    target = changed
    for key in path:
        target = target[key]
    target.update(wrong)

    assert any(message in error for error in errors(changed))


def words(tree) -> set[str]:
    """Every key and every string in a parsed YAML tree."""
    if isinstance(tree, dict):
        return set(tree) | set().union(*map(words, tree.values()))
    if isinstance(tree, list):
        return set().union(*map(words, tree))
    return {tree} if isinstance(tree, str) else set()


def test_no_credential_is_written_in_the_values():
    settings = values()

    assert not words(settings) & SECRET_VARIABLES
    assert settings["generatePostgresqlPasswordSecret"] is False
    assert settings["postgresql"]["postgresqlPassword"] == ""
    for references in (
        settings["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"],
        settings["dagster-user-deployments"]["deployments"][0]["envSecrets"],
        settings["dagsterWebserver"]["envSecrets"],
    ):
        assert all(set(reference) == {"name"} for reference in references)


def test_the_chart_and_dagsters_images_are_pinned_to_the_locked_dagster():
    locked = re.search(r"^dagster==(\S+)$", (ROOT / "locks" / "user_code.txt").read_text(), re.MULTILINE).group(1)
    settings = values()
    readme = (HELM / "README.md").read_text()

    assert settings["dagsterWebserver"]["image"]["tag"] == locked
    assert settings["dagsterDaemon"]["image"]["tag"] == locked
    assert f"--version {locked}" in readme
    assert f"version {locked}" in (HELM / "values.yaml").read_text().splitlines()[1]


def test_each_declared_code_location_is_a_helm_user_deployment_of_the_same_image_and_module():
    # The chart's values are written by hand: this keeps them the declarations' (code_locations/).
    deployments = {deployment["name"]: deployment for deployment in values()["dagster-user-deployments"]["deployments"]}
    declared = declarations()

    assert set(deployments) == set(declared)
    for name, server in declared.items():
        image = INTERPOLATION.sub(lambda match: match["default"] or "", server["image"]).rsplit(":", 1)[0]
        assert deployments[name]["image"]["repository"].rsplit("/", 1)[-1] == image, name
        module = server["environment"]["CODE_LOCATION_MODULE"]
        assert deployments[name]["dagsterApiGrpcArgs"][:2] == ["-m", module], name


def test_the_code_location_serves_the_images_command_on_port_4000():
    [deployment] = [each for each in values()["dagster-user-deployments"]["deployments"] if each["name"] == "bookshop"]
    dockerfile = (ROOT / "Dockerfile_user_code").read_text()
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))

    assert deployment["name"] == "bookshop"  # the code location's name, as its declaration labels it
    assert deployment["port"] == 4000
    assert command == ["dagster", "api", "grpc", *deployment["dagsterApiGrpcArgs"]]
    assert deployment["image"]["tag"] != "latest"
