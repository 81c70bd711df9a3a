"""The login proxy: nobody reaches a UI without signing in, a viewer not the operators' entry."""

import json
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from support.accounts import new_person
from support.stack import ROOT, SERVICES, NoRedirects, Stack, basic_auth, free_port, wait_for

QUERY = json.dumps({"query": "{ version }"}).encode()
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("entry", ["operator", "viewer"])
def test_no_credentials_no_ui(stack: Stack, entry: str):
    port = stack.webserver_port if entry == "operator" else stack.readonly_port
    for path in ("/", "/runs", "/graphql", "/server_info"):
        answer = stack.http(port, path, signed_in=False)
        assert answer.status == 401, (path, answer.status)
        assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    posted = stack.http(port, "/graphql", method="POST", body=QUERY, headers=JSON, signed_in=False)
    assert posted.status == 401
    wrong = stack.http(port, "/graphql", method="POST", body=QUERY, headers=JSON, credentials=(entry, "guess"))
    assert wrong.status == 401


def test_each_role_signs_in_on_its_entry_and_a_viewer_not_on_the_operators(stack: Stack):
    assert stack.http(stack.webserver_port, "/server_info").status == 200
    assert stack.http(stack.readonly_port, "/server_info").status == 200
    assert stack.http(stack.readonly_port, "/server_info", credentials=stack.operator).status == 200
    assert stack.http(stack.webserver_port, "/server_info", credentials=stack.viewer).status == 403


def test_the_admins_password_was_generated_and_the_log_says_how_to_read_it(stack: Stack):
    assert len(stack.admin[1]) >= 24
    logs = stack.compose("logs", "--no-color", "login").stdout
    assert "docker compose exec login cat /var/lib/bookshop-proxy/admin.password" in logs
    assert all(credentials[1] not in logs for credentials in (stack.admin, stack.operator, stack.viewer))
    # The shared accounts of an earlier install came from the environment, nothing generated for them.
    assert "operator.password" not in logs and "viewer.password" not in logs


def test_no_password_in_plain_text_in_the_database_or_the_containers_configuration(stack: Stack):
    hashes = stack.compose(
        "exec", "-T", "postgres", "psql", "-U", "dagster", "-d", "dagster", "-At", "-c",
        "SELECT name, password_hash FROM bookshop_access.people",
    ).stdout  # fmt: skip
    people = dict(line.split("|", 1) for line in hashes.split())
    assert {stack.admin[0], stack.operator[0], stack.viewer[0]} <= set(people)
    assert all(hashed.startswith("$argon2id$") for hashed in people.values()), "Argon2id hashes"
    assert all(credentials[1] not in hashes for credentials in (stack.admin, stack.operator, stack.viewer))
    for service in ("login", "proxy"):
        inspected = subprocess.run(
            ["docker", "inspect", stack.container_id(service)], capture_output=True, text=True, check=True
        ).stdout
        assert stack.admin[1] not in inspected  # generated: kept on the login's volume only


def test_security_headers_on_every_answer(stack: Stack):
    for answer in (
        stack.http(stack.webserver_port, "/server_info"),
        stack.http(stack.readonly_port, "/", signed_in=False),
    ):
        headers = {name.lower(): value for name, value in answer.headers.items()}
        assert headers["x-frame-options"] == "DENY"
        assert headers["content-security-policy"] == "frame-ancestors 'none'"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["server"] == "nginx", "no version"


def test_the_first_visit_is_quiet(stack: Stack):
    assert stack.graphql("{ shouldShowNux }") == {"shouldShowNux": False}


def test_only_the_proxy_publishes_a_port(stack: Stack):
    services = stack.services()
    published = {
        name: {(p["URL"], p["PublishedPort"]) for p in row.get("Publishers") or [] if p.get("PublishedPort")}
        for name, row in services.items()
    }
    assert published["proxy"] == {("127.0.0.1", stack.webserver_port), ("127.0.0.1", stack.readonly_port)}
    for name in set(SERVICES) - {"proxy", "mysql"}:  # mysql: the test overlay's loopback port only
        assert not published[name], name
    # As users run it (without the test overlay): the proxy alone has ports.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert [name for name, service in compose["services"].items() if "ports" in service] == ["proxy"]


def signed_in_over_https(port: int, context: ssl.SSLContext, credentials: tuple[str, str]) -> list[str]:
    """The attributes of the session cookie that the sign-in page sets over HTTPS."""
    form = urllib.parse.urlencode({"name": credentials[0], "password": credentials[1]}).encode()
    request = urllib.request.Request(f"https://127.0.0.1:{port}/login", data=form, method="POST")
    opener = urllib.request.build_opener(NoRedirects, urllib.request.HTTPSHandler(context=context))
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as answer:
        return answer.headers["Set-Cookie"].split("; ")
    raise AssertionError("the sign-in page did not redirect")


def test_tls_with_an_operators_certificate(stack: Stack, tmp_path: Path):
    """A second proxy from the same service, with a self-signed certificate in BOOKSHOP_TLS_DIR."""
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    (tls / "key.pem").chmod(0o644)  # read by nginx's uid 101 in the container
    tls.chmod(0o755)
    tmp_path.chmod(0o755)
    port, readonly_port = free_port(), free_port()
    env = {
        **stack.env,
        "BOOKSHOP_TLS_DIR": str(tls),
        "DAGSTER_WEBSERVER_PORT": str(port),
        "DAGSTER_WEBSERVER_READONLY_PORT": str(readonly_port),
    }
    name = f"{stack.project}-proxy-tls"
    run = ["run", "--detach", "--no-deps", "--service-ports", "--use-aliases", "--name", name, "proxy"]
    stack.compose(*run, env=env)
    try:
        context = ssl.create_default_context(cafile=str(tls / "cert.pem"))

        def answer(scheme: str, entry: int, signed_in: bool = True):
            headers = {"Authorization": basic_auth(stack.operator)} if signed_in else {}
            request = urllib.request.Request(f"{scheme}://127.0.0.1:{entry}/server_info", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30, context=context if scheme == "https" else None) as r:
                    return r.status, dict(r.headers)
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers)
            except (urllib.error.URLError, ConnectionError) as error:
                return None, {"error": str(error)}

        wait_for(lambda: answer("https", port)[0] == 200, 60, "the TLS proxy to answer", interval=1)
        _, headers = answer("https", port)
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert "Secure" in signed_in_over_https(port, context, stack.operator), (
            "the session cookie goes over HTTPS only"
        )
        assert answer("https", readonly_port)[0] == 200
        assert answer("https", port, signed_in=False)[0] == 401
        assert answer("http", port)[0] != 200, "plain HTTP is not served on a TLS entry"
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, check=False)


def test_a_password_from_a_file(stack: Stack):
    """BOOKSHOP_OPERATOR_PASSWORD_FILE instead of the variable; never both."""
    folder = Path(tempfile.mkdtemp(prefix="bookshop-secret-"))
    folder.chmod(0o755)
    secret = folder / "operator-password"
    secret.write_text(f"from-a-file-{stack.project}\n")
    secret.chmod(0o644)
    env = {**stack.env, "BOOKSHOP_OPERATOR_PASSWORD": "", "BOOKSHOP_OPERATOR_PASSWORD_FILE": str(secret)}
    script = "from bookshop_access.first_start import given_password; print(given_password('operator'))"
    run = ["run", "--rm", "--no-deps", "--entrypoint", "python", "login", "-c", script]
    assert stack.compose(*run, env=env).stdout.strip() == f"from-a-file-{stack.project}"
    refused = stack.compose(*run, env={**env, "BOOKSHOP_OPERATOR_PASSWORD": "also-set"}, check=False)
    assert refused.returncode != 0
    assert "not both" in refused.stdout + refused.stderr


# From inside the stack's network: a client of its own address (the tests' other requests come
# from the host's), which asks the operator entry for /server_info with each password in turn and
# prints the status codes. Without a password (None), nothing is counted.
CLIENT = """
import base64, http.client, json, sys, time
user, right = sys.argv[1], sys.argv[2]
def status(password):
    connection = http.client.HTTPConnection("proxy", 3000, timeout=30)
    headers = {"Host": "127.0.0.1:3000"}
    if password is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    connection.request("GET", "/server_info", headers=headers)
    return connection.getresponse().status
anonymous = [status(None) for _ in range(15)]
started = time.monotonic()
wrong = [status(f"wrong-{n}") for n in range(25)]
print(json.dumps([anonymous, wrong, time.monotonic() - started, [status(right), status(None)]]))
"""


def test_wrong_passwords_are_answered_429_past_ten_in_a_row_per_client_and_per_account(stack: Stack):
    """Guesses at a new operator's password, from a client inside the stack; the person had
    signed in before, from the host."""
    user, right = new_person(stack, "operator", "bookshop")
    assert stack.http(stack.webserver_port, "/server_info", credentials=(user, right)).status == 200
    output = stack.exec("webhook_receiver", f"python - '{user}' '{right}'", input=CLIENT)
    anonymous, wrong, seconds, (signed_in, anonymous_again) = json.loads(output)
    assert anonymous == [401] * 15, "asking without a password is not counted"
    assert wrong[:11] == [401] * 11, wrong
    # Past those, one more every 6 seconds is checked (401); every other is 429.
    assert wrong[11:].count(401) <= seconds // 6 + 1, (wrong, seconds)
    assert set(wrong[11:]) <= {401, 429} and 429 in wrong, wrong
    assert (signed_in, anonymous_again) == (200, 401), "the right password, already found right, still passes"
    # Another client (the host) is not slowed down on another account; on this one, it is.
    assert stack.http(stack.webserver_port, "/server_info", credentials=(stack.viewer[0], "wrong")).status == 401
    statuses = [
        stack.http(stack.webserver_port, "/server_info", credentials=(user, f"again-{n}")).status for n in (1, 2)
    ]
    assert statuses[1] == 429, statuses
    assert stack.http(stack.webserver_port, "/server_info", credentials=(user, right)).status == 200


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST"])
def test_the_loopback_names_are_answered(stack: Stack, host: str):
    for port in (stack.webserver_port, stack.readonly_port):
        assert stack.http(port, "/server_info", headers={"Host": host.format(port=port)}).status == 200


@pytest.mark.parametrize(
    "host",
    ["attacker.example", "attacker.example:{port}", "127.0.0.1.attacker.example:{port}", "webserver:3000", "proxy"],
)
def test_any_other_host_name_gets_421_before_a_password_is_asked(stack: Stack, host: str):
    """A DNS-rebinding page (attacker.example resolved to 127.0.0.1) is same-origin to the proxy."""
    for port in (stack.webserver_port, stack.readonly_port):
        for signed_in in (True, False):
            answer = stack.http(port, "/server_info", headers={"Host": host.format(port=port)}, signed_in=signed_in)
            assert answer.status == 421, (port, signed_in, answer.status)
            assert "WWW-Authenticate" not in answer.headers
            assert b"dagster" not in answer.body.lower()
        posted = stack.http(
            port, "/graphql", method="POST", body=QUERY, headers={**JSON, "Host": host.format(port=port)}
        )
        assert posted.status == 421


def test_the_operator_names_the_hosts_and_nothing_else_passes(stack: Stack):
    script = "/docker-entrypoint.d/40-bookshop-credentials.sh 2>&1 && cat /tmp/bookshop/allowed-hosts.conf && nginx -t"
    run = ["run", "--rm", "--no-deps", "--entrypoint", "sh", "proxy", "-c", script]
    named = stack.compose(*run, env={**stack.env, "BOOKSHOP_ALLOWED_HOSTS": "Dagster.Example.com, 10.0.0.5 [fd00::1]"})
    assert '"dagster.example.com" 1;\n"10.0.0.5" 1;\n"[fd00::1]" 1;\n' in named.stdout
    assert "syntax is ok" in named.stdout + named.stderr
    for wrong in ("dagster.example.com:3000", "evil;example"):
        refused = stack.compose(*run, env={**stack.env, "BOOKSHOP_ALLOWED_HOSTS": wrong}, check=False)
        assert refused.returncode != 0, wrong
        assert "BOOKSHOP_ALLOWED_HOSTS" in refused.stdout + refused.stderr
