"""The Docker engine is root on the host: who reaches it, and for what."""

import json
import subprocess

import pytest

from support.stack import Stack

# Each Docker API call, tried with the docker SDK from inside a container, as its run launcher
# would make it; prints {call: "allowed" | HTTP status | error}.
ATTEMPTS = """
import json, sys, urllib.request, urllib.error
import docker
client = docker.from_env()
target = sys.argv[1]
results = {}
def attempt(name, call):
    try:
        call()
        results[name] = "allowed"
    except docker.errors.APIError as error:
        results[name] = error.status_code
    except Exception as error:
        results[name] = type(error).__name__
def raw(method, path):
    host = client.api.base_url.replace("http+docker://", "http://")
    try:
        request = urllib.request.Request(host + path, method=method, data=b"{}")
        with urllib.request.urlopen(request) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
attempt("version", client.version)
attempt("inspect", lambda: client.containers.get(target))
if sys.argv[2] == "try-create":  # the daemon may create: its container would be real
    attempt("create", lambda: client.containers.create("nginx:1.27", "true", privileged=True, volumes=["/:/host"]))
attempt("exec", lambda: client.api.exec_create(target, "id"))
attempt("list containers", lambda: results.update(listed=sorted(
    container.labels["com.docker.compose.service"] for container in client.containers.list(all=True))))
attempt("images", lambda: client.images.list())
attempt("pull", lambda: client.images.pull("busybox", tag="latest"))
attempt("volumes", lambda: client.volumes.list())
attempt("swarm", lambda: client.swarm.attrs)
attempt("info", client.info)
attempt("kill", lambda: client.api.kill(target))
results["create (no version)"] = raw("POST", "/containers/create")
results["create (dot segments)"] = raw("POST", "/v1.41/containers/" + target + "/json/../../create")
results["create (encoded)"] = raw("POST", "/v1.41/containers/%63reate")
print(json.dumps(results))
"""
# "inspect" aims at Postgres's container: neither proxy shows a container that is not a run's
# (or, to the daemon, a code server).
REFUSED_TO_BOTH = ("inspect", "exec", "images", "pull", "volumes", "swarm", "info", "kill")
REFUSED_RAW = ("create (no version)", "create (dot segments)", "create (encoded)")


def attempts_from(stack: Stack, service: str, try_create: bool) -> dict[str, object]:
    target = stack.container_id("postgres")
    container = stack.container_id(service)
    result = subprocess.run(
        ["docker", "exec", "-i", container, "python", "-", target, "try-create" if try_create else "-"],
        input=ATTEMPTS, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_webserver_may_inspect_and_stop_only(stack: Stack):
    results = attempts_from(stack, "webserver", try_create=True)
    assert results["version"] == "allowed"
    refused = ("create", "list containers", *REFUSED_TO_BOTH, *REFUSED_RAW)
    assert {name: results[name] for name in refused} == dict.fromkeys(refused, 403)


def test_the_daemon_may_not_exec_or_pull_and_lists_only_the_code_location_servers(stack: Stack):
    results = attempts_from(stack, "daemon", try_create=False)
    assert results["version"] == "allowed"
    refused = (*REFUSED_TO_BOTH, *REFUSED_RAW)
    assert {name: results[name] for name in refused} == dict.fromkeys(refused, 403)
    assert results["list containers"] == "allowed"
    assert results["listed"] == ["user_code", "warehouse"]


# The daemon's creations, each a run container of the bookshop's code location as the run launcher
# makes it but for one thing asked on top (argv[1]: a network of the stack other than the runs').
# Prints {ask: outcome}.
CREATIONS = """
import json, os, sys
import docker
from bookshop_run_launcher import mounts_as_binds
client = docker.from_env()
[bookshop] = client.containers.list(all=True, filters={"label": "bookshop.code-location=bookshop"})
[warehouse] = client.containers.list(all=True, filters={"label": "bookshop.code-location=warehouse"})
run = dict(
    image=bookshop.attrs["Config"]["Image"], command="true", network=os.environ["DAGSTER_RUN_NETWORK"],
    volumes=mounts_as_binds(bookshop.attrs) + os.environ["DAGSTER_RUN_VOLUMES"].split(","),
    labels={"dagster/run_id": "socket-proxy-test", "bookshop.code-location": "bookshop"},
    cap_drop=["ALL"], security_opt=["no-new-privileges:true"], read_only=True, mem_limit="2g",
)
asks = {
    "privileged": {"privileged": True},
    "bind of /": {"volumes": ["/:/host:ro"]},
    "bind mount": {"mounts": [docker.types.Mount("/host", "/", type="bind", read_only=True)]},
    "another image": {"image": "nginx:1.27"},
    "another code location's image": {"image": warehouse.attrs["Config"]["Image"]},
    "another code location's volumes": {"volumes": mounts_as_binds(warehouse.attrs)},
    "no code location": {"labels": {"dagster/run_id": "socket-proxy-test"}},
    "host network": {"network": None, "network_mode": "host"},
    "another network": {"network": sys.argv[1]},
    "host pid": {"pid_mode": "host"},
    "host ipc": {"ipc_mode": "host"},
    "host user namespace": {"userns_mode": "host"},
    "added capability": {"cap_add": ["SYS_ADMIN"]},
    "device": {"devices": ["/dev/kmsg:/dev/kmsg"]},
    "no seccomp": {"security_opt": ["seccomp=unconfined"]},
}
results = {}
for ask, settings in asks.items():
    try:
        client.containers.create(**{**run, **settings}).remove()
        results[ask] = "created"
    except docker.errors.APIError as error:
        results[ask] = error.status_code
container = client.containers.create(**run)
results["run container"] = [container.id == client.containers.get(container.id).id, container.remove()]
print(json.dumps(results))
"""


def test_the_daemon_may_create_nothing_but_a_run_container_of_a_code_location(stack: Stack):
    results = json.loads(
        stack.exec("daemon", f"python - {stack.project}_default", input=CREATIONS).strip().splitlines()[-1]
    )
    assert results.pop("run container") == [True, None], "a run container is created, inspected and removed"
    assert results == dict.fromkeys(results, 403)
    assert len(results) == 15


def test_the_read_only_webserver_has_no_docker_at_all(stack: Stack):
    script = (
        "import os, socket\n"
        "print(sorted(name for name in os.environ if 'DOCKER' in name))\n"
        "print(os.path.exists('/var/run/docker.sock'))\n"
        "for host in ('docker_api_webserver', 'docker_api_daemon'):\n"
        "    try:\n"
        "        socket.getaddrinfo(host, 2375); print('reached', host)\n"
        "    except OSError: print('unknown', host)\n"
    )
    output = stack.exec("webserver_readonly", "python -", input=script).split("\n")
    assert output[:4] == ["[]", "False", "unknown docker_api_webserver", "unknown docker_api_daemon"]


@pytest.mark.parametrize("service", ["user_code", "webserver_readonly", "webserver", "daemon", "proxy"])
def test_only_the_socket_proxies_mount_the_docker_socket(stack: Stack, service: str):
    def mounts(name: str) -> list[str]:
        inspected = subprocess.run(
            ["docker", "inspect", "--format", "{{json .Mounts}}", stack.container_id(name)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return [mount["Destination"] for mount in json.loads(inspected)]

    assert not [mount for mount in mounts(service) if mount.endswith("docker.sock")]
    assert "/var/run/docker.sock" in mounts("docker_api_daemon")
    assert "/var/run/docker.sock" in mounts("docker_api_webserver")
