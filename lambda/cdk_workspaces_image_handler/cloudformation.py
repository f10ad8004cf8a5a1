"""CloudFormation's side of the conversation, in one place: when and what the provider answers.

A request ends in one of these ways, decided here and nowhere else:
- success: answer SUCCESS now, with the resource's physical id and Data;
- deferred: answer nothing now; the watch answers once what it waits for is AVAILABLE (watch.py);
- failure: answer FAILED with a reason that says what to fix first, naming whatever the request made, so
  that CloudFormation's rollback Delete can remove it;
- refused: CloudFormation does not stand behind the request (trust.py): answer FAILED with the reason, once; a URL
  that refuses that answer is not tried again;
- silence: the ResponseURL is not CloudFormation's, so nothing is answered at all (trust.py); or another delivery
  of the request is at work, and the invocation fails unanswered so that Lambda delivers it again later;
- undelivered: the presigned URL refused the answer; the invocation fails, so Lambda delivers it again.

crhelper (which the user asked for) does the dispatch and remembers initialisation failures
(``init_failure``). Where the provider departs from crhelper's defaults, ``Protocol`` says so, with the reason.

Both a custom resource response and a wait condition signal are JSON PUT to a presigned URL:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html and
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-waitcondition.html. The URLs are
credentials: they are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crhelper import CfnResource

from .errors import InFlightError, NotDeliveredError

log = logging.getLogger(__name__)

# The whole response body may be at most 4096 bytes (custom resource response objects).
MAX_RESPONSE_BYTES = 4096

# What a failed Create answers as PhysicalResourceId: never empty (crhelper #67), never random (crhelper #7),
# and never shaped like an image or bundle id, so the rollback Delete can tell that nothing was created.
NOT_CREATED_PREFIX = "not-created:"

Sender = Callable[[str, Mapping[str, Any]], None]


@dataclass(frozen=True)
class ResourceEvent:
    """Typed view of a custom resource request, in the manner of Powertools' CloudFormationCustomResourceEvent."""

    request_type: str
    stack_id: str
    request_id: str
    logical_id: str
    resource_type: str
    response_url: str = field(repr=False)
    physical_id: str | None
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any]

    @classmethod
    def parse(cls, event: Mapping[str, Any]) -> ResourceEvent:
        return cls(
            request_type=event["RequestType"],
            stack_id=event["StackId"],
            request_id=event["RequestId"],
            logical_id=event["LogicalResourceId"],
            resource_type=event.get("ResourceType", ""),
            response_url=event["ResponseURL"],
            physical_id=event.get("PhysicalResourceId"),
            properties=event.get("ResourceProperties") or {},
            old_properties=event.get("OldResourceProperties") or {},
        )


@dataclass(frozen=True)
class Answer:
    """A request that succeeded: its physical id and Data, now or (deferred) once a watch sees AVAILABLE."""

    physical_id: str
    data: Mapping[str, str] = field(default_factory=dict)
    deferred: bool = False


@dataclass(frozen=True)
class Failure:
    """A request that failed: the reason to show, and the physical id of anything it made (else None).

    `refused`: CloudFormation did not confirm the request; the answer is sent once, and a URL that refuses it is
    not tried again (a forged request's URL may well refuse)."""

    reason: str
    made: str | None = None
    refused: bool = False


@dataclass(frozen=True)
class Silence:
    """A request that gets no answer: `why` is logged. `retry`: fail the invocation, so that Lambda delivers the
    request again later (another delivery of it is at work); otherwise end quietly (its URL is not CloudFormation's,
    and a Lambda retry would change nothing)."""

    why: str
    retry: bool = False


# ---------------------------------------------------------------- what is answered


def not_created_id(logical_id: str) -> str:
    return (NOT_CREATED_PREFIX + logical_id)[:1024]


def fit_reason(reason: str, limit: int) -> str:
    """Cut a reason to `limit` characters keeping its head, where the useful part is (crhelper keeps the tail)."""
    if len(reason) <= limit:
        return reason
    marker = " [...]"
    return reason[: max(0, limit - len(marker))] + marker


def response_body(
    *,
    status: str,
    reason: str,
    physical_id: str,
    stack_id: str,
    request_id: str,
    logical_id: str,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """A custom resource response that always fits CloudFormation's 4096-byte limit."""
    body: dict[str, Any] = {
        "Status": status,
        "Reason": "",
        "PhysicalResourceId": physical_id,
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "NoEcho": False,
        "Data": dict(data),
    }
    room = MAX_RESPONSE_BYTES - len(json.dumps(body).encode())
    # json.dumps may escape characters, so shrink until the encoded body fits.
    cut = fit_reason(reason, max(0, room))
    body["Reason"] = cut
    while len(json.dumps(body).encode()) > MAX_RESPONSE_BYTES and cut:
        cut = fit_reason(cut, len(cut) - max(1, len(json.dumps(body).encode()) - MAX_RESPONSE_BYTES))
        body["Reason"] = cut
    return body


def foreign_stack(event: ResourceEvent, own_stack_id: str) -> Failure | None:
    """A refusal for a request that names another stack than the function's own, else None.

    Only CloudFormation should send requests, but whoever may invoke the function, or names it as a ServiceToken in
    another stack, can send one. The reason names neither stack: it goes to whoever sent the request.
    """
    if event.stack_id == own_stack_id:
        return None
    return Failure(
        "this provider serves the resources of the stack that made it only, and did nothing for a request that "
        "names another stack: give that stack its own UpdatedWorkspaceImage or WorkspaceBundle",
        refused=True,
    )


def response_for(event: ResourceEvent, result: Answer | Failure) -> dict[str, Any] | None:
    """The response to PUT now for this request, or None when a watch answers later."""
    if isinstance(result, Answer):
        if result.deferred:
            return None
        status, reason, physical, data = "SUCCESS", "", result.physical_id, result.data
    else:
        # Update and Delete answer the id CloudFormation sent (another id would be a replacement); a failed
        # Create names what it made, so its rollback Delete removes it, or says it made nothing.
        physical = event.physical_id or result.made or not_created_id(event.logical_id)
        status, reason, data = "FAILED", result.reason, {}
    return response_body(
        status=status,
        reason=reason,
        physical_id=physical,
        stack_id=event.stack_id,
        request_id=event.request_id,
        logical_id=event.logical_id,
        data=data,
    )


def signal_body(*, success: bool, reason: str, image_id: str) -> dict[str, Any]:
    """A wait condition signal whose Data carries the image id under a fixed UniqueId."""
    return {
        "Status": "SUCCESS" if success else "FAILURE",
        "Reason": fit_reason(reason, 2048),
        "UniqueId": "ImageId",
        "Data": image_id,
    }


# An S3 host, virtual-hosted or path style, dotted or dashed Region: <bucket>.s3.<region>.amazonaws.com[.cn],
# s3-<region>.amazonaws.com, s3.amazonaws.com.
_S3_HOST = re.compile(r"(^|\.)s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")


def put_json(url: str, body: Mapping[str, Any], timeout: float = 30.0) -> None:
    """PUT `body` to a presigned URL, and fail unless it answers 2xx (crhelper PR #79 treats any answer as success)."""
    data = json.dumps(body).encode()
    # The presigned S3 URL is signed for an empty content type.
    headers = {"Content-Type": ""}
    # AWS_ENDPOINT_URL_S3 is the S3 endpoint override botocore itself reads; Lambda never sets it, a local stand-in
    # for S3 does. Where it is set, a PUT to an S3 host goes there, with the URL's path and query and its Host (the
    # bucket's), as through a proxy. A URL on any other host is left alone.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3")
    parts = urllib.parse.urlsplit(url)
    if endpoint and _S3_HOST.search(parts.hostname or ""):
        headers["Host"] = parts.netloc
        url = endpoint.rstrip("/") + urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        raise NotDeliveredError(f"could not reach CloudFormation's presigned URL: {error}") from error
    if not 200 <= status < 300:
        raise NotDeliveredError(f"CloudFormation's presigned URL answered HTTP {status}")


# ---------------------------------------------------------------- crhelper, and where the provider departs from it

# crhelper's stubs leave out the hooks Protocol overrides.
_CfnResource: Any = CfnResource


class Protocol(_CfnResource):  # type: ignore[misc]
    """crhelper's CfnResource for dispatch and ``init_failure``; every departure from its defaults is here.

    The functions registered with ``create``, ``update`` and ``delete`` return an ``Answer`` or a ``Failure``
    instead of raising: crhelper keeps what they return as ``PhysicalResourceId`` and hands it to
    ``_cfn_response``, which answers by ``response_for``. So nothing about a request is passed through state
    shared between crhelper and the handler.
    """

    def __init__(self, send: Sender) -> None:
        # DEBUG would make crhelper log the event and with it the ResponseURL, a credential: INFO.
        # sleep_on_delete: crhelper waits 120 s before answering a Delete so its logs get out; ours are
        # written before the answer, so the wait buys nothing.
        # crhelper's constructor also makes lambda, events and logs clients for its own polling, which this
        # provider never uses (watch.py instead) and which cost most of a cold start (benchmarks/README.md).
        # It skips them under SAM local; that flag only matters to its polling, so it is unset again.
        saved = os.environ.get("AWS_SAM_LOCAL")
        os.environ["AWS_SAM_LOCAL"] = "skip-crhelper-clients"
        try:
            super().__init__(json_logging=False, log_level="INFO", boto_level="WARNING", sleep_on_delete=0)
        finally:
            if saved is None:
                del os.environ["AWS_SAM_LOCAL"]
            else:
                os.environ["AWS_SAM_LOCAL"] = saved
        self._sam_local = saved
        self._deliver = send
        # An answer the presigned URL refused in this invocation: raised again, never answered as FAILED.
        self._undelivered: Exception | None = None

    @property
    def init_error(self) -> BaseException | None:
        """What failed when the handler module was loaded (crhelper's init_failure), if anything."""
        error: BaseException | None = self._init_failed
        return error

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        self._undelivered = None
        super().__call__(event, context)

    def _timeout(self) -> None:
        # crhelper answers FAILED just before Lambda's timeout, and Lambda then retries the invocation anyway:
        # a Create retried after CloudFormation rolled back would make an image nobody deletes. So say nothing.
        # The retry adopts what this attempt made and answers; should every attempt time out, the
        # ServiceTimeout fails the resource and the rollback Delete removes what was made.
        log.error("about to time out: not answering, so that Lambda's retry finishes this request")

    def _cfn_response(self, event: dict[str, Any]) -> None:
        # crhelper would answer the returned value as the physical id, or a random one (crhelper #7).
        result = self.PhysicalResourceId
        if isinstance(result, Silence):
            if result.retry:
                log.warning("not answered yet: %s", result.why)
                self._undelivered = InFlightError(result.why)
                raise self._undelivered
            log.warning("not answered: %s", result.why)
            return
        if not isinstance(result, Answer | Failure):
            # The registered function raised before it could return one: crhelper kept its message.
            result = Failure(str(self.Reason) or "the provider failed before it could answer this request")
        self._put(ResourceEvent.parse(event), result)

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        # crhelper answers FAILED itself on an initialisation failure or when answering raised. An answer the
        # presigned URL refused must not become FAILED: the invocation fails instead and Lambda retries it
        # whole. Otherwise answer like any failure: head of the reason kept (crhelper keeps the last 240
        # characters), a usable physical id (crhelper #67 sends an empty one).
        if self._undelivered is not None:
            raise self._undelivered
        self._put(ResourceEvent.parse(self._event), Failure(reason or str(self.Reason)))

    def _put(self, event: ResourceEvent, result: Answer | Failure) -> None:
        body = response_for(event, result)
        if body is None:
            log.info("answer for %s deferred until what it waits for is AVAILABLE", event.logical_id)
            return
        log.info("answering %s for %s (%s)", body["Status"], event.logical_id, body["PhysicalResourceId"])
        try:
            self._deliver(event.response_url, body)
        except Exception as error:
            if isinstance(result, Failure) and result.refused:
                log.warning("the answer to a refused request was not delivered (%s); not tried again", error)
                return
            # put_json raises NotDeliveredError for anything but a 2xx (crhelper PR #79 takes any answer).
            self._undelivered = error
            raise
