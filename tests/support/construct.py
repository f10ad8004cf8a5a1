"""Helpers for the construct's template tests (the handler's tests have their own)."""

from __future__ import annotations

import importlib.util
import json
import re
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from cdk_workspaces_image import (
    CapturedWorkspaceImage,
    ComputeType,
    ImageBuilderWorkspaceImage,
    ImportedWorkspaceImage,
    IngestionProcess,
    OsVersion,
    StreamingProtocol,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImageCopy,
)
from support import ROOT

ACCOUNT = "111122223333"
REGION = "eu-west-1"
# Another Region of REGION's partition, to copy images to.
COPY_REGION = "eu-central-1"
NO_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}

PROPS: dict[str, Any] = {
    "source_image_id": "wsi-0123456789",
    "image_name": "golden",
    "description": "Golden image",
}


def new_stack(*, bundle: bool = False, outdir: str | None = None) -> cdk.Stack:
    app = cdk.App(context=None if bundle else NO_BUNDLING, outdir=outdir)
    return cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))


def image_stack(**overrides: Any) -> tuple[cdk.Stack, UpdatedWorkspaceImage]:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **{**PROPS, **overrides})
    return stack, image


def refused(message: str, *, whole: bool = True) -> AbstractContextManager[pytest.ExceptionInfo[ValueError]]:
    """Expect synth to refuse with this reason (`whole`), or with one that starts with it."""
    return pytest.raises(ValueError, match=f"^{re.escape(message)}{'$' if whole else ''}")


def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {logical_id: dict(resource) for logical_id, resource in template.find_resources(type_).items()}


def only(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def render(value: Any) -> Any:
    """A Fn::Join of literals and pseudo parameters as one string, spelled <AWS::Name> (like cdk-nag)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_spelled(part) for part in parts)
    return value


# The GUID part of the stack's id, which names the stack's watch rule.
STACK_GUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def _spelled(part: Any) -> str:
    if isinstance(part, str):
        return part
    if part == STACK_GUID:
        return "<GUID>"
    return f"<{part['Ref']}>"


def statements(template: Template) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def statement_sid(template: Template, sid: str) -> dict[str, Any]:
    matching = [s for s in statements(template) if s.get("Sid") == sid]
    assert len(matching) == 1, f"expected one statement {sid}, found {json.dumps(matching)}"
    return matching[0]


def sids(template: Template) -> list[str]:
    return sorted(str(s.get("Sid")) for s in statements(template))


def owned_by_this_stack(statement: dict[str, Any]) -> bool:
    """Whether the statement allows only resources carrying this stack's ownership tag (`<GUID>.*`)."""
    condition = statement.get("Condition", {})
    value = condition.get("StringLike", {}).get("aws:ResourceTag/cdk-workspaces-image:owner")
    return list(condition) == ["StringLike"] and render(value) == "<GUID>.*"


def statement_with(template: Template, action: str) -> dict[str, Any]:
    matching = [s for s in statements(template) if action in actions(s)]
    assert len(matching) == 1, f"expected one statement with {action}, found {json.dumps(matching)}"
    return matching[0]


def cdk_context() -> dict[str, Any]:
    """The context of cdk.json, which `cdk synth` gives the example app."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


def load_example_app() -> ModuleType:
    """app.py by path: the repository root is not a package and not on sys.path."""
    spec = importlib.util.spec_from_file_location("example_app", ROOT / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def every_resource_type(app: cdk.App, *, copies: bool = False) -> cdk.Stack:
    """An image, a bundle on it and apply_to_bundle of an unmanaged bundle, in a stack with an environment; with
    `copies`, also every type added after the snapshot's template: a copy of the image in another Region, a copy of
    an image another account shares, and an image captured from a WorkSpace, one imported from an AMI and one
    imported through EC2 Image Builder."""
    stack = cdk.Stack(app, "EveryResourceType", env=cdk.Environment(account=ACCOUNT, region=REGION))
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id="wsi-0123456789",
        image_name="golden",
        description="Golden image",
        tags={"team": "euc"},
        timeout=cdk.Duration.hours(5),
        copy_to_regions=[COPY_REGION] if copies else None,
    )
    if copies:
        WorkspaceImageCopy(
            stack, "Shared", source_image_id="wsi-9876543210", image_name="shared", description="Shared image"
        )
        image_sources(stack)
    WorkspaceBundle(
        stack,
        "Standard",
        image_id=image.image_id,
        bundle_name="golden-standard",
        description="Standard bundle",
        compute_type=ComputeType.STANDARD,
        user_storage_gib=50,
        root_storage_gib=80,
    )
    image.apply_to_bundle("wsb-0123456789", restore_on_delete=True)
    return stack


def image_sources(stack: cdk.Stack) -> None:
    """One image of each type made from something other than a WorkSpaces image."""
    CapturedWorkspaceImage(
        stack, "Captured", workspace_id="ws-0123456789", image_name="captured", description="Captured image"
    )
    ImportedWorkspaceImage(
        stack,
        "Imported",
        ec2_image_id="ami-0123456789abcdef0",
        ingestion_process=IngestionProcess.BYOL_REGULAR_WSP,
        image_name="imported",
        description="Imported image",
    )
    ImageBuilderWorkspaceImage(
        stack,
        "Built",
        image_build_version_arn=f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/win11/1.0.0/1",
        infrastructure_configuration_arn=f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:infrastructure-configuration/build",
        os_version=OsVersion.WINDOWS_11,
        protocol=StreamingProtocol.DCV,
        image_name="built",
        description="Image built by EC2 Image Builder",
    )
