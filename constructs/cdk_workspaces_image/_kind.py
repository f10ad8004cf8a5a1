"""A resource type of the construct side, declared once as data: its custom resource type name (from the contract),
the IAM statements the provider's role needs to serve it, and its defaults.

Each type's module declares its :class:`ResourceKind` (image.py ``IMAGE``, _copy.py ``COPY``, bundle.py ``BUNDLE``
and ``REPOINT``); the stack's one provider (_provider.py) grants a kind's statements when the first construct of
that kind asks (``allow``) and serves its custom resources (``serve``), knowing no type by name. A stack without a
kind has none of its statements, so adding a kind leaves the policies of stacks without it as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from aws_cdk import RemovalPolicy, Stack

from cdk_workspaces_image_handler import contract

# Every kind's default, as the constructs' docstrings say: kept on stack delete and replacement, deleted only when its
# first deployment rolls back.
DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE


@dataclass(frozen=True)
class PolicyContext:
    """What statements are made of in one stack, the same for every kind: made by the provider."""

    stack: Stack
    image_arns: str
    """The workspaceimage ARNs of the stack's account and Region (``workspaceimage/*``)."""
    owned_by_this_stack: str
    """The ownership tag's value pattern of this stack: the stack id's GUID first (kernel.Ownership)."""
    tag_keys: list[str]
    """The tag keys the stack's constructs set, rendered at synth (a list token)."""
    tag_keys_with_owner: list[str]
    """The same keys and the ownership key first, for tags given at creation."""

    def arns(self, resource: str, name: str, *, region: Optional[str] = None, account: Optional[str] = None) -> str:
        """WorkSpaces ARNs of `resource` named `name`; None for the stack's own Region or account."""
        return self.stack.format_arn(
            service="workspaces", resource=resource, resource_name=name, region=region, account=account
        )

    def images(self) -> str:
        """The resource of a statement on any image of the stack's account and Region."""
        return self.image_arns

    def owned(self) -> Mapping[str, Any]:
        """The condition that a resource carries this stack's ownership tag: writes to an existing image or bundle are
        allowed only on what carries it, so the role cannot touch what its stack never made."""
        return {"StringLike": {f"aws:ResourceTag/{contract.OWNER_TAG_KEY}": self.owned_by_this_stack}}

    def requested_by_this_stack(self) -> Mapping[str, Any]:
        """The condition that the request tags what it makes with this stack's ownership value."""
        return {"StringLike": {f"aws:RequestTag/{contract.OWNER_TAG_KEY}": self.owned_by_this_stack}}


def every_resource(_: PolicyContext) -> str:
    """For the actions that take no resource ARN (Service Authorization Reference)."""
    return "*"


@dataclass(frozen=True)
class Statement:
    """One statement of the provider's policy: its Sid, actions, and resource and conditions from the context.

    `resource` None: the statement names only what each construct of the kind adds (:class:`Named`).
    """

    sid: str
    actions: tuple[str, ...]
    resource: Optional[Callable[[PolicyContext], str]] = None
    conditions: Optional[Callable[[PolicyContext], Mapping[str, Any]]] = None


@dataclass(frozen=True)
class Permissions:
    """Statements the provider's role gets once per stack, when the first construct that needs them asks.

    `requires`: what several kinds share (tagging at creation, the images a bundle may use), granted first, once.
    `followed_by`: what several kinds share that is granted after the kind's own statements, once (what every image
    type may do to the images it made: _image_base.OWNED_IMAGES).
    `tag_keys`: tag keys the handler sets on resources of the kind besides the construct's own tags.
    `wildcard_reason`: why the statements' resources hold a wildcard, the cdk-nag AwsSolutions-IAM5 acknowledgement
    of each (None: they hold none, or the provider acknowledges ``*`` itself).
    """

    statements: tuple[Statement, ...]
    requires: tuple[Permissions, ...] = ()
    followed_by: tuple[Permissions, ...] = ()
    tag_keys: tuple[str, ...] = ()
    wildcard_reason: Optional[str] = None


@dataclass(frozen=True)
class Named:
    """An ARN one construct adds to statements of its kind (those with no `resource` of their own), once per stack:
    the Region a copy is made in, the image it copies, the bundle re-pointed. `reason`: its cdk-nag acknowledgement
    when the ARN holds a wildcard."""

    arn: str
    sids: tuple[str, ...]
    reason: Optional[str] = None


@dataclass(frozen=True)
class ResourceKind:
    """A custom resource type: its name in the template (contract), what the provider's role needs to serve it, and
    the removal policy of a construct that names none."""

    type_name: str
    permissions: Permissions
    removal_policy: RemovalPolicy = DEFAULT_REMOVAL_POLICY


def _tagged_at_creation(context: PolicyContext) -> Mapping[str, Any]:
    return {
        "ForAllValues:StringEquals": {"aws:TagKeys": context.tag_keys_with_owner},
        **context.requested_by_this_stack(),
    }


# Tags given at creation are authorized as CreateTags too: there the ownership key is allowed, and only with this
# stack's value. The image or bundle id is not known before it exists. Every kind that makes something requires it.
CREATING = Permissions(
    statements=(Statement("TagAtCreation", ("workspaces:CreateTags",), every_resource, _tagged_at_creation),),
)
