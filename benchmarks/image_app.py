"""This library in the floor's stack: N UpdatedWorkspaceImage (one provider per stack), no cdk-nag."""

from __future__ import annotations

import aws_cdk as cdk

from benchmarks import _props as p
from cdk_workspaces_image import UpdatedWorkspaceImage

if __name__ == "__main__":
    app = cdk.App()
    stack = cdk.Stack(app, p.STACK_NAME)
    hours = p.timeout_hours()
    count = p.images()
    for i in range(count):
        image = UpdatedWorkspaceImage(
            stack,
            p.construct_id(i, count),
            source_image_id=p.SOURCE_IMAGE_ID,
            image_name=p.image_name(i, count),
            description=p.DESCRIPTION,
            tags=p.TAGS,
            timeout=cdk.Duration.hours(hours) if hours else None,
        )
        cdk.CfnOutput(stack, f"{p.construct_id(i, count)}ImageId", value=image.image_id)
    app.synth()
