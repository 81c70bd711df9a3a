"""Dropped order files under crashes and hostile input: every file ends in processed/ or rejected/,
and every good order is landed exactly once.

Files are written inside the code server's container onto the shared data volume, as a partner
delivering to the drop folder would (hidden name, then rename), except the hostile entries that
cannot be delivered that way (a link, a folder).
"""

import json
import shlex
from pathlib import Path

import pytest

from faults.conftest import kill_container_process
from support.stack import LOCATION, REPOSITORY, START_SENSOR, Stack, wait_for

# The code server's and run containers' account (Dockerfile_user_code).
PIPELINE_UID = 10001
HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"
IN_PROGRESS = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]
# A run's events after a cursor (none: from the first), and the cursor after the last of them.
RUN_MESSAGES = """
query($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor) {
    ... on EventConnection { events { ... on MessageEvent { message } } cursor }
  }
}
"""
INGEST_RUNS = """
query($statuses: [RunStatus!]) {
  runsOrError(filter: {pipelineName: "ingest_order_file", statuses: $statuses}, limit: 500) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""
# Creates the files described by the JSON document on its stdin.
DROP_SCRIPT = """
import json, os, sys, time
incoming = "/data/incoming"
renames = []
for item in json.load(sys.stdin):
    name, path = item["name"], os.path.join(incoming, item["name"])
    if item["kind"] == "link":
        os.symlink(item["target"], path)
    elif item["kind"] == "folder":
        os.mkdir(path)
    else:
        hidden = os.path.join(incoming, "." + name + ".part")
        with open(hidden, "wb") as file:
            file.write(bytes.fromhex(item["hex"]))
        renames.append((hidden, path))
# One burst: every file delivered at the same instant, so one sensor tick sees them all.
now = time.time()
for hidden, path in renames:
    os.utime(hidden, (now, now))
    os.rename(hidden, path)
"""
# Prints every landed order as [source_file, order_id]; os._exit because pyarrow's threads once
# aborted the interpreter at exit after a correct answer.
LANDED_SCRIPT = """
import glob, json, os, sys, pandas
rows = []
for path in glob.glob("/data/storage/incoming_orders/*.parquet"):
    frame = pandas.read_parquet(path, columns=["source_file", "order_id"])
    rows += frame.values.tolist()
print(json.dumps(rows))
sys.stdout.flush()
os._exit(0)
"""
LIST_SCRIPT = """
import json, os
def names(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []
claimed = [n for run in names("/data/incoming/claimed") for slot in names(f"/data/incoming/claimed/{run}")
           for n in names(f"/data/incoming/claimed/{run}/{slot}")]
print(json.dumps({"incoming": names("/data/incoming"), "claimed": claimed,
                  "processed": names("/data/incoming/processed"), "rejected": names("/data/incoming/rejected")}))
"""


@pytest.fixture(scope="module", autouse=True)
def landed_orders_leave_with_this_module(stack: Stack):
    """The other fault tests check the figures against MySQL alone, so the orders landed here go afterwards."""
    yield
    stack.exec("user_code", "rm -rf /data/storage/incoming_orders")


def good_file(first_id: int, rows: int) -> str:
    return HEADER + "".join(
        f"{first_id + n},{1 + n % 20},{1 + n % 15},1,9.99,2026-11-01T10:00:00Z\n" for n in range(rows)
    )


def drop(stack: Stack, files: list[dict]) -> None:
    stack.exec("user_code", f"python -c {shlex.quote(DROP_SCRIPT)}", json.dumps(files))


def as_file(name: str, content: str | bytes) -> dict:
    data = content.encode() if isinstance(content, str) else content
    return {"name": name, "kind": "file", "hex": data.hex()}


def folders(stack: Stack) -> dict[str, list[str]]:
    return json.loads(stack.exec("user_code", "python -", LIST_SCRIPT))


def landed_orders(stack: Stack) -> list[tuple[str, int]]:
    return [tuple(row) for row in json.loads(stack.exec("user_code", "python -", LANDED_SCRIPT))]


def ingest_runs(stack: Stack, statuses: list[str] | None = None) -> list[dict]:
    return stack.graphql(INGEST_RUNS, statuses=statuses)["runsOrError"]["results"]


def start_incoming_sensor(stack: Stack) -> None:
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "sensorName": "incoming_orders_sensor",
    }
    started = stack.graphql(START_SENSOR, selector=selector)["startSensor"]
    assert started.get("sensorState", {}).get("status") == "RUNNING", started


def wait_until_every_file_is_done(stack: Stack, names: set[str], timeout: float) -> dict[str, list[str]]:
    def done():
        listed = folders(stack)
        waiting = names & (set(listed["incoming"]) | set(listed["claimed"]))
        return listed if not waiting and not ingest_runs(stack, IN_PROGRESS) else None

    return wait_for(done, timeout, f"{len(names)} dropped files to be processed or rejected", interval=3)


def assert_each_good_order_landed_once(stack: Stack, good: dict[str, str]) -> None:
    landed = [(source, order_id) for source, order_id in landed_orders(stack) if source in good]
    expected = [(name, int(line.split(",")[0])) for name, text in good.items() for line in text.splitlines()[1:]]
    assert sorted(landed) == sorted(expected)


def test_a_burst_of_good_and_hostile_files_is_all_processed_or_rejected(stack: Stack):
    start_incoming_sensor(stack)
    good = {f"f-good-{n:02d}.csv": good_file(700_000 + 100 * n, 50) for n in range(20)}
    good |= {
        "f-заказы ß.csv": good_file(702_100, 3),
        'f-it\'s "quoted" & `odd`.csv': good_file(702_200, 3),
        "f-..csv": good_file(702_300, 3),
        "f- spaced -rf .csv": good_file(702_400, 3),
    }
    hostile = [
        as_file("f-empty.csv", b""),
        as_file("f-binary.csv", bytes(range(256)) * 4),
        as_file("f-latin1.csv", (HEADER + "702900,1,1,1,1.00,2026-11-01,Müller\n").encode("latin-1")),
        as_file("f-exponent.csv", HEADER + "702901,1,1,1,1E+1000000,2026-11-01\n"),
        as_file("f-overflow.csv", HEADER + "702902,99999999999999999999,1,1,1.00,2026-11-01\n"),
        as_file("f-..\\..\\exports\\user_stats.csv", good_file(702_903, 1)),
        as_file("f-line\nbreak.csv", good_file(702_904, 1)),
        {"name": "f-link.csv", "kind": "link", "target": "/data/storage/f-outside.csv"},
        {"name": "f-x.csv", "kind": "folder"},
    ]
    stack.exec("user_code", "cat > /data/storage/f-outside.csv", good_file(702_905, 1))
    drop(stack, [as_file(name, text) for name, text in good.items()] + hostile)
    hostile_names = {item["name"] for item in hostile}

    listed = wait_until_every_file_is_done(stack, set(good) | hostile_names, timeout=300)

    assert set(good) <= set(listed["processed"])
    assert {f"{name}{suffix}" for name in hostile_names for suffix in ("", ".reason.txt")} <= set(listed["rejected"])
    assert not (set(good) | hostile_names) & set(listed["incoming"] + listed["claimed"])
    assert_each_good_order_landed_once(stack, good)
    assert not [order_id for _, order_id in landed_orders(stack) if 702_900 <= order_id <= 702_905]


THIRD_UID = 4242


def deliver_from_the_host(folder: Path, name: str, text: str, mode: int) -> None:
    """As an SFTP account or another service on this machine would: a hidden name, then a rename."""
    hidden = folder / f".{name}.part"
    hidden.write_text(text)
    hidden.chmod(mode)
    hidden.rename(folder / name)


def deliver_with_docker_cp(stack: Stack, folder: Path, name: str, text: str, source: Path) -> None:
    """`docker compose cp` into the code server's container: the file is root's."""
    source.write_text(text)
    stack.compose("cp", str(source), f"user_code:/data/incoming/.{name}.part")
    (folder / f".{name}.part").rename(folder / name)


def deliver_as_another_uid(stack: Stack, name: str, text: str, umask: str) -> None:
    """`docker compose exec -u`: the file is owned by an account that is neither root nor the pipeline's."""
    hidden = f"/data/incoming/.{name}.part"
    script = f"umask {umask} && cat > {hidden} && mv {hidden} /data/incoming/{name}"
    stack.compose("exec", "-T", "-u", f"{THIRD_UID}:{THIRD_UID}", "user_code", "sh", "-c", script, input=text)


def test_files_of_root_and_of_a_third_uid_are_loaded_when_readable_and_rejected_when_not(
    stack: Stack, incoming_folder: Path, tmp_path: Path
):
    """The drop folder is a folder on the host (BOOKSHOP_INCOMING_PATH), as with a bind-mounted SFTP folder."""
    start_incoming_sensor(stack)
    readable = {f"o-{kind}.csv": good_file(703_000 + 100 * n, 5) for n, kind in enumerate(["cp", "host", "uid"])}
    private = {f"o-{kind}-private.csv": good_file(703_500 + 100 * n, 5) for n, kind in enumerate(["host", "uid"])}

    deliver_with_docker_cp(stack, incoming_folder, "o-cp.csv", readable["o-cp.csv"], tmp_path / "o-cp.csv")
    deliver_from_the_host(incoming_folder, "o-host.csv", readable["o-host.csv"], 0o644)
    deliver_from_the_host(incoming_folder, "o-host-private.csv", private["o-host-private.csv"], 0o600)
    deliver_as_another_uid(stack, "o-uid.csv", readable["o-uid.csv"], "022")
    deliver_as_another_uid(stack, "o-uid-private.csv", private["o-uid-private.csv"], "077")
    owners = {name: (incoming_folder / name).stat().st_uid for name in [*readable, *private]}
    assert owners["o-cp.csv"] == 0
    assert owners["o-uid.csv"] == owners["o-uid-private.csv"] == THIRD_UID
    assert PIPELINE_UID not in owners.values(), owners

    listed = wait_until_every_file_is_done(stack, {*readable, *private}, timeout=300)

    assert set(readable) <= set(listed["processed"])
    assert_each_good_order_landed_once(stack, readable)
    for name in private:
        assert name in listed["rejected"]
        assert "Permission denied" in stack.exec("user_code", f"cat /data/incoming/rejected/{name}.reason.txt")
    assert not [order_id for _, order_id in landed_orders(stack) if order_id >= 703_500]


class LandedFiles:
    """How many files a run has landed so far, counted from the events its log gained since the last look."""

    def __init__(self, stack: Stack, run_id: str) -> None:
        self.stack, self.run_id = stack, run_id
        self.cursor: str | None = None
        self.count = 0

    def look(self) -> int:
        log = self.stack.graphql(RUN_MESSAGES, runId=self.run_id, cursor=self.cursor)["logsForRun"]
        self.cursor = log["cursor"]
        self.count += sum(event.get("message", "").startswith("Landed ") for event in log["events"])
        return self.count


def kill_the_next_ingest_run(stack: Stack, known: set[str], landed_before_kill: int) -> None:
    """Kill -9 the process of the first ingest run not in `known` once it has landed that many files."""
    [run] = wait_for(
        lambda: [r for r in ingest_runs(stack, ["STARTED"]) if r["runId"] not in known],
        300,
        f"an ingest run to start (to kill it after {landed_before_kill} file(s) landed)",
        interval=0.2,
    )
    landed = LandedFiles(stack, run["runId"])
    wait_for(
        lambda: landed.look() >= landed_before_kill,
        120,
        f"{landed_before_kill} file(s) landed by run {run['runId']}",
        interval=0.2,
    )
    kill_container_process(next(tag["value"] for tag in run["tags"] if tag["key"] == "docker/container_id"))


def test_killing_an_ingest_run_at_any_point_loses_and_duplicates_no_order(stack: Stack):
    start_incoming_sensor(stack)
    # Each point is how many files the run has landed when its process is killed: none (it is
    # still starting or claiming), the first, most of the batch.
    for round_number, landed_before_kill in enumerate([0, 1, 8]):
        first_id = 800_000 + round_number * 1_000_000
        good = {f"b{round_number}-{n:02d}.csv": good_file(first_id + n * 40_000, 15_000) for n in range(12)}
        bad = f"b{round_number}-bad.csv"
        known = {run["runId"] for run in ingest_runs(stack)}
        drop(stack, [as_file(name, text) for name, text in good.items()] + [as_file(bad, HEADER + "1,2,3,x,1,2\n")])

        kill_the_next_ingest_run(stack, known, landed_before_kill)
        listed = wait_until_every_file_is_done(stack, {*good, bad}, timeout=420)

        assert set(good) <= set(listed["processed"]), round_number
        assert bad in listed["rejected"], round_number
        assert_each_good_order_landed_once(stack, good)
