#!/usr/bin/env python3
"""The smallest app: one updated WorkSpaces image and an output with its id.

cdk deploy -c source_image_id=wsi-xxxxxxxxx [-c image_name=golden-2026-11]
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from cdk_workspaces_image import UpdatedWorkspaceImage

DEFAULT_IMAGE_NAME = "golden-minimal"


def build_app(app: cdk.App) -> cdk.Stack:
    """The example's one stack, built in `app` from its context: source_image_id (required) and image_name."""
    source_image_id = app.node.try_get_context("source_image_id")
    if not source_image_id:
        raise ValueError("set the context value source_image_id: cdk deploy -c source_image_id=wsi-...")
    stack = cdk.Stack(app, "MinimalWorkspaceImage", description="cdk-workspaces-image example: one updated image")
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=str(source_image_id),
        image_name=str(app.node.try_get_context("image_name") or DEFAULT_IMAGE_NAME),
        description="Golden image with the latest WorkSpaces updates",
    )
    # Resolves once the image is AVAILABLE: the deployment ends only then (3 hours at most, the default timeout).
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    # cdk-nag's AwsSolutions pack runs at synth; any finding fails it.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
