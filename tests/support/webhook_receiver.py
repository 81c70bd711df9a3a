"""A webhook receiver that records every JSON POST it gets and answers `status`.

The unit tests start it on loopback; the test stack runs this file as its `webhook_receiver`
service (compose.test.yml), which writes each body as one line of a file the tests read.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Receiver:
    url: str = ""
    status: int = 204  # what the next POST is answered; set it to make the webhook fail
    received: list[dict] = field(default_factory=list)  # every JSON body, whatever the answer
    keys: list[str | None] = field(default_factory=list)  # each POST's Idempotency-Key header
    accepted: list[dict] = field(default_factory=list)  # the bodies answered 2xx


@contextmanager
def webhook_receiver(host: str = "127.0.0.1", port: int = 0, log: Path | None = None) -> Iterator[Receiver]:
    """Serves until the block ends; with `log`, each JSON body is also appended to it as a line."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            status = receiver.status
            receiver.received.append(body)
            receiver.keys.append(self.headers.get("Idempotency-Key"))
            if log is not None:
                with log.open("a") as lines:
                    lines.write(json.dumps(body) + "\n")
            if 200 <= status < 300:
                receiver.accepted.append(body)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    receiver.url = f"http://{host}:{server.server_port}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    with webhook_receiver("0.0.0.0", 8080, log=Path("/tmp/alerts.jsonl")):
        threading.Event().wait()
