"""Failure alerts still owed to the webhook, kept in the alert sensor's cursor.

Dagster stores a sensor's cursor in the instance (Postgres) when a tick completes, so what is
owed survives a restart of the daemon or the code server: the last failure seen, and for each
run id how many POSTs failed and when the next one is due.
"""

import json
from dataclasses import dataclass, field


@dataclass
class AlertQueue:
    after_storage_id: int | None = None  # the last run failure seen; None before the first tick
    attempts: dict[str, int] = field(default_factory=dict)  # run id -> failed POSTs so far
    due: dict[str, float] = field(default_factory=dict)  # run id -> when to POST next (epoch seconds)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> "AlertQueue":
        if not cursor:
            return cls()
        state = json.loads(cursor)
        owed = state["owed"]
        return cls(
            after_storage_id=state["after_storage_id"],
            attempts={run_id: attempts for run_id, (attempts, _) in owed.items()},
            due={run_id: due for run_id, (_, due) in owed.items()},
        )

    def to_cursor(self) -> str:
        owed = {run_id: [self.attempts[run_id], self.due[run_id]] for run_id in self.due}
        return json.dumps({"after_storage_id": self.after_storage_id, "owed": owed}, sort_keys=True)

    def add(self, run_id: str, due: float) -> None:
        self.attempts[run_id] = 0
        self.due[run_id] = due

    def ready(self, now: float, limit: int) -> list[str]:
        """The run ids whose POST is due, longest waiting first, at most `limit`."""
        return sorted((run_id for run_id, due in self.due.items() if due <= now), key=self.due.__getitem__)[:limit]

    def retry(self, run_id: str, due: float) -> None:
        """One more failed POST; the next one is due at `due`."""
        self.attempts[run_id] += 1
        self.due[run_id] = due

    def remove(self, run_id: str) -> None:
        """Delivered, or given up on."""
        del self.attempts[run_id], self.due[run_id]
