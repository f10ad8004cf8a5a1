#!/usr/bin/env python3
"""A WorkSpace you configured by hand, captured into an image, and an output of its id.

cdk deploy -c workspace_id=ws-xxxxxxxxx [-c image_name=captured-2026-12]
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from cdk_workspaces_image import CapturedWorkspaceImage

DEFAULT_IMAGE_NAME = "captured-golden"


def build_app(app: cdk.App) -> cdk.Stack:
    """The example's one stack, built in `app` from its context: workspace_id (required) and image_name."""
    workspace_id = app.node.try_get_context("workspace_id")
    if not workspace_id:
        raise ValueError("set the context value workspace_id: cdk deploy -c workspace_id=ws-...")
    stack = cdk.Stack(app, "CapturedWorkspaceImage", description="cdk-workspaces-image example: a captured WorkSpace")
    image = CapturedWorkspaceImage(
        stack,
        "Golden",
        workspace_id=str(workspace_id),
        image_name=str(app.node.try_get_context("image_name") or DEFAULT_IMAGE_NAME),
        description="Golden image captured from a configured WorkSpace",
    )
    # Resolves once the image is AVAILABLE.
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
