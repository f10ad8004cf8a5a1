"""What every emulated service shares: model-driven validation, faults, a call log, pagination, a lock.

Requests and responses are the JSON documents of the AWS JSON protocol (1.0 or 1.1, as the
model's jsonVersion says), checked against botocore's service model (the same data the SDKs
are generated from).
"""

from __future__ import annotations

import base64
import copy
import datetime
import functools
import hashlib
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import botocore.session
from botocore import xform_name
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StringShape, StructureShape

from aws_emulator.clock import VirtualClock
from aws_emulator.iam import PolicyDocument, RequestContext

if TYPE_CHECKING:
    from aws_emulator.access import AccessControl

Clock = Callable[[], float]
Params = dict[str, Any]
T = TypeVar("T")


class ServiceError(Exception):
    """An error the service answers with: AWS JSON puts `__type` and `message` in the body."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message, **self.fields}


@dataclass(frozen=True)
class Call:
    """One request as the backend saw it, and the error code it answered (None: success).

    `caller` is the access key id it was signed with, for a request through a credentialed front door (the HTTP
    server, the in-process hook); None for a call straight through `Backend.handle`.
    """

    operation: str
    params: Params
    at: float
    error: str | None = None
    caller: str | None = None


@dataclass
class Fault:
    operation: str
    code: str
    message: str
    status: int
    remaining: int


@functools.cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


class ShapeChecker:
    """Checks a document against a botocore shape, with the constraints botocore's own validator skips.

    botocore's ParamValidator checks types, required members and minimum lengths; the
    service also enforces maximum lengths, patterns and enums (each is in the model's
    metadata). Messages follow the "1 validation error detected: Value ... at ... failed
    to satisfy constraint: ..." wording of AWS's JSON services.
    """

    def __init__(self, strict_members: bool) -> None:
        # Requests: unknown members are ignored (botocore never sends any; a service
        # tolerating them is the protocol's forward-compatibility rule). Responses: an
        # unknown member is our bug, so it is reported.
        self.strict_members = strict_members

    def problems(self, value: Any, shape: Shape, path: str = "") -> list[str]:
        found: list[str] = []
        self._check(value, shape, path, found)
        return found

    def _check(self, value: Any, shape: Shape, path: str, found: list[str]) -> None:
        where = path or "input"
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            if not isinstance(value, Mapping):
                found.append(
                    f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a structure"
                )
                return
            for name in shape.required_members:
                if value.get(name) is None:
                    sub = f"{path}.{_lower_first(name)}" if path else _lower_first(name)
                    found.append(f"Value null at '{sub}' failed to satisfy constraint: Member must not be null")
            for name, member_value in value.items():
                if name not in shape.members:
                    if self.strict_members:
                        found.append(f"Member '{name}' at '{where}' is not in shape {shape.name}")
                    continue
                if member_value is None:
                    continue
                sub = f"{path}.{_lower_first(name)}" if path else _lower_first(name)
                self._check(member_value, shape.members[name], sub, found)
        elif kind == "list":
            assert isinstance(shape, ListShape)
            if not isinstance(value, list | tuple):
                found.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a list")
                return
            self._length(len(value), shape, value, where, found)
            for index, item in enumerate(value, start=1):
                self._check(item, shape.member, f"{where}.{index}.member", found)
        elif kind == "map":
            assert isinstance(shape, MapShape)
            if not isinstance(value, Mapping):
                found.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a map")
                return
            self._length(len(value), shape, value, where, found)
            for key, item in value.items():
                self._check(key, shape.key, f"{where}.key", found)
                self._check(item, shape.value, f"{where}.{key}", found)
        elif kind == "string":
            self._string(value, shape, where, found)
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                found.append(
                    f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be an integer"
                )
                return
            low, high = shape.metadata.get("min"), shape.metadata.get("max")
            if low is not None and value < low:
                found.append(
                    f"Value '{value}' at '{where}' failed to satisfy constraint: "
                    f"Member must have value greater than or equal to {low}"
                )
            if high is not None and value > high:
                found.append(
                    f"Value '{value}' at '{where}' failed to satisfy constraint: "
                    f"Member must have value less than or equal to {high}"
                )
        elif kind == "boolean":
            if not isinstance(value, bool):
                found.append(
                    f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a boolean"
                )
        elif kind in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                found.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a number")
        elif kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, int | float | str | datetime.datetime):
                found.append(
                    f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a timestamp"
                )
        elif kind == "blob" and not isinstance(value, str | bytes | bytearray):
            found.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a blob")

    @staticmethod
    def _length(size: int, shape: Shape, value: Any, where: str, found: list[str]) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and size < low:
            found.append(
                f"Value {_show(value)} at '{where}' failed to satisfy constraint: "
                f"Member must have length greater than or equal to {low}"
            )
        if high is not None and size > high:
            found.append(
                f"Value {_show(value)} at '{where}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {high}"
            )

    def _string(self, value: Any, shape: Shape, where: str, found: list[str]) -> None:
        if not isinstance(value, str):
            found.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a string")
            return
        self._length(len(value), shape, value, where, found)
        enum = shape.enum if isinstance(shape, StringShape) else []
        if enum and value not in enum:
            found.append(
                f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
        pattern = shape.metadata.get("pattern")
        # Smithy leaves patterns unanchored; the whole value must match here, which is
        # stricter, and equal for the anchored WorkSpaces patterns (^...$).
        if pattern and not _compiled(pattern).fullmatch(value):
            found.append(
                f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def validation_message(problems: Sequence[str]) -> str:
    count = len(problems)
    return f"{count} validation error{'s' if count != 1 else ''} detected: " + "; ".join(problems)


class Backend:
    """Base of the emulated services: one account, one Region, one lock, a virtual clock.

    `handle(operation, params, caller=...)` is the single entry point both transports use.
    It logs the call, recognises the caller (when `access` is set and the request came
    with credentials), answers an injected fault if one is queued, validates the request
    against the model, checks that the caller's identity-based policies, with the
    resource-based policy of the resource each names (`resource_policy`), allow every
    request context the operation authorizes (`request_contexts`), runs the operation (a
    method named like botocore's snake_case operation name with a leading underscore)
    and checks the response against the output shape.

    Whether AWS authorizes before or after it validates a request's members is
    undocumented; here after, since the resources it authorizes are named by them.
    """

    service_name: ClassVar[str]
    target_prefix: ClassVar[str]
    # The service prefix of its IAM actions (Service Authorization Reference).
    iam_prefix: ClassVar[str]
    # The code a request failing model validation gets; each subclass says where it comes from.
    validation_error_code: ClassVar[str] = "ValidationException"
    # Whether answers carry an x-amz-crc32 header of their body (DynamoDB's do).
    crc32_header: ClassVar[bool] = False
    # The code and HTTP status this service answers instead of the AWS JSON services' words for a caller refused at
    # the front door (aws_emulator.access raises AccessDeniedException, UnrecognizedClientException): the query
    # services have their own (see the subclass that sets it).
    front_door_errors: ClassVar[Mapping[str, tuple[str, int]]] = {}

    def __init__(
        self,
        clock: Clock | None = None,
        account_id: str = "123456789012",
        region: str = "eu-west-1",
        check_responses: bool = True,
    ) -> None:
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.account_id = account_id
        self.region = region
        self.check_responses = check_responses
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        # Who may call: set by whoever serves the backend to credentialed callers (LocalCloud); None checks nobody.
        self.access: AccessControl | None = None
        # The access key id of the request being answered (None: straight through `handle`), for an operation that
        # records who did something (EventBridge's put events); read under the lock, during the operation only.
        self.caller: str | None = None
        self._faults: dict[str, deque[Fault]] = {}
        self.model = service_model(self.service_name)
        self._requests = ShapeChecker(strict_members=False)
        self._responses = ShapeChecker(strict_members=True)

    # -- test controls -------------------------------------------------------------

    def inject(
        self,
        operation: str,
        error_code: str,
        times: int = 1,
        message: str | None = None,
        status: int = 400,
    ) -> None:
        """Answer the next `times` calls of `operation` with this error, after any faults queued before it."""
        self._operation_model(operation)
        if times < 1:
            raise ValueError("times must be at least 1")
        with self.lock:
            self._faults.setdefault(operation, deque()).append(
                Fault(operation, error_code, message or _default_message(error_code), status, times)
            )

    def pending_faults(self, operation: str | None = None) -> int:
        with self.lock:
            queues = [self._faults.get(operation, deque())] if operation else list(self._faults.values())
            return sum(f.remaining for q in queues for f in q)

    def calls_to(self, operation: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.operation == operation]

    def now(self) -> float:
        return float(self.clock())

    def in_region(self, region: str) -> Backend:
        """The backend that answers a request signed for `region` (its SigV4 credential scope). A service emulated
        in one Region only answers every request itself, whatever Region the client names."""
        return self

    # -- dispatch ------------------------------------------------------------------

    def handle(self, operation: str, params: Mapping[str, Any] | None = None, *, caller: str | None = None) -> Params:
        """Answer one request. `caller` is the access key id of a request that came with credentials ("" for one
        that came unsigned); None, a call straight from a test or the driver, is not subject to `access`."""
        request: Params = copy.deepcopy(dict(params or {}))
        with self.lock:
            error: str | None = None
            self.caller = caller
            try:
                result = self._handle(operation, request, caller)
            except ServiceError as failure:
                error = failure.code
                raise
            finally:
                self.caller = None
                self.calls.append(Call(operation, request, self.now(), error, caller))
            return result

    def _handle(self, operation: str, params: Params, caller: str | None = None) -> Params:
        try:
            model = self._operation_model(operation)
        except KeyError:
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}") from None
        try:
            principal = self.access.authenticate(caller) if self.access is not None and caller is not None else None
        except ServiceError as refused:
            raise self._in_own_words(refused) from None
        self._raise_fault(operation)
        if model.input_shape is not None:
            problems = self._requests.problems(params, model.input_shape)
            if problems:
                raise ServiceError(self.validation_error_code, validation_message(problems))
        if principal is not None:
            assert self.access is not None
            try:
                contexts = self.request_contexts(operation, params)
                self.access.authorize(principal, contexts, [self.resource_policy(c) for c in contexts])
            except ServiceError as refused:
                raise self._in_own_words(refused) from None
        method: Callable[[Params], Params | None] | None = getattr(self, "_" + xform_name(operation), None)
        if method is None:
            raise ServiceError("UnknownOperationException", f"{operation} is not emulated")
        result = copy.deepcopy(method(params) or {})
        if self.check_responses:
            self.check_response(operation, result)
        return result

    def _in_own_words(self, refused: ServiceError) -> ServiceError:
        code, status = self.front_door_errors.get(refused.code, (refused.code, refused.status))
        return ServiceError(code, refused.message, status)

    @property
    def protocol(self) -> str:
        """How clients talk to it: "query" for a service whose model speaks only the AWS query protocol, else "json"
        (botocore 1.44 resolves the models that also offer CBOR to json)."""
        return "query" if self.model.metadata.get("protocol") == "query" else "json"

    def request_contexts(self, operation: str, params: Params) -> list[RequestContext]:
        """What IAM authorizes for this request: one context per resource the action acts on (every one must be
        allowed), each with its condition keys, and any dependent action. Each backend maps its operations in a
        method named `_authorize_<snake_case operation>`, after the Service Authorization Reference.

        An operation without a mapping is refused: the emulator would otherwise have to guess its resources.
        """
        with self.lock:
            method: Callable[[Params], list[RequestContext]] | None = getattr(
                self, "_authorize_" + xform_name(operation), None
            )
            if method is None:
                raise ServiceError(
                    "AccessDeniedException",
                    f"{self.iam_prefix}:{operation}: the emulator does not model which resources this action "
                    "authorizes, so it refuses every call of it that comes with credentials",
                )
            return method(params)

    def resource_policy(self, request: RequestContext) -> PolicyDocument | None:
        """The resource-based policy of the resource a request context names, evaluated with the caller's
        identity-based policies; None where the resource has none (every service here but DynamoDB's tables)."""
        return None

    def action(self, operation: str) -> str:
        """The IAM action of an operation: the service prefix and the operation's name."""
        return f"{self.iam_prefix}:{operation}"

    def check_response(self, operation: str, response: Mapping[str, Any]) -> None:
        """Fail loudly when the emulator answers something the output shape does not allow."""
        shape = self._operation_model(operation).output_shape
        problems = self._responses.problems(response, shape) if shape is not None else []
        if shape is None and response:
            problems = [f"{operation} has no output shape but answered {sorted(response)}"]
        if problems:
            raise AssertionError(f"emulator response to {operation} breaks the model: {problems}")

    @property
    def content_type(self) -> str:
        """The Content-Type of this service's AWS JSON version (model metadata jsonVersion)."""
        return f"application/x-amz-json-{self.model.metadata.get('jsonVersion', '1.1')}"

    def _operation_model(self, operation: str) -> OperationModel:
        if operation not in self.model.operation_names:
            raise KeyError(f"{self.service_name} has no operation {operation}")
        return self.model.operation_model(operation)

    def _raise_fault(self, operation: str) -> None:
        queue = self._faults.get(operation)
        if not queue:
            return
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        raise ServiceError(fault.code, fault.message, fault.status)

    # -- helpers for operations ---------------------------------------------------

    def invalid(self, message: str) -> ServiceError:
        return ServiceError(self.validation_error_code, message)

    def page(
        self, items: Sequence[T], token: str | None, size: int, query: Mapping[str, Any]
    ) -> tuple[list[T], str | None]:
        """One page of `items` and the token of the next; a token only works for the query that made it.

        Tokens are opaque to clients; what the services answer to a token from another
        query is undocumented: here it is a validation error.
        """
        fingerprint = hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]
        start = 0
        if token is not None:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
                start = int(decoded["o"])
                if decoded["q"] != fingerprint or start < 0:
                    raise ValueError("token of another query")
            except (ValueError, KeyError, TypeError):
                raise self.invalid(f"The NextToken {_show(token)} is not valid.") from None
        chunk = list(items[start : start + size])
        following = start + size
        if following >= len(items):
            return chunk, None
        raw = json.dumps({"o": following, "q": fingerprint}).encode()
        return chunk, base64.urlsafe_b64encode(raw).decode()


def _default_message(code: str) -> str:
    return {
        "ThrottlingException": "Rate exceeded",
        "AccessDeniedException": "User is not authorized to perform this action",
    }.get(code, f"Injected {code}")
