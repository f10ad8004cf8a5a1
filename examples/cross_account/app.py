#!/usr/bin/env python3
"""One image, used in two Regions and two accounts.

The producer account makes the updated image in `region`, shares it with the consumer account and copies it to
`second_region`, where a second stack builds a bundle on the copy. The consumer account copies the shared image
(a bundle cannot use a shared image itself) and builds its own bundle on its copy.

cdk deploy GoldenImage GoldenBundleSecondRegion -c source_image_id=wsi-xxxxxxxxx    (producer account's credentials)
cdk deploy GoldenConsumer --parameters SharedImageId=wsi-yyyyyyyyy -c source_image_id=...  (consumer account's)
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from cdk_workspaces_image import (
    ComputeType,
    IWorkspaceImage,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImageCopy,
)

DEFAULT_IMAGE_NAME = "golden-cross-account"
# What `cdk synth` needs besides source_image_id; cdk.json holds placeholders for each.
ENVIRONMENT_CONTEXT = ("producer_account", "consumer_account", "region", "second_region")


def standard_bundle(scope: Construct, image: IWorkspaceImage, bundle_name: str) -> WorkspaceBundle:
    return WorkspaceBundle(
        scope,
        "Standard",
        image_id=image,
        bundle_name=bundle_name,
        description="Standard bundle on the golden image",
        compute_type=ComputeType.STANDARD,
        user_storage_gib=50,
        root_storage_gib=80,
    )


class ImageStack(cdk.Stack):
    """Producer account, first Region: the image, shared with the consumer account and copied to the second
    Region, both once it is AVAILABLE."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: cdk.Environment,
        source_image_id: str,
        image_name: str,
        consumer_account: str,
        second_region: str,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=env,
            description="cdk-workspaces-image example: the image, shared and copied (producer)",
            # The second Region's stack reads the copy's id through CDK's SSM-based cross-Region references.
            cross_region_references=True,
        )
        self.image = UpdatedWorkspaceImage(
            self,
            "Golden",
            source_image_id=source_image_id,
            image_name=image_name,
            description="Golden image with the latest WorkSpaces updates",
            share_with_accounts=[consumer_account],
            copy_to_regions=[second_region],
        )
        # The id the consumer account copies: hand it over with `--parameters SharedImageId=...`.
        cdk.CfnOutput(self, "SharedImageId", value=self.image.image_id)


class SecondRegionBundleStack(cdk.Stack):
    """Producer account, second Region: a bundle on the image's copy there."""

    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment, image: ImageStack) -> None:
        super().__init__(
            scope,
            construct_id,
            env=env,
            description="cdk-workspaces-image example: a bundle on the copy in the second Region",
            cross_region_references=True,
        )
        # Resolves once the copy is AVAILABLE; a bundle uses an image of its own Region, so the copy's, not the
        # image's. The import creates nothing and grants nothing: the image's stack owns the copy.
        copy = UpdatedWorkspaceImage.from_image_id(self, "GoldenCopy", image.image.image_id_in(str(env.region)))
        bundle = standard_bundle(self, copy, "golden-cross-account-second-region")
        cdk.CfnOutput(self, "BundleId", value=bundle.bundle_id)


class ConsumerStack(cdk.Stack):
    """Consumer account: a copy of the image the producer shares with it, and a bundle on the copy."""

    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment, producer_account: str) -> None:
        super().__init__(
            scope,
            construct_id,
            env=env,
            description="cdk-workspaces-image example: a copy of a shared image and a bundle on it (consumer)",
        )
        # Another account's value: no CloudFormation reference crosses accounts, so it is given at deploy time
        # (the producer's output SharedImageId) and judged by the provider then.
        shared_image_id = cdk.CfnParameter(
            self, "SharedImageId", type="String", description="Id of the image the producer account shares (wsi-...)"
        )
        copy = WorkspaceImageCopy(
            self,
            "Golden",
            source_image_id=shared_image_id.value_as_string,
            # A shared image is known only by its id: the provider copies it only if the producer owns it.
            source_account=producer_account,
            image_name="golden-from-producer",
            description="Copy of the golden image shared by the producer account",
        )
        bundle = standard_bundle(self, copy, "golden-cross-account-consumer")
        cdk.CfnOutput(self, "ImageId", value=copy.image_id)
        cdk.CfnOutput(self, "BundleId", value=bundle.bundle_id)


def build_app(app: cdk.App) -> tuple[ImageStack, SecondRegionBundleStack, ConsumerStack]:
    """The three stacks, built in `app` from its context: source_image_id (required), image_name, and the
    accounts and Regions (cdk.json)."""
    context = {name: app.node.try_get_context(name) for name in ("source_image_id", *ENVIRONMENT_CONTEXT)}
    missing = [name for name, value in context.items() if not value]
    if missing:
        raise ValueError(f"set the context values {', '.join(missing)}: cdk deploy -c source_image_id=wsi-...")
    producer = str(context["producer_account"])
    second = cdk.Environment(account=producer, region=str(context["second_region"]))
    images = ImageStack(
        app,
        "GoldenImage",
        env=cdk.Environment(account=producer, region=str(context["region"])),
        source_image_id=str(context["source_image_id"]),
        image_name=str(app.node.try_get_context("image_name") or DEFAULT_IMAGE_NAME),
        consumer_account=str(context["consumer_account"]),
        second_region=str(second.region),
    )
    bundles = SecondRegionBundleStack(app, "GoldenBundleSecondRegion", env=second, image=images)
    consumer = ConsumerStack(
        app,
        "GoldenConsumer",
        env=cdk.Environment(account=str(context["consumer_account"]), region=str(context["region"])),
        producer_account=producer,
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return images, bundles, consumer


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
