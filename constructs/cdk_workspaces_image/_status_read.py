"""The status command's reader: CloudFormation and WorkSpaces, read with the caller's own credentials (boto3's default
session), into the plain dataclasses of `_status_decide`. It never reads the provider's watch table: that table is
the provider role's alone.

The calls, each read-only (the IAM actions in ACTIONS):

- CloudFormation DescribeStacks, GetTemplate (the Original stage: CDK's templates are JSON) and ListStackResources
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html, API_GetTemplate.html,
  API_ListStackResources.html).
- WorkSpaces DescribeWorkspaceImages, DescribeWorkspaceBundles, DescribeTags and DescribeCustomWorkspaceImageImport
  (https://docs.aws.amazon.com/workspaces/latest/api/API_DescribeWorkspaceImages.html, and the pages beside it), in
  the stack's Region, and a copy's in the copy's Region.

While a custom resource is CREATE_IN_PROGRESS (or an update replaces it) CloudFormation holds no physical id for
what it is making, so the image or bundle is found among the account's own by the template's Name and the ownership
tag the provider puts on it (contract.OWNER_TAG_KEY, matched with kernel.made_by for this stack and logical id).

"Now" is the Date header of AWS's latest answer (RFC 9110 section 6.6.1), so a local clock that is off does not
move the deadlines, and the local emulator's virtual clock is what the command sees.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError

from cdk_workspaces_image_handler import contract
from cdk_workspaces_image_handler.kernel import made_by, resource_key

from ._status_decide import CfnSeen, Declared, Item, Snapshot, StackSeen, WorkSpacesSeen, declared

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_workspaces import WorkSpacesClient

# Every IAM action the command calls: all read-only. A policy for it (Resource "*", or the stack's ARN for the
# cloudformation: ones) is in docs/usage.md.
ACTIONS = (
    "cloudformation:DescribeStacks",
    "cloudformation:GetTemplate",
    "cloudformation:ListStackResources",
    "workspaces:DescribeWorkspaceImages",
    "workspaces:DescribeWorkspaceBundles",
    "workspaces:DescribeTags",
    "workspaces:DescribeCustomWorkspaceImageImport",
)
NOW_FROM_DATE = "the Date header of AWS's latest answer"
NOW_FROM_LOCAL_CLOCK = "this machine's clock (AWS's answers carried no Date header)"
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException")
IMAGE_KINDS = ("image", "copy")


class StatusError(Exception):
    """What stops the command, worded fix-first; the command prints it and exits 1."""


class _AwsClock:
    """The Date header of the latest answer any client received."""

    def __init__(self) -> None:
        self.latest: float | None = None

    def seen(self, http_response: Any = None, **_: Any) -> None:
        date = getattr(http_response, "headers", {}).get("Date") if http_response is not None else None
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.latest = parsedate_to_datetime(str(date)).timestamp()


def _explain(error: Exception, action: str, stack: str, region: str) -> StatusError:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", ""))
        if code in _DENIED:
            return StatusError(
                f"your credentials may not call {action}: allow it (the command needs {', '.join(ACTIONS)}, all "
                f"read-only); AWS said {code}: {message}"
            )
        if code == "ValidationError" and "does not exist" in message:
            return StatusError(
                f"stack {stack} not found in Region {region}: check --region (or AWS_DEFAULT_REGION, or your "
                f"profile's region) and the stack's name; AWS said: {message}"
            )
        return StatusError(f"{action} failed: {code}: {message}")
    if isinstance(error, NoCredentialsError):
        return StatusError(
            "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), as for cdk "
            "deploy"
        )
    if isinstance(error, EndpointConnectionError):
        return StatusError(f"could not reach AWS for {action} in Region {region}: check --region and the network")
    return StatusError(f"{action} failed: {error}")


def _stamp(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def _image_error(raw: Mapping[str, Any]) -> str:
    parts = [str(raw[k]) for k in ("ErrorCode", "ErrorMessage") if raw.get(k)]
    details = [
        ": ".join(str(d[k]) for k in ("ErrorCode", "ErrorMessage") if d.get(k)) for d in raw.get("ErrorDetails", [])
    ]
    text = ": ".join(parts)
    return f"{text} (details: {'; '.join(details)})" if details else text


class Reader:
    """Reads one stack, in `region` (None: the default session's Region). `session`: a boto3 Session (tests pass
    their own; by default boto3's default credentials and configuration)."""

    def __init__(self, stack: str, region: str | None = None, session: boto3.Session | None = None) -> None:
        self.stack = stack
        try:
            self.session = session or boto3.Session()
        except BotoCoreError as error:  # a profile AWS_PROFILE names that the configuration lacks, ...
            raise StatusError(f"{error}: check AWS_PROFILE and your AWS configuration") from error
        # botocore reads AWS_DEFAULT_REGION and the profile; AWS_REGION is what the CDK CLI and the other SDKs read.
        self.region = region or self.session.region_name or os.environ.get("AWS_REGION", "")
        if not self.region:
            raise StatusError("no Region: pass --region, or set AWS_DEFAULT_REGION (or your profile's region)")
        self.clock = _AwsClock()
        self._workspaces: dict[str, WorkSpacesClient] = {}
        self._cloudformation: CloudFormationClient | None = None

    # ------------------------------------------------------------ clients

    def _watched(self, client: Any) -> Any:
        client.meta.events.register("after-call", self.clock.seen)
        return client

    @property
    def cloudformation(self) -> CloudFormationClient:
        if self._cloudformation is None:
            self._cloudformation = self._watched(self.session.client("cloudformation", region_name=self.region))
        return self._cloudformation

    def workspaces(self, region: str) -> WorkSpacesClient:
        if region not in self._workspaces:
            self._workspaces[region] = self._watched(self.session.client("workspaces", region_name=region))
        return self._workspaces[region]

    def _call(self, action: str, region: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except (ClientError, BotoCoreError) as error:
            if isinstance(error, NoRegionError):
                raise StatusError(
                    "no Region: pass --region, or set AWS_DEFAULT_REGION (or your profile's region)"
                ) from error
            raise _explain(error, action, self.stack, region) from error

    def _pages(self, action: str, region: str, pages: Callable[[], Iterator[Any]]) -> list[Any]:
        return list(self._call(action, region, lambda: list(pages())))

    # ------------------------------------------------------------ CloudFormation

    def read(self) -> Snapshot:
        """One reading of the stack and of everything its library resources make."""
        region = self.region
        cfn = self.cloudformation
        described = self._call(
            "cloudformation:DescribeStacks", region, lambda: cfn.describe_stacks(StackName=self.stack)["Stacks"][0]
        )
        stack = StackSeen(
            name=str(described["StackName"]),
            stack_id=str(described["StackId"]),
            status=str(described["StackStatus"]),
            region=region,
            reason=str(described.get("StackStatusReason", "")),
        )
        body = self._call(
            "cloudformation:GetTemplate",
            region,
            lambda: cfn.get_template(StackName=stack.stack_id, TemplateStage="Original")["TemplateBody"],
        )
        template = self._template(body)
        pages = self._pages(
            "cloudformation:ListStackResources",
            region,
            lambda: iter(cfn.get_paginator("list_stack_resources").paginate(StackName=stack.stack_id)),
        )
        resources = {
            str(summary["LogicalResourceId"]): CfnSeen(
                status=str(summary.get("ResourceStatus", "")),
                physical_id=str(summary.get("PhysicalResourceId", "")),
                reason=str(summary.get("ResourceStatusReason", "")),
                updated=_stamp(summary.get("LastUpdatedTimestamp")),
            )
            for page in pages
            for summary in page.get("StackResourceSummaries", [])
        }
        items = tuple(self._item(stack, d, resources) for d in declared(template))
        # AWS sends a Date header with every answer; the local clock only stands in without one.
        now, now_from = (self.clock.latest, NOW_FROM_DATE) if self.clock.latest is not None else (None, "")
        if now is None:
            now, now_from = time.time(), NOW_FROM_LOCAL_CLOCK
        return Snapshot(stack=stack, items=items, now=now, now_from=now_from)

    def _template(self, body: Any) -> Mapping[str, Any]:
        # botocore decodes a JSON TemplateBody into a mapping (its handler json_decode_template_body); a YAML one
        # stays a string.
        if isinstance(body, Mapping):
            return body
        try:
            loaded = json.loads(str(body))
        except ValueError:
            loaded = None
        if not isinstance(loaded, Mapping):
            raise StatusError(
                f"the template of stack {self.stack} is not JSON: the status command reads the JSON CDK writes"
            )
        return loaded

    # ------------------------------------------------------------ WorkSpaces

    def _item(self, stack: StackSeen, d: Declared, resources: Mapping[str, CfnSeen]) -> Item:
        region = d.region or stack.region
        resource = resources.get(d.logical_id)
        wait = resources.get(d.wait_condition) if d.wait_condition else None
        if resource is None:
            seen = None
        elif d.kind in IMAGE_KINDS:
            seen = self._image(stack, d, resource, region)
        elif d.kind == "bundle":
            seen = self._bundle(stack, d, resource, region)
        else:
            seen = self._bundle_by_id(d.bundle_id, region, "BundleId") if d.bundle_id else None
        return Item(declared=d, region=region, resource=resource, wait=wait, seen=seen)

    def _making(self, resource: CfnSeen) -> bool:
        """Whether CloudFormation's physical id may not be what the resource is making now: it has none during a
        create, and holds the one being replaced during an update."""
        return resource.status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS") or not resource.physical_id

    def _owned(self, stack: StackSeen, d: Declared, tags_of: Callable[[str], Mapping[str, str]], ids: list[str]) -> str:
        key = resource_key(stack.stack_id, d.logical_id)
        mine = [i for i in ids if made_by(tags_of(i).get(contract.OWNER_TAG_KEY), key)]
        return mine[-1] if mine else ""

    def _tags(self, region: str, resource_id: str) -> Mapping[str, str]:
        client = self.workspaces(region)
        try:
            listed = client.describe_tags(ResourceId=resource_id)["TagList"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return {}
            raise _explain(error, "workspaces:DescribeTags", self.stack, region) from error
        except BotoCoreError as error:
            raise _explain(error, "workspaces:DescribeTags", self.stack, region) from error
        return {t["Key"]: t.get("Value", "") for t in listed}

    def _image(self, stack: StackSeen, d: Declared, resource: CfnSeen, region: str) -> WorkSpacesSeen | None:
        client = self.workspaces(region)
        image_id, found_by = "", ""
        if self._making(resource):
            pages = self._pages(
                "workspaces:DescribeWorkspaceImages",
                region,
                lambda: iter(client.get_paginator("describe_workspace_images").paginate(ImageType="OWNED")),
            )
            candidates = sorted(
                (i for page in pages for i in page.get("Images", [])),
                key=lambda i: _stamp(i.get("Created")) or 0.0,
            )
            named = [
                str(i["ImageId"])
                for i in candidates
                if (i.get("Name") == d.name if d.name is not None else i.get("State") != "AVAILABLE")
            ]
            image_id = self._owned(stack, d, lambda i: self._tags(region, i), named)
            found_by = "name and ownership tag" if image_id else ""
        if not image_id and resource.physical_id.startswith("wsi-"):
            image_id, found_by = resource.physical_id, "physical id"
        if not image_id:
            return None
        listed = self._call(
            "workspaces:DescribeWorkspaceImages",
            region,
            lambda: client.describe_workspace_images(ImageIds=[image_id]).get("Images", []),
        )
        raw: Mapping[str, Any] = listed[0] if listed else {}
        seen = WorkSpacesSeen(
            resource_id=image_id,
            state=str(raw.get("State", "")),
            found_by=found_by,
            created=_stamp(raw.get("Created")),
            error=_image_error(raw) if raw.get("State") == "ERROR" else "",
        )
        if d.type == contract.IMAGE_BUILDER_TYPE and seen.state != "AVAILABLE":
            seen = self._import(seen, region)
        if not seen.state:
            # Neither list knows it: an image that is gone (or an import not listed that has no import either).
            return WorkSpacesSeen(resource_id=image_id, state="GONE", found_by=found_by)
        return seen

    def _import(self, seen: WorkSpacesSeen, region: str) -> WorkSpacesSeen:
        """DescribeCustomWorkspaceImageImport's State, ProgressPercentage and StateMessage, as image_builder.py reads
        them (merge_import): the image is not ready before the import is COMPLETED."""
        client = self.workspaces(region)
        try:
            imported = client.describe_custom_workspace_image_import(ImageId=seen.resource_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return seen
            raise _explain(error, "workspaces:DescribeCustomWorkspaceImageImport", self.stack, region) from error
        except BotoCoreError as error:
            raise _explain(error, "workspaces:DescribeCustomWorkspaceImageImport", self.stack, region) from error
        state = str(imported.get("State", ""))
        progress = imported.get("ProgressPercentage")
        image_state = seen.state or "PENDING"
        said = seen.error
        if state == "ERROR":
            image_state = "ERROR"
            said = _image_error({"ErrorDetails": imported.get("ErrorDetails", [])}) or said
        elif state != "COMPLETED" and image_state != "ERROR":
            image_state = "PENDING"
        created, created_in = seen.created, seen.created_in
        if created is None:
            created, created_in = _stamp(imported.get("Created")), "DescribeCustomWorkspaceImageImport"
        return WorkSpacesSeen(
            resource_id=seen.resource_id,
            state=image_state,
            found_by=seen.found_by,
            created=created,
            created_in=created_in,
            error=said,
            import_state=state,
            progress_percentage=None if progress is None else int(progress),
            state_message=str(imported.get("StateMessage", "")),
        )

    def _bundle(self, stack: StackSeen, d: Declared, resource: CfnSeen, region: str) -> WorkSpacesSeen | None:
        client = self.workspaces(region)
        if self._making(resource):
            # DescribeWorkspaceBundles without BundleIds or Owner lists the account's own bundles.
            pages = self._pages(
                "workspaces:DescribeWorkspaceBundles",
                region,
                lambda: iter(client.get_paginator("describe_workspace_bundles").paginate()),
            )
            named = [str(b["BundleId"]) for page in pages for b in page.get("Bundles", []) if b.get("Name") == d.name]
            bundle_id = self._owned(stack, d, lambda b: self._tags(region, b), named)
            if bundle_id:
                found = self._bundle_by_id(bundle_id, region, "name and ownership tag")
                if found is not None:
                    return found
        if resource.physical_id.startswith("wsb-"):
            return self._bundle_by_id(resource.physical_id, region)
        return None

    def _bundle_by_id(self, bundle_id: str, region: str, found_by: str = "physical id") -> WorkSpacesSeen | None:
        client = self.workspaces(region)
        bundles = self._call(
            "workspaces:DescribeWorkspaceBundles",
            region,
            lambda: client.describe_workspace_bundles(BundleIds=[bundle_id]).get("Bundles", []),
        )
        if not bundles:
            return WorkSpacesSeen(resource_id=bundle_id, state="GONE", found_by=found_by)
        raw = bundles[0]
        return WorkSpacesSeen(
            resource_id=bundle_id,
            # State is optional in the model; a bundle described without one is taken as usable (as workspaces.py).
            state=str(raw.get("State", "AVAILABLE")),
            found_by=found_by,
            created=_stamp(raw.get("CreationTime")),
            image_id=str(raw.get("ImageId", "")),
        )
