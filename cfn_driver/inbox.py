"""The local HTTP server behind every presigned URL the driver hands out.

CloudFormation gives a custom resource a presigned S3 ResponseURL and a
WaitConditionHandle a presigned URL for signals (AWS CloudFormation User
Guide, "Custom resource request objects" and "Create wait conditions in a
CloudFormation template"). Both are plain HTTP PUTs of JSON here.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Inbox:
    host: str = "127.0.0.1"
    responses: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))
    signals: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    # Statuses to answer before the normal 200, to model S3 refusing a PUT (a fault row).
    refusals: list[int] = field(default_factory=list)
    # The same for the PUTs to one URL only, by the URL as CloudFormation handed it out.
    refusals_for: dict[str, list[int]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> Inbox:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with inbox._lock:
                    kind, _, token = self.path.split("?")[0].strip("/").partition("/")
                    queue = inbox.refusals_for.get(inbox._url_key(kind, token)) or inbox.refusals
                    status = queue.pop(0) if queue else 200
                    if status == 200:
                        if kind == "response":
                            inbox.responses[token].append(body)
                        else:
                            inbox.signals[token].append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _url(self, kind: str, token: str) -> str:
        assert self._server is not None, "start() the inbox first"
        signature = secrets.token_hex(8)
        return f"http://{self.host}:{self._server.server_port}/{kind}/{token}?X-Amz-Signature={signature}"

    @staticmethod
    def _url_key(kind: str, token: str) -> str:
        return f"{kind}/{token}"

    def refuse(self, url: str, *statuses: int) -> None:
        """Answer the next PUTs to `url` (a response URL or a wait condition handle) with these statuses."""
        kind, _, token = url.split("?")[0].split("/", 3)[-1].partition("/")
        with self._lock:
            self.refusals_for.setdefault(self._url_key(kind, token), []).extend(statuses)

    def response_url(self, request_id: str) -> str:
        return self._url("response", request_id)

    def handle_url(self, token: str) -> str:
        return self._url("signal", token)

    def take_response(self, request_id: str) -> bytes | None:
        """The first answer CloudFormation received for a request; later ones are ignored, as CloudFormation does."""
        with self._lock:
            got = self.responses.get(request_id)
            return got[0] if got else None
