"""What the attacks aim at: a schedule an attacker would turn on, read back through the operator entry."""

from support.stack import LOCATION, REPOSITORY, REPOSITORY_SELECTOR, Stack

TARGET_SCHEDULE = "weekend_processing"
SCHEDULE_SELECTOR = {**REPOSITORY_SELECTOR, "scheduleName": TARGET_SCHEDULE}
# The same mutation with its selector written out, as an attacker puts it in a URL or a form.
START_SCHEDULE_INLINE = (
    "mutation { startSchedule(scheduleSelector: {"
    f'repositoryLocationName: "{LOCATION}", repositoryName: "{REPOSITORY}", scheduleName: "{TARGET_SCHEDULE}"'
    "}) { __typename } }"
)
SCHEDULE_STATUS = """
query($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) { ... on Schedule { scheduleState { status } } }
}
"""


def target_status(stack: Stack) -> str:
    return stack.graphql(SCHEDULE_STATUS, selector=SCHEDULE_SELECTOR)["scheduleOrError"]["scheduleState"]["status"]
