#!/usr/bin/env python3
"""Integ test: an updated WorkSpaces image and a WorkspaceBundle on it.

Deployed for real, this takes hours: CreateUpdatedWorkspaceImage makes the image and the stack waits until it
is AVAILABLE (up to 12 hours here). The assertions then check that DescribeWorkspaceImages reports the image
AVAILABLE and that DescribeWorkspaceBundles shows the bundle on it. Destroy deletes the bundle, then the image.
The source image comes from the context value ``source_image_id``, which scripts/integ-deploy.sh sets from
``INTEG_SOURCE_IMAGE_ID``; the committed snapshot holds a placeholder (harness.py).
"""

from __future__ import annotations

import aws_cdk as cdk
from harness import TAGS, deployed_once, image_under_test, integ_test, run

from cdk_workspaces_image import ComputeType, WorkspaceBundle


def build(app: cdk.App) -> None:
    under_test = image_under_test(
        app,
        "WorkspacesImageIntegBundle",
        "cdk-workspaces-image integ test: an updated WorkSpaces image and a bundle on it. Creating it waits hours, "
        "until the image is AVAILABLE; deleting it deletes both.",
        image_name="cdk-wsi-integ-image-bundle",
    )
    bundle = WorkspaceBundle(
        under_test.stack,
        "Standard",
        image_id=under_test.image.image_id,
        bundle_name="cdk-wsi-integ-bundle",
        description="cdk-workspaces-image integ test - deleted with its stack",
        compute_type=ComputeType.STANDARD,
        user_storage_gib=50,
        root_storage_gib=80,
        tags=TAGS,
        # Deleted with the stack, before the image (it uses it): WorkSpaces refuses to delete an image a bundle uses.
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    deployed_once(bundle)
    integ_test(app, "ImageWithBundle", under_test, bundle.bundle_id)


if __name__ == "__main__":
    run(build)
