"""A webhook receiver on loopback that records every JSON POST it gets and answers `status`."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    url: str = ""
    status: int = 204  # what the next POST is answered; set it to make the webhook fail
    received: list[dict] = field(default_factory=list)  # every JSON body, whatever the answer
    keys: list[str | None] = field(default_factory=list)  # each POST's Idempotency-Key header
    accepted: list[dict] = field(default_factory=list)  # the bodies answered 2xx


@contextmanager
def webhook_receiver(host: str = "127.0.0.1") -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            status = receiver.status
            receiver.received.append(body)
            receiver.keys.append(self.headers.get("Idempotency-Key"))
            if 200 <= status < 300:
                receiver.accepted.append(body)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    receiver.url = f"http://{host}:{server.server_port}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
