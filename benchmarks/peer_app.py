"""The peer that cannot wait: AwsCustomResource making the same CreateUpdatedWorkspaceImage call, once per image.

It answers CloudFormation as soon as WorkSpaces returns the ImageId, while the image is still PENDING.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr

from benchmarks import _props as p

if __name__ == "__main__":
    app = cdk.App()
    stack = cdk.Stack(app, p.STACK_NAME)
    count = p.images()
    for i in range(count):
        call = cr.AwsSdkCall(
            service="WorkSpaces",
            action="CreateUpdatedWorkspaceImage",
            parameters={
                "SourceImageId": p.SOURCE_IMAGE_ID,
                "Name": p.image_name(i, count),
                "Description": p.DESCRIPTION,
                "Tags": [{"Key": k, "Value": v} for k, v in sorted(p.TAGS.items())],
            },
            physical_resource_id=cr.PhysicalResourceId.from_response("ImageId"),
        )
        resource = cr.AwsCustomResource(
            stack,
            p.construct_id(i, count),
            on_create=call,
            # Tagging at creation needs CreateTags too (Service Authorization Reference); neither takes a known ARN.
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["workspaces:CreateUpdatedWorkspaceImage", "workspaces:CreateTags"], resources=["*"]
                    )
                ]
            ),
            install_latest_aws_sdk=False,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        cdk.CfnOutput(stack, f"{p.construct_id(i, count)}ImageId", value=resource.get_response_field("ImageId"))
    app.synth()
