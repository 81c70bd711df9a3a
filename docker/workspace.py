"""Write the workspace: one gRPC code location per code server of this compose project.

Each declaration in code_locations/ makes a code server labelled `bookshop.code-location=<name>`;
compose creates every container of the project before it starts any, so all of them are listed
here, by Docker through the daemon's socket proxy (which lists this project's code servers and
nothing else). Run by `migrate` on every start: a declaration added or removed changes the
workspace on the next `docker compose up`; the daemon reads it again within a minute, the UI on
"Reload all" (operator guide, "Add a team's code location").
"""

import sys
from pathlib import Path

import docker
import yaml

LOCATION_LABEL = "bookshop.code-location"
SERVICE_LABEL = "com.docker.compose.service"
PORT = 4000


def workspace(labels: list[dict[str, str]]) -> dict:
    """The workspace of code servers with these labels; refuses two servers of one location."""
    locations: dict[str, str] = {}
    for label in labels:
        name, service = label[LOCATION_LABEL], label[SERVICE_LABEL]
        if name in locations and locations[name] != service:
            raise SystemExit(f"Both {locations[name]!r} and {service!r} declare the code location {name!r}.")
        locations[name] = service
    if not locations:
        raise SystemExit("No code location is declared: docker-compose.yml includes none from code_locations/.")
    return {
        "load_from": [
            {"grpc_server": {"host": service, "port": PORT, "location_name": name}}
            for name, service in sorted(locations.items())
        ]
    }


def main(path: Path) -> None:
    containers = docker.from_env().containers.list(all=True, sparse=True, filters={"label": LOCATION_LABEL})
    written = workspace([container.attrs["Labels"] for container in containers])
    path.with_suffix(".new").write_text(yaml.safe_dump(written, sort_keys=False))
    path.with_suffix(".new").replace(path)
    names = ", ".join(entry["grpc_server"]["location_name"] for entry in written["load_from"])
    print(f"Workspace: {names}.")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
