#!/usr/bin/env python3
"""Integ test: an updated WorkSpaces image applied to a bundle the stack does not manage (apply_to_bundle).

Deployed for real, this takes hours: CreateUpdatedWorkspaceImage makes the image and the stack waits until it
is AVAILABLE (up to 12 hours here), then points the user's bundle at it. The assertions check that
DescribeWorkspaceImages reports the image AVAILABLE and that DescribeWorkspaceBundles shows the bundle on it.
Destroy points the bundle back at its previous image (restore_on_delete), then deletes the image.
The ids come from the context values ``source_image_id`` and ``bundle_id``, which scripts/integ-deploy.sh sets
from ``INTEG_SOURCE_IMAGE_ID`` and ``INTEG_BUNDLE_ID``; the committed snapshot holds placeholders (harness.py).
"""

from __future__ import annotations

import aws_cdk as cdk
from harness import BUNDLE_ID, image_under_test, integ_test, run


def build(app: cdk.App) -> None:
    under_test = image_under_test(
        app,
        "WorkspacesImageIntegApplyToBundle",
        "cdk-workspaces-image integ test: an updated WorkSpaces image applied to an existing bundle. Creating it "
        "waits hours, until the image is AVAILABLE; deleting it points the bundle back and deletes the image.",
        image_name="cdk-wsi-integ-apply-to-bundle",
    )
    bundle_id = BUNDLE_ID.value(under_test.stack)
    # A fixed construct id: the default one is made of the bundle id, which a real run changes.
    under_test.image.apply_to_bundle(bundle_id, restore_on_delete=True, construct_id="ApplyToExistingBundle")
    integ_test(app, "ImageAppliedToBundle", under_test, bundle_id)


if __name__ == "__main__":
    run(build)
