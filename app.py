#!/usr/bin/env python3
"""Example app: the monthly image loop. An updated WorkSpaces image and a bundle on it, a monitor that says when AWS
has published updates, and a topic told when each month's image is AVAILABLE or failed; checked by cdk-nag's
AwsSolutions pack at synth.

Next month the monitor writes generation 2 into the SSM parameter GENERATION_PARAMETER; ``cdk deploy -c generation=2``
(the parameter's value: ``aws ssm get-parameter --name /cdk-workspaces-image/example/golden-generation``) makes the
next image, moves the bundle onto it, and deletes the images before the previous one.

``-c byol_ami=ami-...`` adds a Bring Your Own License image imported from that AMI (ImportedWorkspaceImage), as
``./scripts/main.sh`` shows; without it the stack has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import aws_cdk as cdk
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

# Installed from this checkout by requirements.txt (`-e .`); constructs/ is its source folder.
from cdk_workspaces_image import (
    ComputeType,
    ImportedWorkspaceImage,
    IngestionProcess,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImageUpdateMonitor,
)

GENERATION = "{generation}"
DEFAULT_IMAGE_NAME = f"golden-updated-{GENERATION}"
DEFAULT_GENERATION = 1
DEFAULT_BUNDLE_NAME = "golden-standard"
IMAGE_ID_PARAMETER = "/cdk-workspaces-image/example/golden-image-id"
# The generation to deploy: the monitor writes the next one here when AWS publishes updates.
GENERATION_PARAMETER = "/cdk-workspaces-image/example/golden-generation"


class WorkspacesImageExample(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_image_id: str,
        image_name: str,
        bundle_name: str,
        generation: Optional[int] = None,
        share_with_accounts: Sequence[str] = (),
        copy_to_regions: Sequence[str] = (),
        byol_ami: Optional[str] = None,
    ) -> None:
        super().__init__(
            scope, construct_id, description="cdk-workspaces-image example: an updated WorkSpaces image and its bundle"
        )
        image = UpdatedWorkspaceImage(
            self,
            "Golden",
            source_image_id=source_image_id,
            image_name=image_name,
            generation=generation,
            description="Golden image with the latest WorkSpaces updates",
            tags={"team": "euc"},
            # After next month's image is AVAILABLE, keep this month's (the rollback target) and delete older ones.
            keep_previous=1,
            # Other accounts of the Region that may copy each month's image (-c share_with_accounts=111122223333,...).
            share_with_accounts=list(share_with_accounts) or None,
            # Other Regions of the account that get a copy of each month's image (-c copy_to_regions=eu-central-1).
            copy_to_regions=list(copy_to_regions) or None,
        )
        # A new image next month updates this bundle in place: same BundleId, new ImageId.
        bundle = WorkspaceBundle(
            self,
            "Standard",
            image_id=image,
            bundle_name=bundle_name,
            description="Standard bundle on the golden image",
            compute_type=ComputeType.STANDARD,
            user_storage_gib=50,
            root_storage_gib=80,
            tags={"team": "euc"},
        )
        cdk.CfnOutput(self, "ImageId", value=image.image_id)
        for region in copy_to_regions:
            cdk.CfnOutput(self, f"ImageIdIn{region.title().replace('-', '')}", value=image.image_id_in(region))
        cdk.CfnOutput(self, "BundleId", value=bundle.bundle_id)
        # For other stacks: an SSM parameter, not an export. CloudFormation refuses to change an export another
        # stack imports, which would block next month's new image; a parameter is read afresh at each deploy.
        ssm.StringParameter(self, "ImageIdParameter", parameter_name=IMAGE_ID_PARAMETER, string_value=image.image_id)

        # Whoever subscribes hears when each month's image is AVAILABLE or failed, and when AWS has published the
        # updates that call for the next generation. EventBridge cannot publish to a topic encrypted with the AWS
        # managed key alias/aws/sns, whose key policy it cannot be added to: an encrypted topic it publishes to
        # needs a customer managed key that allows events.amazonaws.com
        # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html,
        # https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification).
        key = kms.Key(
            self,
            "NotificationsKey",
            description="cdk-workspaces-image example: encrypts the image notifications topic",
            enable_key_rotation=True,
            # Nothing is kept under it: messages live in the topic only until delivered.
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        # Newer aws-cdk-lib releases add this statement for an SnsTopic target themselves; 2.90.0 does not.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                resources=["*"],
            )
        )
        topic = sns.Topic(self, "Notifications", master_key=key, enforce_ssl=True)
        notify = targets.SnsTopic(topic)
        image.on_image_available("ImageAvailable", target=notify)
        image.on_image_failed("ImageFailed", target=notify)
        # Once a day, whether AWS has published updates for this month's image: the signal for the next generation,
        # which it asks for in GENERATION_PARAMETER (when the image has a generation: not with a plain image_name).
        monitor = WorkspaceImageUpdateMonitor(
            self,
            "UpdateMonitor",
            images=[image],
            generation_parameter=GENERATION_PARAMETER if generation is not None else None,
        )
        monitor.on_update_available("UpdateAvailable", target=notify)
        cdk.CfnOutput(self, "NotificationsTopicArn", value=topic.topic_arn)

        if byol_ami:
            # Beside it (-c byol_ami=ami-...): a Bring Your Own License image imported from your AMI, made once and
            # kept as long as the AMI and name stay the same.
            byol = ImportedWorkspaceImage(
                self,
                "Byol",
                ec2_image_id=byol_ami,
                ingestion_process=IngestionProcess.BYOL_REGULAR_WSP,
                image_name="golden-byol",
                description="BYOL image imported from an AMI",
                tags={"team": "euc"},
            )
            cdk.CfnOutput(self, "ByolImageId", value=byol.image_id)


def generation_of(context: object, image_name: str) -> Optional[int]:
    """The context value generation (``-c generation=2`` gives the string "2"); without it, the first generation
    when the image name is a template, and none for a plain name (``-c image_name=golden-2026-11``)."""
    if context is None:
        return DEFAULT_GENERATION if GENERATION in image_name else None
    text = str(context).strip()
    if not text.isdigit():
        raise ValueError(f"the context value generation {context!r} must be a whole number, 1 or more")
    return int(text)


def listed(context: object) -> list[str]:
    """A context value that lists things, comma-separated (``-c share_with_accounts=111122223333,444455556666``)."""
    return [item.strip() for item in str(context or "").split(",") if item.strip()]


def build_app(app: cdk.App) -> WorkspacesImageExample:
    source_image_id = app.node.try_get_context("source_image_id")
    if not source_image_id:
        raise ValueError("set the context value source_image_id (cdk.json or -c source_image_id=wsi-...)")
    image_name = str(app.node.try_get_context("image_name") or DEFAULT_IMAGE_NAME)
    bundle_name = app.node.try_get_context("bundle_name") or DEFAULT_BUNDLE_NAME
    stack = WorkspacesImageExample(
        app,
        "WorkspacesImageExample",
        source_image_id=str(source_image_id),
        image_name=image_name,
        bundle_name=str(bundle_name),
        generation=generation_of(app.node.try_get_context("generation"), image_name),
        share_with_accounts=listed(app.node.try_get_context("share_with_accounts")),
        copy_to_regions=listed(app.node.try_get_context("copy_to_regions")),
        byol_ami=app.node.try_get_context("byol_ami"),
    )
    # cdk-nag 3 runs as a policy-validation plugin: any finding fails synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
