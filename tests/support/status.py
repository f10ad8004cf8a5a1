"""A template shaped as the constructs write it (a custom resource, its WaitConditionHandle in WaitHandle, the
WaitCondition on that handle, consumers by Ref and Fn::GetAtt), small enough to read in a test of the status command."""

from __future__ import annotations

from typing import Any

from cdk_workspaces_image_handler import contract

STACK = "StatusStack"


def _image(rtype: str, name_key: str, name: str, lid: str, **props: Any) -> dict[str, dict[str, Any]]:
    return {
        f"{lid}Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        lid: {
            "Type": rtype,
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]},
                "ServiceTimeout": "3600",
                name_key: name,
                "TimeoutSeconds": 10800,
                "WaitHandle": {"Ref": f"{lid}Handle"},
                **props,
            },
            "Metadata": {"aws:cdk:path": f"{STACK}/{lid}/Resource/Default"},
        },
        f"{lid}Available": {
            "Type": "AWS::CloudFormation::WaitCondition",
            "Properties": {"Count": 1, "Handle": {"Ref": f"{lid}Handle"}, "Timeout": "11400"},
            "DependsOn": [lid],
        },
    }


def image_id_of(lid: str) -> dict[str, Any]:
    """What a consumer of an image is given: its id, resolved once the wait condition is over."""
    return {"Fn::Select": [0, [{"Fn::GetAtt": [lid, "ImageId"]}, {"Ref": f"{lid}Available"}]]}


def template() -> dict[str, Any]:
    """An updated image, its copy in eu-central-1, a bundle on it, an Image Builder import, and the provider."""
    return {
        "Resources": {
            "Provider": {"Type": "AWS::Lambda::Function", "Properties": {}},
            **_image(contract.IMAGE_TYPE, "Name", "golden-1", "Golden", SourceImageId="wsi-0123456789"),
            **_image(
                contract.COPY_TYPE,
                "Name",
                "golden-1",
                "GoldenCopy",
                SourceImageId=image_id_of("Golden"),
                SourceRegion="eu-west-1",
                Region="eu-central-1",
            ),
            "Standard": {
                "Type": contract.BUNDLE_TYPE,
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]},
                    "ServiceTimeout": "3600",
                    "BundleName": "golden-standard",
                    "ImageId": image_id_of("Golden"),
                },
                "Metadata": {"aws:cdk:path": f"{STACK}/Standard/Resource/Default"},
            },
            **_image(contract.IMAGE_BUILDER_TYPE, "ImageName", "golden-built", "Built"),
            "Parameter": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Fn::Sub": "${Golden.ImageId}"}}},
        },
        "Outputs": {"ImageId": {"Value": image_id_of("Golden")}},
    }
