"""What the code location gets from each deployment, and the defaults it falls back on.

Compose gives it the environment of its declaration (code_locations/bookshop.yaml); the Helm chart gives its pods the
ConfigMaps and Secrets that deploy/helm/values.yaml names (the Secrets' keys with stand-in values).
"""

import re
from pathlib import Path

import yaml

from bookshop.defs.retention import RETENTION_SCHEDULE
from bookshop.defs.schedules import SCHEDULE_DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "deploy" / "helm"

DEFAULT_CRONS = {each.name: each.default_cron for each in (*SCHEDULE_DEFAULTS, RETENTION_SCHEDULE)}

# `${NAME}` or `${NAME:-default}`, as compose interpolates them.
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")

# The keys of the Secrets that deploy/helm/README.md creates, with stand-in values.
SECRETS = {
    "bookshop-secrets": {
        "BOOKSHOP_MYSQL_USER": "bookshop_reader",
        "BOOKSHOP_MYSQL_PASSWORD": "from-the-secret",
        "BOOKSHOP_ALERT_WEBHOOK_URL": "https://hooks.example.com/bookshop",
    },
    "bookshop-object-store-credentials": {
        "AWS_ACCESS_KEY_ID": "key-from-the-secret",
        "AWS_SECRET_ACCESS_KEY": "secret-from-the-secret",
    },
}


def declarations() -> dict[str, dict]:
    """Each code location's declared code server (code_locations/), by the location's name."""
    declared = {}
    for path in sorted((ROOT / "code_locations").glob("*.yaml")):
        for service in yaml.safe_load(path.read_text())["services"].values():
            if "bookshop.code-location" in service.get("labels", {}):
                declared[service["labels"]["bookshop.code-location"]] = service
    return declared


def declared_settings() -> dict[str, str]:
    """The bookshop's settings as its declaration writes them (`${NAME:-default}`), but the name
    of its definitions' module, which Helm gives as the code server's arguments."""
    environment = dict(declarations()["bookshop"]["environment"])
    environment.pop("CODE_LOCATION_MODULE")
    return environment


def compose_environment() -> dict[str, str]:
    """The code location's variables as compose sets them when `.env` sets nothing."""
    return {
        name: INTERPOLATION.sub(lambda match: match["default"] or "", str(value))
        for name, value in declared_settings().items()
    }


def config_map(name: str) -> dict[str, str]:
    manifest = yaml.safe_load((HELM / f"{name}.yaml").read_text())
    assert manifest["kind"] == "ConfigMap" and manifest["metadata"]["name"] == name
    return manifest["data"]


def run_pod_environment() -> dict[str, str]:
    """What a run pod (and the code server) gets from the ConfigMaps and Secrets values.yaml names."""
    launcher = yaml.safe_load((HELM / "values.yaml").read_text())["runLauncher"]["config"]["k8sRunLauncher"]
    env = {}
    for reference in launcher["envConfigMaps"]:
        env.update(config_map(reference["name"]))
    for reference in launcher["envSecrets"]:
        env.update(SECRETS[reference["name"]])
    return env
