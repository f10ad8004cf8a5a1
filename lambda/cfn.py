"""CloudFormation's side of the conversation: the typed event and the PUTs we answer it with.

Both a custom resource response and a wait condition signal are JSON PUT to a
presigned URL (AWS CloudFormation User Guide, "Custom resource response
objects" and "Create wait conditions in a CloudFormation template"). The URLs
are credentials: they are never logged.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The whole response body may be at most 4096 bytes (custom resource response objects).
MAX_RESPONSE_BYTES = 4096

# What a failed Create answers as PhysicalResourceId: never empty (crhelper
# #67), never random (crhelper #7), and never shaped like an image id, so the
# rollback Delete can tell that nothing was created.
NOT_CREATED_PREFIX = "not-created:"

Sender = Callable[[str, Mapping[str, Any]], None]


class ResponseNotDeliveredError(RuntimeError):
    """The presigned URL did not accept the body; raising lets Lambda retry the invocation."""


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

    @property
    def stack_name(self) -> str:
        # arn:aws:cloudformation:region:account:stack/NAME/GUID
        parts = self.stack_id.split("/")
        return parts[1] if len(parts) > 2 else self.stack_id


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


def signal_body(*, success: bool, reason: str, image_id: str) -> dict[str, Any]:
    """A wait condition signal whose Data carries the image id under a fixed UniqueId."""
    return {
        "Status": "SUCCESS" if success else "FAILURE",
        "Reason": fit_reason(reason, 2048),
        "UniqueId": "ImageId",
        "Data": image_id,
    }


def put_json(url: str, body: Mapping[str, Any], timeout: float = 30.0) -> None:
    """PUT `body` to a presigned URL, and fail unless it answers 2xx (crhelper PR #79 treats any answer as success)."""
    data = json.dumps(body).encode()
    # The presigned S3 URL is signed for an empty content type.
    request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        raise ResponseNotDeliveredError(f"could not reach CloudFormation's presigned URL: {error}") from error
    if not 200 <= status < 300:
        raise ResponseNotDeliveredError(f"CloudFormation's presigned URL answered HTTP {status}")


def not_created_id(logical_id: str) -> str:
    return (NOT_CREATED_PREFIX + logical_id)[:1024]
