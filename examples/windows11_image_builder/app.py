#!/usr/bin/env python3
"""A Windows 11 golden image built by EC2 Image Builder, imported into WorkSpaces as a BYOL image, and a bundle on it,
all in one stack.

cdk deploy -c parent_image=ami-xxxxxxxxxxxxxxxxx [-c image_name=win11-golden-2026-12]

parent_image: your licensed Windows 11 AMI (BYOL: the account must be enabled for it in the Region).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from cdk_nag import AwsSolutionsChecks

from cdk_workspaces_image import (
    ComputeType,
    ImageBuilderWorkspaceImage,
    OsVersion,
    StreamingProtocol,
    WorkspaceBundle,
)

DEFAULT_IMAGE_NAME = "win11-golden"


def build_app(app: cdk.App) -> cdk.Stack:
    """The example's one stack, built in `app` from its context: parent_image (required) and image_name."""
    parent_image = app.node.try_get_context("parent_image")
    if not parent_image:
        raise ValueError("set the context value parent_image: cdk deploy -c parent_image=ami-...")
    stack = cdk.Stack(
        app, "Windows11GoldenImage", description="cdk-workspaces-image example: Windows 11 through EC2 Image Builder"
    )

    # The instance EC2 Image Builder builds and tests on, and the import's own build, run with this profile
    # (the AWS managed policies of https://docs.aws.amazon.com/imagebuilder/latest/userguide/security-iam-awsmanpol.html).
    role = iam.Role(
        stack,
        "BuildInstanceRole",
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("EC2InstanceProfileForImageBuilder"),
            iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"),
        ],
    )
    cdk.Validations.of(role).acknowledge(
        *(
            cdk.Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
                reason="The AWS managed policies EC2 Image Builder documents for its build instances",
            )
            for name in ("EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore")
        )
    )
    profile = iam.CfnInstanceProfile(stack, "BuildInstanceProfile", roles=[role.role_name])
    infrastructure = imagebuilder.CfnInfrastructureConfiguration(
        stack,
        "Infrastructure",
        name=f"{stack.stack_name}-build",
        instance_profile_name=profile.ref,
        instance_types=["m5.large"],
    )
    recipe = imagebuilder.CfnImageRecipe(
        stack,
        "Recipe",
        name=f"{stack.stack_name}-win11",
        version="1.0.0",
        parent_image=str(parent_image),
        components=[
            imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(
                component_arn=stack.format_arn(
                    service="imagebuilder",
                    account="aws",
                    resource="component",
                    resource_name="update-windows/x.x.x",
                )
            )
        ],
    )
    build = imagebuilder.CfnImage(
        stack,
        "Build",
        image_recipe_arn=recipe.attr_arn,
        infrastructure_configuration_arn=infrastructure.attr_arn,
    )

    # The build's ARN is a token: WorkSpaces imports it once CloudFormation has built it.
    image = ImageBuilderWorkspaceImage(
        stack,
        "Golden",
        image_build_version_arn=build.attr_arn,
        infrastructure_configuration_arn=infrastructure.attr_arn,
        os_version=OsVersion.WINDOWS_11,
        protocol=StreamingProtocol.DCV,
        image_name=str(app.node.try_get_context("image_name") or DEFAULT_IMAGE_NAME),
        description="Windows 11 golden image built by EC2 Image Builder",
        timeout=cdk.Duration.hours(6),
    )
    bundle = WorkspaceBundle(
        stack,
        "Standard",
        image_id=image.image_id,
        bundle_name=f"{DEFAULT_IMAGE_NAME}-standard",
        description="Standard Windows 11 desktops",
        compute_type=ComputeType.STANDARD,
        user_storage_gib=50,
        root_storage_gib=80,
    )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    cdk.CfnOutput(stack, "BundleId", value=bundle.bundle_id)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
