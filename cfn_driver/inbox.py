"""The local HTTP server behind every presigned URL the driver hands out.

CloudFormation gives a custom resource a presigned S3 ResponseURL and a WaitConditionHandle a presigned URL for
signals (AWS CloudFormation User Guide, "Custom resource request objects" and "Create wait conditions in a
CloudFormation template"). Both are plain HTTP PUTs of JSON here.

The URLs are on CloudFormation's own buckets, as "Access CloudFormation using an interface endpoint"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/vpc-interface-endpoints.html) names them: custom
resource responses go to `cloudformation-custom-resource-response-<region without dashes>`, wait condition signals
to `cloudformation-waitcondition-<region>`, each in its Region; the Lambda Developer Guide's example ResponseURL is
virtual-hosted style, `https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/...`.
The query is a SigV4 presigned one (X-Amz-Algorithm ... X-Amz-Signature). Only the path is the inbox's own
(`/response/<request id>`, `/signal/<handle token>`), to route a PUT. Nothing resolves those hosts here: a function
reaches the inbox through AWS_ENDPOINT_URL_S3 (`endpoint`), sending the PUT there with the URL's path, query and Host.

A PUT to a URL the inbox never issued (another host, path or signature) is answered 403 SignatureDoesNotMatch, as S3
answers a presigned URL whose signature is not its own (Amazon S3 API Reference, "Error responses"), and kept in
`forged`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESPONSE, SIGNAL = "response", "signal"
# How long CloudFormation's presigned URLs are valid is undocumented; two hours, as seen in ResponseURLs.
EXPIRES_SECONDS = 7200
SIGNATURE_DOES_NOT_MATCH = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request '
    b"signature we calculated does not match the signature you provided. Check your key and signing method."
    b"</Message></Error>"
)


@dataclass
class Inbox:
    region: str = "eu-west-1"
    host: str = "127.0.0.1"
    # The time the URLs are signed at (the driver's virtual clock).
    now: Callable[[], float] = time.time
    responses: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))
    signals: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    # Statuses to answer before the normal 200, to model S3 refusing a PUT (a fault row).
    refusals: list[int] = field(default_factory=list)
    # The same for the PUTs to one URL only, by the URL as CloudFormation handed it out.
    refusals_for: dict[str, list[int]] = field(default_factory=dict)
    # Every PUT answered 403 because no URL the inbox issued has its host, path and signature: (Host, path).
    forged: list[tuple[str, str]] = field(default_factory=list)
    # "<kind>/<token>" -> (the bucket's host, the signature) of each URL issued.
    _issued: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> Inbox:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                key = parts.path.strip("/")
                kind, _, token = key.partition("/")
                signature = parse_qs(parts.query).get("X-Amz-Signature", [""])[0]
                with inbox._lock:
                    if inbox._issued.get(key) != (self.headers.get("Host", ""), signature):
                        inbox.forged.append((self.headers.get("Host", ""), parts.path))
                        status, answer = 403, SIGNATURE_DOES_NOT_MATCH
                    else:
                        queue = inbox.refusals_for.get(key) or inbox.refusals
                        status, answer = (queue.pop(0) if queue else 200), b""
                    if status == 200:
                        if kind == RESPONSE:
                            inbox.responses[token].append(body)
                        else:
                            inbox.signals[token].append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def endpoint(self) -> str:
        """Where the PUTs really go: the value of AWS_ENDPOINT_URL_S3 for the functions the driver hosts."""
        assert self._server is not None, "start() the inbox first"
        return f"http://{self.host}:{self._server.server_port}"

    def bucket_host(self, kind: str) -> str:
        """The virtual-hosted-style host of CloudFormation's bucket for `kind` in the inbox's Region."""
        bucket = (
            f"cloudformation-custom-resource-response-{self.region.replace('-', '')}"
            if kind == RESPONSE
            else f"cloudformation-waitcondition-{self.region}"
        )
        suffix = "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com"
        return f"{bucket}.s3.{self.region}.{suffix}"

    def _url(self, kind: str, token: str, *, issue: bool = True) -> str:
        host, signature = self.bucket_host(kind), secrets.token_hex(32)
        if issue:
            with self._lock:
                self._issued[f"{kind}/{token}"] = (host, signature)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.now()))
        query = (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}&X-Amz-SignedHeaders=host"
            f"&X-Amz-Expires={EXPIRES_SECONDS}&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F{stamp[:8]}%2F{self.region}"
            f"%2Fs3%2Faws4_request&X-Amz-Signature={signature}"
        )
        return f"https://{host}/{kind}/{token}?{query}"

    def refuse(self, url: str, *statuses: int) -> None:
        """Answer the next PUTs to `url` (a response URL or a wait condition handle) with these statuses."""
        with self._lock:
            self.refusals_for.setdefault(urlsplit(url).path.strip("/"), []).extend(statuses)

    def response_url(self, request_id: str) -> str:
        return self._url(RESPONSE, request_id)

    def handle_url(self, token: str) -> str:
        return self._url(SIGNAL, token)

    def unissued_url(self, kind: str = RESPONSE) -> str:
        """A URL that looks like CloudFormation's (its bucket, a presigned query) but that the inbox never issued:
        what someone forging a request can write; a PUT to it is answered 403."""
        return self._url(kind, secrets.token_hex(16), issue=False)

    def take_response(self, request_id: str) -> bytes | None:
        """The first answer CloudFormation received for a request; later ones are ignored, as CloudFormation does."""
        with self._lock:
            got = self.responses.get(request_id)
            return got[0] if got else None
