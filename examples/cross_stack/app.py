#!/usr/bin/env python3
"""Two stacks: one makes the image and writes its id to an SSM parameter; the other builds a bundle on it.

The id crosses over in the parameter, not in a CloudFormation export: CloudFormation refuses to change an export
another stack imports, which would block next month's new image. The consumer reads the parameter afresh at each
deploy, so it can live in another app, and deploy on its own schedule.

cdk deploy --all -c source_image_id=wsi-xxxxxxxxx [-c image_name=golden-2026-11]
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ssm as ssm
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle

# The only thing the two stacks share: a name, known to both at synth.
IMAGE_ID_PARAMETER = "/cdk-workspaces-image/examples/cross-stack/image-id"
DEFAULT_IMAGE_NAME = "golden-cross-stack"


class ImageStack(cdk.Stack):
    """Stack A: the image, and the parameter that hands its id over (written once the image is AVAILABLE)."""

    def __init__(self, scope: Construct, construct_id: str, *, source_image_id: str, image_name: str) -> None:
        super().__init__(scope, construct_id, description="cdk-workspaces-image example: the image (producer)")
        image = UpdatedWorkspaceImage(
            self,
            "Golden",
            source_image_id=source_image_id,
            image_name=image_name,
            description="Golden image with the latest WorkSpaces updates",
            # The default removal policy keeps a replaced image: the consumer's bundle still uses it until the
            # consumer deploys again. Delete old images yourself once no bundle uses them.
        )
        ssm.StringParameter(
            self,
            "ImageIdParameter",
            parameter_name=IMAGE_ID_PARAMETER,
            string_value=image.image_id,
            description="Id of the golden WorkSpaces image, for other stacks",
        )


class BundleStack(cdk.Stack):
    """Stack B: a bundle on whatever image the parameter names when this stack deploys."""

    def __init__(self, scope: Construct, construct_id: str, *, image_id_parameter: str) -> None:
        super().__init__(scope, construct_id, description="cdk-workspaces-image example: a bundle (consumer)")
        # A template parameter of type AWS::SSM::Parameter::Value<String>: CloudFormation reads the value at each
        # deploy, and the CDK CLI never skips deploying a stack that has one.
        # The import creates nothing and grants nothing on the image: this stack never changes or deletes it.
        image = UpdatedWorkspaceImage.from_image_id(
            self, "Golden", ssm.StringParameter.value_for_string_parameter(self, image_id_parameter)
        )
        bundle = WorkspaceBundle(
            self,
            "Standard",
            image_id=image,
            bundle_name="golden-cross-stack-standard",
            description="Standard bundle on the golden image",
            compute_type=ComputeType.STANDARD,
            user_storage_gib=50,
            root_storage_gib=80,
        )
        cdk.CfnOutput(self, "BundleId", value=bundle.bundle_id)


def build_app(app: cdk.App) -> tuple[ImageStack, BundleStack]:
    """Both stacks, built in `app` from its context: source_image_id (required) and image_name."""
    source_image_id = app.node.try_get_context("source_image_id")
    if not source_image_id:
        raise ValueError("set the context value source_image_id: cdk deploy --all -c source_image_id=wsi-...")
    images = ImageStack(
        app,
        "GoldenImage",
        source_image_id=str(source_image_id),
        image_name=str(app.node.try_get_context("image_name") or DEFAULT_IMAGE_NAME),
    )
    bundles = BundleStack(app, "GoldenBundle", image_id_parameter=IMAGE_ID_PARAMETER)
    # Order only (`cdk deploy --all` deploys the image first): a stack dependency makes no export.
    bundles.add_stack_dependency(images, "reads the image id parameter that GoldenImage writes")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return images, bundles


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
