"""The floor: one Lambda function from a tiny local asset plus one CustomResource per image with the properties
UpdatedWorkspaceImage gives its resource (less WaitHandle: the floor has no wait condition). Nothing waits."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from benchmarks import _props as p

ASSET = Path(__file__).resolve().parent / "floor_asset"

if __name__ == "__main__":
    app = cdk.App()
    stack = cdk.Stack(app, p.STACK_NAME)
    function = lambda_.Function(
        stack,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
        handler="index.handler",
        code=lambda_.Code.from_asset(str(ASSET)),
    )
    count = p.images()
    for i in range(count):
        resource = cdk.CustomResource(
            stack,
            p.construct_id(i, count),
            service_token=function.function_arn,
            resource_type="Custom::UpdatedWorkspaceImage",
            properties={
                "SourceImageId": p.SOURCE_IMAGE_ID,
                "Name": p.image_name(i, count),
                "Description": p.DESCRIPTION,
                "TimeoutSeconds": p.TIMEOUT_SECONDS,
                "NoUpdateBehavior": p.NO_UPDATE_BEHAVIOR,
                "Tags": [{"Key": k, "Value": v} for k, v in sorted(p.TAGS.items())],
            },
            service_timeout=cdk.Duration.seconds(p.SERVICE_TIMEOUT_SECONDS),
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        cdk.CfnOutput(stack, f"{p.construct_id(i, count)}ImageId", value=resource.get_att_string("ImageId"))
    app.synth()
