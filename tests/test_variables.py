"""docker-compose.yml, the run containers' context and .env.example name exactly the registry's variables."""

import json
import re

import yaml

from bookshop.variables import VARIABLES
from support.stack import ROOT

SETTINGS = {variable.name: variable.default for variable in VARIABLES if variable.is_setting}
RUN = {variable.name for variable in VARIABLES if variable.run}
# `${NAME}`, `${NAME:-default}`; `$$` escapes a `$` for the container's shell.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(?P<name>[A-Z0-9_]+)(?::?-(?P<default>[^}]*))?\}")
ENV_LINE = re.compile(r"^#? ?(?P<name>[A-Z][A-Z0-9_]+)=(?P<value>.*)$")


def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text()


def test_every_variable_is_declared_once():
    names = [variable.name for variable in VARIABLES]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)


def test_compose_reads_exactly_the_settings_with_their_defaults():
    read = {}
    for match in INTERPOLATION.finditer(compose_text()):
        read.setdefault(match["name"], set()).add(match["default"])
    assert set(read) == set(SETTINGS)
    wrong = {name: defaults for name, defaults in read.items() if defaults - {SETTINGS[name], None}}
    assert not wrong, f"defaults in docker-compose.yml that differ from the registry: {wrong}"


def test_compose_sets_exactly_the_registrys_variables_in_containers():
    compose = yaml.safe_load(compose_text())
    set_in_containers = {name for service in compose["services"].values() for name in service.get("environment", {})}
    wiring = {variable.name for variable in VARIABLES if not variable.is_setting}
    assert wiring <= set_in_containers, sorted(wiring - set_in_containers)
    assert set_in_containers <= {variable.name for variable in VARIABLES}, sorted(
        set_in_containers - {variable.name for variable in VARIABLES}
    )


def test_run_containers_get_exactly_the_run_variables():
    instance = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    from_instance = instance["run_launcher"]["config"]["env_vars"]
    compose = yaml.safe_load(compose_text())
    context = json.loads(compose["services"]["user_code"]["environment"]["DAGSTER_CONTAINER_CONTEXT"])
    from_location = context["docker"]["env_vars"]
    assert not set(from_instance) & set(from_location), "named twice"
    assert set(from_instance) | set(from_location) == RUN


def test_env_example_lists_exactly_the_settings_with_their_defaults():
    listed = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if match := ENV_LINE.match(line):
            listed[match["name"]] = (line.startswith("#"), match["value"])
    assert set(listed) == set(SETTINGS)
    wrong = {name: value for name, (commented, value) in listed.items() if not commented and value != SETTINGS[name]}
    assert not wrong, f"values in .env.example that differ from the registry's defaults: {wrong}"
