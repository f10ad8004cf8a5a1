#!/usr/bin/env python3
"""Example app: an updated WorkSpaces image and a bundle on it, checked by cdk-nag's AwsSolutions pack at synth."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ssm as ssm
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

# Installed from this checkout by requirements.txt (`-e .`); constructs/ is its source folder.
from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle

DEFAULT_IMAGE_NAME = "golden-updated"
DEFAULT_BUNDLE_NAME = "golden-standard"
IMAGE_ID_PARAMETER = "/cdk-workspaces-image/example/golden-image-id"


class WorkspacesImageExample(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, source_image_id: str, image_name: str, bundle_name: str
    ) -> None:
        super().__init__(
            scope, construct_id, description="cdk-workspaces-image example: an updated WorkSpaces image and its bundle"
        )
        image = UpdatedWorkspaceImage(
            self,
            "Golden",
            source_image_id=source_image_id,
            image_name=image_name,
            description="Golden image with the latest WorkSpaces updates",
            tags={"team": "euc"},
        )
        # A new image next month updates this bundle in place: same BundleId, new ImageId.
        bundle = WorkspaceBundle(
            self,
            "Standard",
            image_id=image,
            bundle_name=bundle_name,
            description="Standard bundle on the golden image",
            compute_type=ComputeType.STANDARD,
            user_storage_gib=50,
            root_storage_gib=80,
            tags={"team": "euc"},
        )
        cdk.CfnOutput(self, "ImageId", value=image.image_id)
        cdk.CfnOutput(self, "BundleId", value=bundle.bundle_id)
        # For other stacks: an SSM parameter, not an export. CloudFormation refuses to change an export another
        # stack imports, which would block next month's new image; a parameter is read afresh at each deploy.
        ssm.StringParameter(self, "ImageIdParameter", parameter_name=IMAGE_ID_PARAMETER, string_value=image.image_id)


def build_app(app: cdk.App) -> WorkspacesImageExample:
    source_image_id = app.node.try_get_context("source_image_id")
    if not source_image_id:
        raise ValueError("set the context value source_image_id (cdk.json or -c source_image_id=wsi-...)")
    image_name = app.node.try_get_context("image_name") or DEFAULT_IMAGE_NAME
    bundle_name = app.node.try_get_context("bundle_name") or DEFAULT_BUNDLE_NAME
    stack = WorkspacesImageExample(
        app,
        "WorkspacesImageExample",
        source_image_id=str(source_image_id),
        image_name=str(image_name),
        bundle_name=str(bundle_name),
    )
    # cdk-nag 3 runs as a policy-validation plugin: any finding fails synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
