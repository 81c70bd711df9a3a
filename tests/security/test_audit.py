"""The record of who did what: every change through the UI or the API, with when, who, where,
what, on what and how it ended; kept in Postgres (so across restarts, and in every backup: see
tests/operations), readable in the browser behind the login and by one command, and append-only."""

from playwright.sync_api import Browser, expect

from security.conftest import People
from support.accounts import audit_records, session_cookie, token_client
from support.browser import screenshot
from support.stack import REPOSITORY, REPOSITORY_SELECTOR, START_SCHEDULE, STOP_SCHEDULE, TERMINATE_RUN, Stack, wait_for

DAILY = {**REPOSITORY_SELECTOR, "scheduleName": "daily_refresh_schedule"}
RUN_TAGS = "query($runId: ID!) { runOrError(runId: $runId) { ... on Run { tags { key value } } } }"


def test_audit_says_who_stopped_the_daily_refresh_and_who_launched_a_run_after_a_restart(
    stack: Stack, browser: Browser, people: People
):
    stopper = people.bookshop_operator.name
    client = token_client(stack, people.bookshop_operator.token)
    state = client._execute(START_SCHEDULE, {"selector": DAILY})["startSchedule"]["scheduleState"]
    assert (
        client._execute(STOP_SCHEDULE, {"id": state["id"]})["stopRunningSchedule"]["scheduleState"]["status"]
        == "STOPPED"
    )
    launcher = people.warehouse_operator.name
    run_id = token_client(stack, people.warehouse_operator.token).submit_job_execution(
        "stock_count_job", repository_location_name="warehouse", repository_name=REPOSITORY
    )
    stack.graphql(TERMINATE_RUN, runId=run_id)
    tags = stack.graphql(RUN_TAGS, runId=run_id)["runOrError"]["tags"]
    assert {"key": "bookshop/launched_by", "value": launcher} in tags

    stack.compose("restart", "login")
    wait_for(lambda: stack.http(stack.webserver_port, "/server_info").status == 200, 120, "the login service back")

    [stopped, *_] = audit_records(stack, "--action", "stop schedule", "--person", stopper)
    assert stopped[1:8] == [
        stopper,
        "token",
        "bookshop",
        "stop schedule",
        "daily_refresh_schedule",
        "ok",
        "ScheduleStateResult",
    ]
    [launched] = [entry for entry in audit_records(stack, "--action", "launch run") if run_id in entry[7]]
    assert launched[1:7] == [launcher, "token", "warehouse", "launch run", "stock_count_job", "ok"]

    # An ops person in the browser: the read-only entry, the record filtered by person.
    viewer = people.viewer.credentials
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US", timezone_id="UTC")
    try:
        cookie = session_cookie(stack, stack.readonly_port, viewer)["Cookie"].split("=", 1)
        context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": f"http://127.0.0.1:{stack.readonly_port}"}])
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{stack.readonly_port}/audit")
        page.get_by_label("Person").fill(stopper)
        page.get_by_role("button", name="Filter").click()
        newest, before = page.locator("tbody tr").nth(0), page.locator("tbody tr").nth(1)
        for row, action in ((newest, "stop schedule"), (before, "start schedule")):
            expect(row).to_contain_text(action)
            expect(row).to_contain_text("daily_refresh_schedule")
        page.goto(f"http://127.0.0.1:{stack.readonly_port}/audit")
        screenshot(page, "audit-record")
    finally:
        context.close()


def test_audit_record_is_append_only_even_for_the_database_account_of_dagster(stack: Stack):
    for statement in ("UPDATE bookshop_access.audit SET person = 'someone else'", "DELETE FROM bookshop_access.audit",
                      "TRUNCATE bookshop_access.audit"):  # fmt: skip
        refused = stack.compose(
            "exec", "-T", "postgres", "psql", "-U", stack.env.get("DAGSTER_POSTGRES_USER", "dagster"), "-d", "dagster",
            "-v", "ON_ERROR_STOP=1", "-c", statement, check=False,
        )  # fmt: skip
        assert refused.returncode != 0 and "the audit record is append-only" in refused.stderr, statement
    assert audit_records(stack, "--limit", "1"), "the record is still there"


def test_audit_records_sign_ins_refused_and_made(stack: Stack, people: People):
    name, password = people.viewer.credentials
    form = f"name={name}&password=wrong".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (
        stack.http(stack.readonly_port, "/login", method="POST", body=form, headers=headers, signed_in=False).status
        == 401
    )
    session_cookie(stack, stack.readonly_port, (name, password))
    made = audit_records(stack, "--person", name, "--action", "sign in")
    assert [entry[6] for entry in made[:2]] == ["ok", "refused"]
