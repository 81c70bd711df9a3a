"""Prometheus's rules and configuration and Alertmanager's, checked by the tools of the images
docker-compose.yml runs: `promtool test rules` for every alert, the rendered configurations."""

import subprocess
import time
import uuid

import yaml

from support.stack import ROOT

MONITORING = ROOT / "monitoring"
PROMETHEUS = "prom/prometheus:v2.53.5"
ALERTMANAGER = "prom/alertmanager:v0.28.1"
MOUNT = ["--volume", f"{MONITORING}:/etc/bookshop/monitoring:ro"]


def docker_run(image: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    settings = [argument for name, value in (env or {}).items() for argument in ("--env", f"{name}={value}")]
    return subprocess.run(
        ["docker", "run", "--rm", *MOUNT, *settings, *args], capture_output=True, text=True, timeout=120
    )


def test_every_alert_passes_its_promtool_unit_tests():
    result = docker_run(
        PROMETHEUS, "--workdir", "/etc/bookshop/monitoring", "--entrypoint", "promtool", PROMETHEUS,
        "test", "rules", "rules.test.yml",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_test_that_fires_it_and_one_that_does_not():
    rules = yaml.safe_load((MONITORING / "rules.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((MONITORING / "rules.test.yml").read_text())["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    silent = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert fired == alerts
    # Absent series is the one case with nothing to stay silent on beside it.
    assert silent == alerts


def test_the_rendered_prometheus_configuration_is_valid():
    script = (
        "sed 's|${BOOKSHOP_MONITORING_INTERVAL_SECONDS}|7|g' /etc/bookshop/monitoring/prometheus.yml >/tmp/p.yml"
        " && cat /tmp/p.yml && promtool check config /tmp/p.yml"
    )
    result = docker_run(PROMETHEUS, "--entrypoint", "sh", PROMETHEUS, "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scrape_interval: 7s" in result.stdout
    assert "SUCCESS" in result.stdout + result.stderr


def alertmanager_config(env: dict[str, str]) -> tuple[dict, dict]:
    """The configuration Alertmanager runs with (as its API shows it, secrets hidden, and as
    rendered), started as docker-compose.yml starts it, with `env`."""
    name = f"bookshop-alertmanager-test-{uuid.uuid4().hex[:8]}"
    started = docker_run(
        ALERTMANAGER, "--detach", "--name", name, "--entrypoint", "sh", ALERTMANAGER,
        "/etc/bookshop/monitoring/start-alertmanager.sh", env=env,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        shown = ""
        for _ in range(30):
            shown = subprocess.run(
                ["docker", "exec", name, "amtool", "--alertmanager.url=http://127.0.0.1:9093", "config", "show"],
                capture_output=True, text=True, timeout=30,
            ).stdout  # fmt: skip
            if shown:
                break
            time.sleep(1)
        assert shown, "Alertmanager never answered"
        rendered = subprocess.run(
            ["docker", "exec", name, "cat", "/tmp/alertmanager.yml"], capture_output=True, text=True, timeout=30
        ).stdout
        return yaml.safe_load(shown), yaml.safe_load(rendered)
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, timeout=60)


INTERVALS = {
    "BOOKSHOP_ALERT_GROUP_WAIT": "11s",
    "BOOKSHOP_ALERT_GROUP_INTERVAL": "3m",
    "BOOKSHOP_ALERT_REPEAT_INTERVAL": "5h",
}


def test_alertmanager_posts_to_the_failure_webhook_with_the_intervals_set():
    url = "https://hooks.example.org/ops?team=data&x=1"
    config, rendered = alertmanager_config({"BOOKSHOP_ALERT_WEBHOOK_URL": url, **INTERVALS})
    route = config["route"]
    assert (route["receiver"], route["group_wait"], route["group_interval"], route["repeat_interval"]) == (
        "webhook", "11s", "3m", "5h",
    )  # fmt: skip
    webhook = next(receiver for receiver in config["receivers"] if receiver["name"] == "webhook")
    assert webhook["webhook_configs"][0]["send_resolved"] is True
    assert rendered["receivers"][1]["webhook_configs"][0]["url"] == url


def test_alertmanager_without_a_webhook_keeps_alerts_to_itself():
    config, _ = alertmanager_config({"BOOKSHOP_ALERT_WEBHOOK_URL": "", **INTERVALS})
    assert config["route"]["receiver"] == "none"
    assert [receiver["name"] for receiver in config["receivers"]] == ["none"]


def test_alertmanager_refuses_a_webhook_url_it_cannot_use():
    for url in ("ftp://example.org/hook", 'https://example.org/"hook"'):
        result = docker_run(
            ALERTMANAGER, "--entrypoint", "sh", ALERTMANAGER, "/etc/bookshop/monitoring/start-alertmanager.sh",
            env={"BOOKSHOP_ALERT_WEBHOOK_URL": url},
        )  # fmt: skip
        assert result.returncode == 1, (url, result.stdout, result.stderr)
        assert "BOOKSHOP_ALERT_WEBHOOK_URL must" in result.stderr
