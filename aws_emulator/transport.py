"""Two ways an unmodified boto3 reaches the backends: in-process (a botocore event hook) or over HTTP.

Both speak the AWS JSON protocol: POST /, the operation in `X-Amz-Target`
(`WorkspacesService.<Operation>`, `AWSEvents.<Operation>`, `DynamoDB_20120810.<Operation>`,
`CodePipeline_20150709.<Operation>`),
JSON bodies; errors are HTTP 400 with `{"__type": code, "message": ...}`, as AWS JSON
services answer them, so botocore's parsing and retry logic (throttling included) run
exactly as against AWS. WorkSpaces, EventBridge and CodePipeline speak version 1.1
(`application/x-amz-json-1.1`), DynamoDB 1.0 (`application/x-amz-json-1.0`); the two differ
only in that Content-Type, which each answer carries as its service's model says. DynamoDB's
answers also carry `x-amz-crc32`, which botocore checks.
botocore 1.44 resolves WorkSpaces and CodePipeline (model protocols smithy-rpc-v2-cbor and json) to json;
a CBOR request is refused with a clear error rather than misread.

CloudFormation speaks the AWS query protocol instead (aws_emulator.query): a form-encoded POST with no X-Amz-Target,
routed by the service name of the signature's credential scope (`.../<region>/cloudformation/aws4_request`; an
unsigned request by its Action), answered in XML.

Both pass the backend the access key id the request is signed with (its SigV4 Authorization
header), so a backend whose `access` is set checks the caller's policies (aws_emulator.access).
Both also route by the Region of the signature's credential scope
(`Credential=<key id>/<date>/<region>/<service>/aws4_request`,
https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html): one endpoint serves every Region,
as a client pointed at it with AWS_ENDPOINT_URL_<SERVICE> reaches it whatever its region_name, and
`Backend.in_region` picks the backend of that Region (a single-Region service answers for every Region).

Every answer carries a `Date` header, as AWS's do (HTTP/1.1 requires one of an origin server with a clock, RFC 9110
section 6.6.1), from the backends' virtual clock rather than the machine's: a client that takes "now" from the
service (the status command does) then sees the emulated time.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from aws_emulator import query
from aws_emulator.access import access_key_of
from aws_emulator.service import Backend, ServiceError

log = logging.getLogger(__name__)

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/")

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


def endpoint_variable(backend: Backend) -> str:
    """The AWS_ENDPOINT_URL_<SERVICE> variable botocore reads for the backend's service: derived from the service id
    (botocore.configprovider: spaces to underscores, upper case): "WorkSpaces" -> WORKSPACES, "EventBridge" ->
    EVENTBRIDGE (not EVENTS), "DynamoDB" -> DYNAMODB, "CodePipeline" -> CODEPIPELINE, "CloudFormation" ->
    CLOUDFORMATION."""
    return "AWS_ENDPOINT_URL_" + str(backend.model.service_id).replace(" ", "_").upper()


def region_of(authorization: str | None) -> str:
    """The Region of a SigV4 Authorization header's credential scope; "" when the request is not signed."""
    match = _SCOPE.search(authorization or "")
    return match.group(1) if match else ""


def service_of(authorization: str | None) -> str:
    """The service name of a SigV4 Authorization header's credential scope; "" when the request is not signed."""
    match = _SCOPE.search(authorization or "")
    return match.group(2) if match else ""


def dispatch(
    backends: Mapping[str, Backend],
    target: str,
    body: bytes,
    content_type: str = "",
    caller: str | None = None,
    region: str = "",
) -> tuple[int, bytes]:
    """Run one AWS JSON request; the HTTP status and JSON body of the answer. `caller`: the access key id the
    request was signed with ("" unsigned), None for a request not subject to the backends' access control.
    `region`: the Region it was signed for; "" (unsigned) is the backend's own Region."""
    prefix, _, operation = target.partition(".")
    backend = backends.get(prefix)
    if backend is not None and region:
        backend = backend.in_region(region)
    try:
        if "cbor" in content_type:
            raise ServiceError("UnsupportedProtocolException", "The emulator speaks AWS JSON, not CBOR.")
        if backend is None or not operation:
            raise ServiceError("UnknownOperationException", f"No emulated service answers X-Amz-Target {target!r}.")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            raise ServiceError("SerializationException", "The request body is not JSON.") from None
        if not isinstance(params, dict):
            raise ServiceError("SerializationException", "The request body is not a JSON object.")
        answer = backend.handle(operation, params, caller=caller)
    except ServiceError as error:
        return error.status, json.dumps(error.body()).encode()
    return 200, json.dumps(answer, default=str).encode()


def dispatch_query(
    backends: Mapping[str, Backend], body: bytes, caller: str | None = None, region: str = "", service: str = ""
) -> tuple[int, bytes, str]:
    """Run one AWS query request; the HTTP status, XML body and request id of the answer. `backends` by the service
    name requests are signed for; `service`, the one this request is signed for ("": unsigned, found by its
    Action); `caller` and `region` as for `dispatch`."""
    request_id = str(uuid.uuid4())
    fields = query.form_fields(body)
    operation = fields.get("Action", "")
    backend = backends.get(service) if service else None
    if backend is None and not service:
        backend = next((b for b in backends.values() if operation in b.model.operation_names), None)
    if backend is not None and region:
        backend = backend.in_region(region)
    namespace = str(backend.model.metadata.get("xmlNamespace", "")) if backend is not None else ""
    try:
        if backend is None or operation not in backend.model.operation_names:
            # The common errors of the query APIs: an action the service does not have is InvalidAction (400).
            raise ServiceError("InvalidAction", f"The action {operation or '(none)'} is not valid for this endpoint.")
        model = backend.model.operation_model(operation)
        answer = backend.handle(operation, query.read_params(fields, model.input_shape), caller=caller)
        return 200, query.result_xml(model, answer, request_id), request_id
    except ServiceError as error:
        return error.status, query.error_xml(error.code, error.message, error.status, request_id, namespace), request_id


def query_headers(body: bytes, request_id: str) -> dict[str, str]:
    return {"Content-Type": query.CONTENT_TYPE, "Content-Length": str(len(body)), "x-amzn-RequestId": request_id}


def response_headers(backends: Mapping[str, Backend], target: str, body: bytes) -> dict[str, str]:
    """The headers of an answer to `target`: its service's AWS JSON Content-Type (1.1 for a target no
    backend answers), and x-amz-crc32 where the service sends it."""
    backend = backends.get(target.partition(".")[0])
    headers = {
        "Content-Type": backend.content_type if backend is not None else JSON_CONTENT_TYPE,
        "Content-Length": str(len(body)),
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    if backend is not None and backend.crc32_header:
        headers["x-amz-crc32"] = str(zlib.crc32(body) & 0xFFFFFFFF)
    return headers


def http_date(backends: Iterable[Backend]) -> str:
    """The Date header of an answer: the time on the backends' clock (one LocalCloud's backends share one), in
    RFC 9110's IMF-fixdate form."""
    clock = next(iter(backends), None)
    return formatdate(clock.now() if clock is not None else None, usegmt=True)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return "" if value is None else str(value)


def _bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    read = getattr(body, "read", None)
    if read is None:
        raise TypeError(f"cannot read a request body of type {type(body).__name__}")
    data = read()
    return data.encode() if isinstance(data, str) else bytes(data)


class _Body:
    """The `raw` AWSResponse reads its content from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def attach(client: Any, *backends: Backend) -> Callable[[], None]:
    """Answer every request of a boto3/botocore `client` from the backend of its service.

    Registers a `before-send` handler, so serialization, parsing and retries stay
    botocore's own. Returns a function that detaches the handler. An emulator bug
    (a response that breaks the model) raises in the caller instead of being retried.
    """
    model = client.meta.service_model
    speaks_query = model.metadata.get("protocol") == "query"
    key = model.signing_name if speaks_query else model.metadata["targetPrefix"]
    mine = {(b.model.signing_name if speaks_query else b.target_prefix): b for b in backends}
    if key not in mine:
        raise ValueError(f"no backend for {key} among {sorted(mine)}")
    event = f"before-send.{model.service_id.hyphenize()}"

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        data = _bytes(request.body)
        authorization = _text(request.headers.get("Authorization"))
        caller, region = access_key_of(authorization), region_of(authorization)
        if speaks_query:
            status, payload, request_id = dispatch_query(mine, data, caller, region, service_of(authorization))
            sent = query_headers(payload, request_id)
        else:
            target = _text(request.headers.get("X-Amz-Target"))
            content_type = _text(request.headers.get("Content-Type"))
            status, payload = dispatch(mine, target, data, content_type, caller, region)
            sent = response_headers(mine, target, payload)
        sent["Date"] = http_date(backends)
        headers = HTTPHeaders()
        for name, value in sent.items():
            headers[name] = value
        return AWSResponse(request.url, status, headers, _Body(payload))

    client.meta.events.register(event, answer)

    def detach() -> None:
        client.meta.events.unregister(event, answer)

    return detach


class EmulatorServer:
    """A ThreadingHTTPServer on loopback that answers for the given backends.

    Point boto3 at it with `environ()` (AWS_ENDPOINT_URL_WORKSPACES, AWS_ENDPOINT_URL_EVENTBRIDGE,
    AWS_ENDPOINT_URL_DYNAMODB, ... = `url`, for the backends it serves) or `endpoint_url=server.url`.
    `backends` are the AWS JSON ones by target prefix, `query_backends` the AWS query ones by signing name; `add`
    serves one more while it runs.
    """

    def __init__(self, backends: Iterable[Backend], host: str = "127.0.0.1", port: int = 0) -> None:
        self.backends: dict[str, Backend] = {}
        self.query_backends: dict[str, Backend] = {}
        for backend in backends:
            self.add(backend)
        # Emulator bugs seen while answering (answered 500): tests can assert there are none.
        self.failures: list[str] = []
        self.host = host
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add(self, backend: Backend) -> None:
        if backend.protocol == "query":
            self.query_backends[backend.model.signing_name] = backend
        else:
            self.backends[backend.target_prefix] = backend

    def environ(self) -> dict[str, str]:
        return {endpoint_variable(b): self.url for b in [*self.backends.values(), *self.query_backends.values()]}

    def start(self) -> EmulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name="emulator-http", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes on a kept-alive connection: with Nagle's algorithm the
            # body waits for the client's delayed ACK of the headers, about 40 ms a call on Linux, 20 times the call.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                target = self.headers.get("X-Amz-Target", "")
                authorization = self.headers.get("Authorization")
                caller, region = access_key_of(authorization), region_of(authorization)
                # An AWS JSON request names its operation in X-Amz-Target; a query request has none.
                form = "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "")
                speaks_query = not target and bool(server.query_backends) and form
                try:
                    if speaks_query:
                        service = service_of(authorization)
                        status, payload, request_id = dispatch_query(
                            server.query_backends, body, caller, region, service
                        )
                        headers = query_headers(payload, request_id)
                    else:
                        status, payload = dispatch(
                            server.backends, target, body, self.headers.get("Content-Type", ""), caller, region
                        )
                        headers = response_headers(server.backends, target, payload)
                except Exception as bug:  # an emulator bug must not kill the server thread
                    server.failures.append(f"{target or 'query'}: {bug!r}")
                    log.exception("emulator failed on %s", target or "a query request")
                    status, payload = 500, json.dumps({"__type": "InternalFailure", "message": repr(bug)}).encode()
                    headers = response_headers(server.backends, target, payload)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def date_time_string(self, timestamp: float | None = None) -> str:
                # send_response sends the Date header with this: the emulated time, not the machine's.
                if timestamp is not None:
                    return super().date_time_string(timestamp)
                return http_date([*server.backends.values(), *server.query_backends.values()])

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s " + format, self.address_string(), *args)

        return Handler


def serve(backends: Iterable[Backend], host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Start an HTTP server for `backends` (port 0: any free port) and return it, running.

    Use it as a context manager or call `stop()`.
    """
    return EmulatorServer(backends, host, port).start()
