"""Which requests the provider believes: only those CloudFormation confirms, answered only on CloudFormation's URLs.

Anyone allowed ``lambda:InvokeFunction`` on the provider can send it an event shaped like a custom resource
request, with the stack's own StackId; nothing in the event proves CloudFormation sent it
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html documents the fields, no
signature). So, before anything is written, the provider asks CloudFormation about its own stack, with read rights
on that stack's ARN only:

- the stack has an operation in progress that sends this request type;
- CloudFormation knows the logical id, with the request's resource type, and the resource's own status is in
  progress for this request type;
- an Update or Delete names the physical id CloudFormation holds for that logical id, or, in an update's cleanup
  (and the rollback Update that may precede it), the one the provider's record says that replacement replaced, or
  that was made to replace the one CloudFormation holds again after a rollback;
- a WaitHandle is the physical id (its URL) of a WaitConditionHandle of this stack.

And an answer or signal goes only to a presigned URL of CloudFormation's own buckets: https, on S3's hosts of the
stack's partition, in the bucket CloudFormation documents for the stack's Region ("Access CloudFormation using an
interface endpoint": custom resource responses go to ``cloudformation-custom-resource-response-<region without
dashes>``, wait condition signals to ``cloudformation-waitcondition-<region>``,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/vpc-interface-endpoints.html). Which of S3's host
styles CloudFormation presigns is undocumented: the Lambda guide's examples show both
``<bucket>.s3-us-east-1.amazonaws.com`` and ``<bucket>.s3.cn-north-1.amazonaws.com.cn``
(https://docs.aws.amazon.com/lambda/latest/dg/services-cloudformation.html). So every style S3 documents for a
bucket is accepted (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html), and no other host
unless the app names it (contract.TRUSTED_RESPONSE_HOSTS_CONTEXT).

Nothing here writes; the decisions are pure functions of what CloudFormation said, tested without mocks.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from .errors import ProviderError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

log = logging.getLogger(__name__)

RequestType = Literal["Create", "Update", "Delete"]

# The stack operations in which CloudFormation sends each request type ("Stack status codes",
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes).
# A Create comes while a stack is created or updated; an Update while it is updated or an update rolls back; a
# Delete while it is deleted, a failed create rolls back, or an update's cleanup (after success or after a rollback)
# deletes what was replaced or dropped. Whether a rollback deletes what a failed update added before or during its
# cleanup phase is undocumented: both are accepted.
OPERATIONS: Mapping[str, frozenset[str]] = {
    "Create": frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"}),
    "Update": frozenset({"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"}),
    "Delete": frozenset(
        {
            "DELETE_IN_PROGRESS",
            "ROLLBACK_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        }
    ),
}
# The phases in which CloudFormation deletes a physical resource it no longer holds for its logical id: the one a
# replacement replaced (after success), or the new one of a replacement that is rolled back.
CLEANUP = frozenset(
    {
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    }
)
# The status of the resource itself while CloudFormation waits for the provider's answer ("Resource status codes").
RESOURCE_STATUS: Mapping[str, str] = {
    "Create": "CREATE_IN_PROGRESS",
    "Update": "UPDATE_IN_PROGRESS",
    "Delete": "DELETE_IN_PROGRESS",
}
WAIT_CONDITION_HANDLE = "AWS::CloudFormation::WaitConditionHandle"
# ValidationError's words for a logical id the stack does not have (DescribeStackResource); the code alone does
# not tell it from a bad parameter.
NO_SUCH_RESOURCE = "does not exist"

PresignedKind = Literal["response", "signal"]


@dataclass(frozen=True)
class StackView:
    """What DescribeStacks says of the provider's own stack."""

    status: str


@dataclass(frozen=True)
class ResourceView:
    """What DescribeStackResource says of one logical id: the resource CloudFormation holds for it now."""

    logical_id: str
    resource_type: str
    status: str
    physical_id: str = ""


@dataclass(frozen=True)
class Claim:
    """What a request claims about itself, as far as CloudFormation can confirm it."""

    request_type: str
    logical_id: str
    resource_type: str
    physical_id: str | None


@dataclass(frozen=True)
class Confirmed:
    """A request CloudFormation confirmed: whether it names the physical id CloudFormation holds for its logical id
    (a resource an earlier version of the provider made, known to it only by its tag, is adopted into the record
    only then)."""

    current: bool


# ---------------------------------------------------------------- the decisions


def refusal(
    claim: Claim, stack: StackView, resource: ResourceView | None, replacements: Collection[tuple[str, str]]
) -> str | None:
    """Why CloudFormation does not stand behind this request, or None when it does.

    `replacements`: from the provider's record, (the physical id an Update answered for the logical id, the one it
    replaced). Where CloudFormation no longer reports the id a request names, only the pair one replacement joined is
    accepted: never another id the record holds for the logical id (an image a removal policy or keep_previous
    kept), which a forged request could otherwise name in any cleanup.
    """
    kind, lid = claim.request_type, claim.logical_id
    operations = OPERATIONS.get(kind)
    if operations is None:
        return f"RequestType {kind!r} is none of Create, Update and Delete"
    if stack.status not in operations:
        return (
            f"the stack is {stack.status}, an operation in which CloudFormation sends no {kind}; a request that "
            "CloudFormation did not send changes nothing"
        )
    if resource is None:
        return (
            f"CloudFormation knows no resource {lid} in this stack; a request that CloudFormation did not send "
            "changes nothing"
        )
    if resource.resource_type != claim.resource_type:
        return (
            f"CloudFormation holds {lid} as {resource.resource_type}, not {claim.resource_type}; a request that "
            "CloudFormation did not send changes nothing"
        )
    physical, held = claim.physical_id or "", resource.physical_id
    current = bool(physical) and physical == held
    # The cleanup of an update deletes what the replacement CloudFormation holds replaced; the cleanup of a rollback
    # deletes the replacement of what CloudFormation holds again.
    joined = bool(physical) and ((held, physical) in replacements or (physical, held) in replacements)
    if kind == "Delete" and not current:
        if stack.status in CLEANUP and joined:
            return None
        return (
            f"{physical or 'no physical id'} is not the resource CloudFormation holds for {lid}, nor the one an "
            "update's cleanup deletes; nothing was deleted"
        )
    if resource.status != RESOURCE_STATUS[kind]:
        return (
            f"CloudFormation reports {lid} as {resource.status}, not {RESOURCE_STATUS[kind]}: it is not waiting for a "
            f"{kind} of it (a Lambda retry that came after CloudFormation stopped waiting changes nothing)"
        )
    if kind == "Update" and not current:
        # The rollback Update of a replaced resource may carry the new id while CloudFormation reports the previous
        # one (undocumented); only the replacement of the id CloudFormation reports is accepted then.
        if stack.status == "UPDATE_ROLLBACK_IN_PROGRESS" and (physical, held) in replacements:
            return None
        return (
            f"{physical or 'no physical id'} is not the resource CloudFormation holds for {lid} "
            f"({held or 'none yet'}); nothing was changed"
        )
    return None


def handle_refusal(wait_handle: str, handles: Collection[str]) -> str | None:
    """Why a WaitHandle is not to be signalled: it must be the URL of a WaitConditionHandle of this stack."""
    if wait_handle in handles:
        return None
    return (
        "WaitHandle is not the URL of a WaitConditionHandle of this stack; the provider signals only its own "
        "stack's wait conditions"
    )


def presigned_url_problem(
    url: str, stack_id: str, kind: PresignedKind, dns_suffix: str, extra_hosts: Collection[str] = ()
) -> str | None:
    """Why `url` is not a presigned URL of CloudFormation's bucket for the stack's Region, or None.

    `dns_suffix`: the DNS suffix of the stack's partition (amazonaws.com, amazonaws.com.cn, ...). `extra_hosts`:
    hosts the stack itself trusts besides S3's (contract.TRUSTED_RESPONSE_HOSTS_CONTEXT). The reason never quotes
    the URL: it is a credential.
    """
    what = "ResponseURL" if kind == "response" else "WaitHandle"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{what} is not a URL"
    if parts.scheme != "https":
        return f"{what} is not an https URL"
    if parts.username is not None or parts.password is not None or port not in (None, 443):
        return f"{what} names a user or port: CloudFormation's presigned URLs have neither"
    host = (parts.hostname or "").lower()
    if host in {h.lower() for h in extra_hosts}:
        return None
    region = region_of(stack_id)
    bucket = response_bucket(region) if kind == "response" else signal_bucket(region)
    endpoints = s3_endpoints(region, dns_suffix)
    virtual = {f"{bucket}.{endpoint}" for endpoint in endpoints}
    path_style = host in endpoints and parts.path.startswith(f"/{bucket}/")
    if host in virtual or path_style:
        return None
    return (
        f"{what} is not a presigned URL of CloudFormation's bucket {bucket} on Amazon S3 ({dns_suffix}); the "
        "provider answers only CloudFormation"
    )


def response_bucket(region: str) -> str:
    return f"cloudformation-custom-resource-response-{region.replace('-', '')}"


def signal_bucket(region: str) -> str:
    return f"cloudformation-waitcondition-{region}"


def s3_endpoints(region: str, dns_suffix: str) -> set[str]:
    """The hosts S3 answers a bucket of `region` on: the Regional endpoint (dot and legacy dash forms), dual-stack,
    and the global endpoint S3 still serves for legacy buckets
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html)."""
    return {
        f"s3.{region}.{dns_suffix}",
        f"s3-{region}.{dns_suffix}",
        f"s3.dualstack.{region}.{dns_suffix}",
        f"s3.{dns_suffix}",
    }


def region_of(stack_id: str) -> str:
    """The Region in a stack's ARN: arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<guid>."""
    parts = stack_id.split(":")
    return parts[3] if len(parts) > 5 else ""


def partition_of(stack_id: str) -> str:
    parts = stack_id.split(":")
    return parts[1] if len(parts) > 5 else "aws"


def dns_suffix_of(partition: str, partitions: Iterable[Mapping[str, Any]]) -> str:
    """The DNS suffix of a partition, from botocore's endpoint data (its `partitions` document); amazonaws.com
    when botocore does not know the partition."""
    for entry in partitions:
        if entry.get("id") == partition:
            return str((entry.get("outputs") or {}).get("dnsSuffix") or "amazonaws.com")
    return "amazonaws.com"


# ---------------------------------------------------------------- asking CloudFormation


class StackReader:
    """CloudFormation's read API about one stack (the provider's own), with its refusals made ProviderErrors."""

    def __init__(self, cloudformation: CloudFormationClient, stack_id: str) -> None:
        self.cloudformation = cloudformation
        self.stack_id = stack_id

    def stack(self) -> StackView:
        answer = self._call("DescribeStacks", self.cloudformation.describe_stacks, StackName=self.stack_id)
        stacks = answer.get("Stacks") or []
        if not stacks:
            raise ProviderError("CloudFormation describes no stack for the provider's own StackId")
        return StackView(str(stacks[0].get("StackStatus", "")))

    def resource(self, logical_id: str) -> ResourceView | None:
        """The resource CloudFormation holds for `logical_id` now; None when the stack has no such logical id."""
        try:
            answer = self.cloudformation.describe_stack_resource(StackName=self.stack_id, LogicalResourceId=logical_id)
        except ClientError as error:
            said = error.response.get("Error", {})
            if said.get("Code") == "ValidationError" and NO_SUCH_RESOURCE in str(said.get("Message", "")):
                return None
            raise _unconfirmed("DescribeStackResource", error) from error
        detail = answer.get("StackResourceDetail") or {}
        return ResourceView(
            logical_id=str(detail.get("LogicalResourceId", logical_id)),
            resource_type=str(detail.get("ResourceType", "")),
            status=str(detail.get("ResourceStatus", "")),
            physical_id=str(detail.get("PhysicalResourceId") or ""),
        )

    def wait_handles(self) -> set[str]:
        """The physical ids (URLs) of every WaitConditionHandle of the stack."""
        handles: set[str] = set()
        paginator = self.cloudformation.get_paginator("list_stack_resources")
        try:
            for page in paginator.paginate(StackName=self.stack_id):
                handles |= {
                    str(r.get("PhysicalResourceId") or "")
                    for r in page.get("StackResourceSummaries", [])
                    if r.get("ResourceType") == WAIT_CONDITION_HANDLE
                }
        except ClientError as error:
            raise _unconfirmed("ListStackResources", error) from error
        return handles - {""}

    def _call(self, action: str, call: Any, **params: Any) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = call(**params)
        except ClientError as error:
            raise _unconfirmed(action, error) from error
        return answer


def _unconfirmed(action: str, error: ClientError) -> ProviderError:
    said = error.response.get("Error", {})
    return ProviderError(
        f"the request could not be confirmed with CloudFormation, so nothing was done: check that the provider role "
        f"may call cloudformation:{action} on this stack ({said.get('Code', 'unknown')}: {said.get('Message', '')})"
    )
