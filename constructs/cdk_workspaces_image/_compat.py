"""What older aws-cdk-lib 2.x releases lack, and how this library does without it.

The library asks for ``aws-cdk-lib>=FLOOR,<3`` (FLOOR in pyproject.toml and constraints-oldest.txt), so an app
may bring any release from the floor on. Each API below is detected by looking for it, never by comparing version
numbers, and its fallback writes the template the newer API writes (tests/distribution/test_oldest.py compares
them). Each "from" below is the first release whose wheel has the API.

The floor, 2.90.0, is the first release with ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``, the default removal
policy of images and bundles: without it the constructs cannot keep their documented default.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import aws_cdk
from aws_cdk import CfnResource, CustomResource, Duration, RemovalPolicy, Tokenization
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

if TYPE_CHECKING:
    # Only for the checker (PEP 692 on Python 3.11); typing_extensions ships with jsii anyway.
    from typing_extensions import Unpack

# cdk-nag 2's NagSuppressions keeps its suppressions under this metadata key of each CfnResource
# (https://github.com/cdklabs/cdk-nag#suppressing-a-rule).
NAG_METADATA_KEY = "cdk_nag"


def _takes(cls: type[Any], keyword: str) -> bool:
    """Whether a jsii-generated class's initializer takes this keyword argument (each prop is a named parameter).

    The class itself is no help: jsii's metaclass makes ``inspect.signature(cls)`` ``(*args, **kwargs)``, which
    would send every release down the fallback.
    """
    return keyword in inspect.signature(cls.__init__).parameters


def warn(scope: IConstruct, warning_id: str, message: str) -> None:
    """A synth warning. ``Annotations.add_warning_v2``, whose id lets an app acknowledge the warning
    (https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/Annotations.html), is there from 2.93.0; before, the
    same message is a plain warning, which cannot be acknowledged."""
    annotations = aws_cdk.Annotations.of(scope)
    if hasattr(annotations, "add_warning_v2"):
        annotations.add_warning_v2(warning_id, message)
    else:
        annotations.add_warning(message)


def has_validations() -> bool:
    """``Validations`` and ``Acknowledgment``, the record of acknowledged findings that cdk-nag 3 reads
    (https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/Validations.html): from 2.251.0."""
    return hasattr(aws_cdk, "Validations") and hasattr(aws_cdk, "Acknowledgment")


def python_runtime() -> lambda_.Runtime:
    """Lambda's Python 3.14 runtime. ``Runtime.PYTHON_3_14`` is there from 2.222.0; before, a Runtime made by
    name renders the same ``Runtime: python3.14``
    (https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_lambda/Runtime.html)."""
    runtime = getattr(lambda_.Runtime, "PYTHON_3_14", None)
    if isinstance(runtime, lambda_.Runtime):
        return runtime
    return lambda_.Runtime("python3.14", lambda_.RuntimeFamily.PYTHON)


class FunctionProps(TypedDict, total=False):
    """The ``Function`` props the provider passes beside ``log_group``, typed so mypy checks them through
    :func:`function` (each exists in every supported release)."""

    description: str
    runtime: lambda_.Runtime
    handler: str
    code: lambda_.Code
    memory_size: int
    timeout: Duration
    role: iam.IRole
    environment: Mapping[str, str]


def function(
    scope: Construct, construct_id: str, *, log_group: logs.ILogGroup, **props: Unpack[FunctionProps]
) -> lambda_.Function:
    """A Lambda function that logs to ``log_group``. ``Function(log_group=...)`` is there from 2.110.0; before,
    ``LoggingConfig.LogGroup`` is written as that prop writes it
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-loggingconfig.html)."""
    if _takes(lambda_.Function, "log_group"):
        return lambda_.Function(scope, construct_id, log_group=log_group, **props)
    made = lambda_.Function(scope, construct_id, **props)
    _l1(made).add_property_override("LoggingConfig.LogGroup", log_group.log_group_name)
    return made


def custom_resource(
    scope: Construct,
    construct_id: str,
    *,
    service_token: str,
    resource_type: str,
    properties: Mapping[str, Any],
    removal_policy: RemovalPolicy,
    service_timeout: Duration,
) -> CustomResource:
    """A custom resource with its ServiceTimeout. ``CustomResource(service_timeout=...)`` is there from 2.174.0;
    before, the property is written as that prop writes it, a string of seconds
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-customresource.html)."""
    props: dict[str, Any] = {
        "service_token": service_token,
        "resource_type": resource_type,
        "properties": dict(properties),
        "removal_policy": removal_policy,
    }
    if _takes(CustomResource, "service_timeout"):
        return CustomResource(scope, construct_id, service_timeout=service_timeout, **props)
    made = CustomResource(scope, construct_id, **props)
    _l1(made).add_property_override("ServiceTimeout", Tokenization.stringify_number(service_timeout.to_seconds()))
    return made


def acknowledge(construct: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledges cdk-nag findings on ``construct`` and everything under it, each id (``Rule`` or
    ``Rule[finding]``) with its reason.

    Without ``Validations`` (see :func:`has_validations`) the same acknowledgments are written as cdk-nag 2
    suppressions, merged into each CfnResource's ``cdk_nag`` metadata as ``NagSuppressions.
    add_resource_suppressions(construct, ..., apply_to_children=True)`` would: a finding goes into
    ``applies_to``, and a reason with characters past Latin-1 is base64-encoded, as cdk-nag 2 does.
    """
    if has_validations():
        aws_cdk.Validations.of(construct).acknowledge(
            *(aws_cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in reasons.items())
        )
        return
    rules = [nag2_suppression(rule, reason) for rule, reason in reasons.items()]
    for child in construct.node.find_all():
        resource = child.node.default_child or child
        if isinstance(resource, CfnResource):
            existing = (resource.get_metadata(NAG_METADATA_KEY) or {}).get("rules_to_suppress", [])
            resource.add_metadata(NAG_METADATA_KEY, {"rules_to_suppress": _unique([*existing, *rules])})


def nag2_suppression(rule: str, reason: str) -> dict[str, Any]:
    """One entry of cdk-nag 2's ``rules_to_suppress``: keys in the order its NagSuppressionHelper writes them."""
    rule_id, bracket, finding = rule.partition("[")
    entry: dict[str, Any] = {"reason": reason, "id": rule_id}
    if bracket:
        entry["applies_to"] = [finding.removesuffix("]")]
    if any(ord(c) > 255 for c in reason):
        entry["reason"] = base64.b64encode(reason.encode()).decode()
        entry["is_reason_encoded"] = True
    return entry


def _unique(rules: list[Any]) -> list[Any]:
    kept: list[Any] = []
    for rule in rules:
        if rule not in kept:
            kept.append(rule)
    return kept


def _l1(construct: IConstruct) -> CfnResource:
    resource = construct.node.default_child
    assert isinstance(resource, CfnResource)
    return resource
