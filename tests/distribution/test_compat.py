"""The fallbacks for older aws-cdk-lib releases, in this environment's aws-cdk-lib: cdk-nag 2 suppressions as
cdk-nag 2 writes them. test_oldest.py runs every fallback for real, on the oldest supported release."""

from __future__ import annotations

import base64

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from cdk_workspaces_image import _compat

REASON = "The id of a new image is chosen by WorkSpaces, so it cannot be named in advance"


def test_a_finding_goes_into_applies_to() -> None:
    assert _compat.nag2_suppression("AwsSolutions-IAM5[Resource::*]", REASON) == {
        "reason": REASON,
        "id": "AwsSolutions-IAM5",
        "applies_to": ["Resource::*"],
    }
    assert _compat.nag2_suppression("AwsSolutions-DDB3", REASON) == {"reason": REASON, "id": "AwsSolutions-DDB3"}


def test_a_reason_past_latin_1_is_base64_as_cdk_nag_2_writes_it() -> None:
    reason = "Waits only → nothing to restore"
    entry = _compat.nag2_suppression("AwsSolutions-DDB3", reason)
    assert entry["is_reason_encoded"] is True
    assert base64.b64decode(entry["reason"]).decode() == reason


def test_without_validations_acknowledgments_merge_into_every_resource_below(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compat, "has_validations", lambda: False)
    stack = cdk.Stack(cdk.App(), "Compat")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["workspaces:DescribeTags"], resources=["*"]))
    _compat.acknowledge(role, {"AwsSolutions-IAM5[Resource::*]": REASON})
    _compat.acknowledge(role, {"AwsSolutions-IAM5[Resource::*]": REASON, "AwsSolutions-IAM4": REASON})

    expected = [
        {"reason": REASON, "id": "AwsSolutions-IAM5", "applies_to": ["Resource::*"]},
        {"reason": REASON, "id": "AwsSolutions-IAM4"},
    ]
    resources = [c for c in role.node.find_all() if isinstance(c, cdk.CfnResource)]
    assert {r.cfn_resource_type for r in resources} == {"AWS::IAM::Role", "AWS::IAM::Policy"}
    for resource in resources:
        assert resource.get_metadata(_compat.NAG_METADATA_KEY) == {"rules_to_suppress": expected}


def test_this_aws_cdk_lib_takes_the_newer_apis() -> None:
    assert _compat.has_validations()
    assert _compat._takes(lambda_.Function, "log_group")
    assert _compat._takes(cdk.CustomResource, "service_timeout")
    assert not _compat._takes(lambda_.Function, "no_such_prop")
    assert _compat.python_runtime().runtime_equals(lambda_.Runtime.PYTHON_3_14)


def test_with_cdk_managed_log_groups_the_provider_still_has_one_log_group() -> None:
    """Under the recommended flag ``useCdkManagedLogGroup`` (``cdk init`` and integ-runner turn it on), a function
    made without ``log_group`` gets a log group of its own beside the provider's: a second, retained one. The
    fallback must be taken only where ``log_group`` is missing."""
    from aws_cdk.assertions import Template

    from cdk_workspaces_image import UpdatedWorkspaceImage

    app = cdk.App(context={"@aws-cdk/aws-lambda:useCdkManagedLogGroup": True, "aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Flags")
    UpdatedWorkspaceImage(stack, "Golden", source_image_id="wsi-0123456789", image_name="g", description="Golden")
    template = Template.from_stack(stack)
    (log_group,) = template.find_resources("AWS::Logs::LogGroup")
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    assert function["Properties"]["LoggingConfig"]["LogGroup"] == {"Ref": log_group}


def test_without_add_warning_v2_the_warning_is_a_plain_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on aws-cdk-lib before 2.93.0: the same message, with no id to acknowledge it by."""
    said: list[tuple[str, ...]] = []

    class Before293:
        def add_warning(self, message: str) -> None:
            said.append((message,))

    monkeypatch.setattr(cdk.Annotations, "of", lambda scope: Before293())
    _compat.warn(cdk.App(), "cdk-workspaces-image:export", "do not export")
    assert said == [("do not export",)]
