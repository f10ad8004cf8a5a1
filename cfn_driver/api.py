"""CloudFormation's read API, answered from the lifecycle driver's stacks: what a function it hosts (or a test) sees
when it asks CloudFormation about a stack while the driver plays an operation on it.

DescribeStacks, DescribeStackResource, DescribeStackResources, ListStackResources and GetTemplate, over the AWS query
protocol (botocore's `cloudformation` model), with IAM evaluated like every backend's. Sources: the API Reference pages
of each operation (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html,
API_DescribeStackResource.html, API_DescribeStackResources.html, API_ListStackResources.html, API_GetTemplate.html): a
stack is named by its name or its unique id, a deleted one by its id only; a stack that does not exist is a
ValidationError; DescribeStackResources takes StackName or PhysicalResourceId, never both, and answers at most 100
resources; GetTemplate answers the template of a running or deleted stack, as a JSON string for a JSON template, with
the stages available (Original, and Processed once transforms ran: the driver runs none, so both are the template it
plays). The driver has no change sets: GetTemplate's ChangeSetName is refused as a change set that does not exist. The
Service Authorization Reference for AWS CloudFormation
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html): each of these actions
(GetTemplate's is cloudformation:GetTemplate) acts on a stack,
arn:${Partition}:cloudformation:${Region}:${Account}:stack/${StackName}/${Id}; DescribeStacks without a StackName
describes every stack and needs ListStacks too (API_DescribeStacks). Undocumented, and chosen here as AWS's messages
show them: a stack named but not found is authorized as stack/<name>/* (so a caller without access learns nothing about
it), all stacks as stack/*/*; the words "Stack with id X does not exist" and "Resource X does not exist for stack Y"; a
refusal is AccessDenied, HTTP 403, as the SDKs are seen to receive it from CloudFormation ("AccessDenied: User: ... is
not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:...:stack/<name>/<id>
because no identity-based policy allows ...").

What the answers say, phase by phase, is the driver's: `Stack.status` and `Stack.reported` (cfn_driver.engine).
The driver changes them only on its own thread, which is waiting for the function that asks; so a request sees a
stack between two steps, never in the middle of one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from aws_emulator.iam import RequestContext
from aws_emulator.service import Backend, Params, ServiceError

if TYPE_CHECKING:
    from cfn_driver.engine import CloudFormation, Reported, Stack

# DescribeStackResources: "Only the first 100 resources will be returned"; ListStackResources' page size is
# undocumented, 100 here too.
MAX_RESOURCES = 100


class CloudFormationAPI(Backend):
    """The driver's stacks, as CloudFormation's read API describes them. `page_size` is ListStackResources' and
    DescribeStacks' page size (tests make it small to page)."""

    service_name = "cloudformation"
    # The query protocol has no X-Amz-Target: requests are routed by the signature's service name.
    target_prefix = ""
    iam_prefix = "cloudformation"
    validation_error_code = "ValidationError"
    front_door_errors: ClassVar[dict[str, tuple[str, int]]] = {
        "AccessDeniedException": ("AccessDenied", 403),
        # The common errors pages: an access key the service does not know is InvalidClientTokenId (403).
        "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    }

    def __init__(self, driver: CloudFormation) -> None:
        super().__init__(driver.clock.now, driver.account, driver.region)
        self.driver = driver
        self.page_size = MAX_RESOURCES

    # -- finding stacks ----------------------------------------------------------------

    def _find(self, name_or_id: str) -> Stack | None:
        if name_or_id.startswith("arn:"):
            return self.driver.stack_ids.get(name_or_id)
        stack = self.driver.stacks.get(name_or_id)
        return stack if stack is not None and stack.status != "DELETE_COMPLETE" else None

    def _stack(self, name_or_id: str) -> Stack:
        stack = self._find(name_or_id)
        if stack is None:
            raise self.invalid(f"Stack with id {name_or_id} does not exist")
        return stack

    def _stack_arn(self, name_or_id: str) -> str:
        stack = self._find(name_or_id)
        if stack is not None:
            return stack.stack_id
        if name_or_id.startswith("arn:"):
            return name_or_id
        return f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{name_or_id}/*"

    def _stack_of(self, physical_id: str) -> Stack:
        for stack in list(self.driver.stack_ids.values()):
            if any(r.physical_id == physical_id for r in list(stack.reported.values())):
                return stack
        raise self.invalid(f"Stack for {physical_id} does not exist")

    # -- authorization -----------------------------------------------------------------

    def _on_stack(self, operation: str, name_or_id: str) -> list[RequestContext]:
        return [RequestContext(self.action(operation), self._stack_arn(name_or_id), {})]

    def _authorize_describe_stacks(self, params: Params) -> list[RequestContext]:
        if "StackName" in params:
            return self._on_stack("DescribeStacks", params["StackName"])
        every = f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/*/*"
        return [RequestContext(self.action(a), every, {}) for a in ("DescribeStacks", "ListStacks")]

    def _authorize_describe_stack_resource(self, params: Params) -> list[RequestContext]:
        return self._on_stack("DescribeStackResource", params["StackName"])

    def _authorize_describe_stack_resources(self, params: Params) -> list[RequestContext]:
        if "StackName" in params:
            return self._on_stack("DescribeStackResources", params["StackName"])
        try:
            arn = self._stack_of(str(params.get("PhysicalResourceId", ""))).stack_id
        except ServiceError:
            arn = f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/*/*"
        return [RequestContext(self.action("DescribeStackResources"), arn, {})]

    def _authorize_list_stack_resources(self, params: Params) -> list[RequestContext]:
        return self._on_stack("ListStackResources", params["StackName"])

    def _authorize_get_template(self, params: Params) -> list[RequestContext]:
        return self._on_stack("GetTemplate", str(params.get("StackName", "")))

    # -- operations --------------------------------------------------------------------

    def _describe_stacks(self, params: Params) -> Params:
        if "StackName" in params:
            stacks = [self._stack(params["StackName"])]
        else:
            stacks = [s for s in list(self.driver.stack_ids.values()) if s.status != "DELETE_COMPLETE"]
        page, token = self.page(stacks, params.get("NextToken"), self.page_size, {"StackName": params.get("StackName")})
        answer: Params = {"Stacks": [self._described(stack) for stack in page]}
        if token:
            answer["NextToken"] = token
        return answer

    def _describe_stack_resource(self, params: Params) -> Params:
        stack = self._stack(params["StackName"])
        reported = stack.reported.get(params["LogicalResourceId"])
        if reported is None:
            raise self.invalid(f"Resource {params['LogicalResourceId']} does not exist for stack {stack.name}")
        detail = self._resource(stack, reported, "LastUpdatedTimestamp")
        return {"StackResourceDetail": detail}

    def _describe_stack_resources(self, params: Params) -> Params:
        if ("StackName" in params) == ("PhysicalResourceId" in params):
            raise self.invalid("Either StackName or PhysicalResourceId must be specified, but not both")
        if "StackName" in params:
            stack = self._stack(params["StackName"])
        else:
            stack = self._stack_of(params["PhysicalResourceId"])
        wanted = params.get("LogicalResourceId")
        found = [r for r in list(stack.reported.values()) if wanted in (None, r.logical_id)]
        return {"StackResources": [self._resource(stack, r, "Timestamp") for r in found[:MAX_RESOURCES]]}

    def _list_stack_resources(self, params: Params) -> Params:
        stack = self._stack(params["StackName"])
        every = list(stack.reported.values())
        page, token = self.page(every, params.get("NextToken"), self.page_size, {"StackId": stack.stack_id})
        summaries = []
        for reported in page:
            summary = self._resource(stack, reported, "LastUpdatedTimestamp")
            summaries.append({k: v for k, v in summary.items() if k not in ("StackName", "StackId")})
        answer: Params = {"StackResourceSummaries": summaries}
        if token:
            answer["NextToken"] = token
        return answer

    def _get_template(self, params: Params) -> Params:
        # StackName is optional in the model only because a change set may name the stack instead.
        if "ChangeSetName" in params:
            raise self.invalid(f"ChangeSet [{params['ChangeSetName']}] does not exist")
        if not params.get("StackName"):
            raise self.invalid("StackName or ChangeSetName must be specified")
        stack = self._stack(params["StackName"])
        return {"TemplateBody": json.dumps(stack.template), "StagesAvailable": ["Original", "Processed"]}

    # -- shapes ------------------------------------------------------------------------

    def _described(self, stack: Stack) -> Params:
        described: Params = {
            "StackId": stack.stack_id,
            "StackName": stack.name,
            "CreationTime": stack.created,
            "StackStatus": stack.status,
            "DisableRollback": False,
        }
        if stack.status_reason:
            described["StackStatusReason"] = stack.status_reason
        if stack.last_updated is not None:
            described["LastUpdatedTime"] = stack.last_updated
        if stack.deleted is not None:
            described["DeletionTime"] = stack.deleted
        if stack.outputs and stack.status != "DELETE_COMPLETE":
            described["Outputs"] = [{"OutputKey": k, "OutputValue": _text(v)} for k, v in stack.outputs.items()]
        return described

    @staticmethod
    def _resource(stack: Stack, reported: Reported, time_member: str) -> Params:
        resource: Params = {
            "StackName": stack.name,
            "StackId": stack.stack_id,
            "LogicalResourceId": reported.logical_id,
            "ResourceType": reported.type,
            time_member: reported.updated,
            "ResourceStatus": reported.status,
        }
        if reported.physical_id:
            resource["PhysicalResourceId"] = reported.physical_id
        if reported.reason:
            resource["ResourceStatusReason"] = reported.reason
        return resource


def _text(value: Any) -> str:
    # An output's value is a string; a list (a CommaDelimitedList, say) is written as CloudFormation joins it.
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)
