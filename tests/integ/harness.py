"""What the integ apps (``integ_*.py`` beside this file) share: the ids a real run takes from its user, the
updated image every app makes, the IntegTest settings and the assertions.

The apps are integ-tests-alpha apps, as ``@aws-cdk/integ-runner`` runs them. In ``./scripts/test.sh`` the pinned
integ-runner checks them offline against their committed ``*.snapshot/`` directories, running them on the oldest
supported aws-cdk-lib (``test_snapshots.py``), and never reaches AWS; so they must run there as well as on the
pinned one. ``./scripts/integ-deploy.sh`` deploys them for real, which takes hours: the image is made by
CreateUpdatedWorkspaceImage, and the test stack waits until it is AVAILABLE.

The apps are run as scripts (``python tests/integ/integ_....py``), so this module is imported by its bare name;
it is not named ``integ_*`` itself, which would make integ-runner take it for an app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, IntegTest
from constructs import Construct

from cdk_workspaces_image import UpdatedWorkspaceImage


@dataclass(frozen=True)
class Setting:
    """An id a real run needs from its user: a context value, else a placeholder that names nothing in any account.

    The committed snapshots are synthesized with no context of the user's, so they hold the placeholders on every
    machine; ``scripts/integ-deploy.sh`` passes the user's ids as these context values.
    """

    context_key: str
    placeholder: str

    def value(self, scope: Construct) -> str:
        return str(scope.node.try_get_context(self.context_key) or self.placeholder)


SOURCE_IMAGE_ID = Setting("source_image_id", "wsi-0123456789")
"""The image to update: Windows 10, Server 2016 or Server 2019, AVAILABLE, with an update available."""
BUNDLE_ID = Setting("bundle_id", "wsb-0123456789")
"""A custom bundle of the user's for ``apply_to_bundle``; destroy points it back at its previous image."""

TAGS = {"purpose": "cdk-workspaces-image-integ-test"}
"""On every image and bundle a real run makes, so a leftover is easy to find."""

# How long an update takes is undocumented (hours; the README says up to 12): give it the longest wait the
# construct allows, so a real run fails on the library and not on a slow update.
IMAGE_TIMEOUT = cdk.Duration.hours(12)
# The assertions run in the assertion stack, deployed after the test stack (by integ-runner and
# scripts/integ-deploy.sh alike). The test stack is complete only once the image is AVAILABLE and the bundle uses
# it, so the first call should already pass: the short wait only rides out a describe that lags behind.
ASSERTION_TIMEOUT = cdk.Duration.minutes(10)
ASSERTION_INTERVAL = cdk.Duration.seconds(30)


def run(build: Callable[[cdk.App], None]) -> None:
    """Build an integ app and synthesize it: the body of each app's ``__main__``."""
    # The assertion stack reads the ids through exports (strong references): CloudFormation then refuses to delete
    # the test stack before the assertion stack, so destroy goes in order. Said as the context key, not with
    # CrossStackReferences, which aws-cdk-lib 2.90 (where strong is the only kind) has not: the snapshots are made
    # there.
    app = cdk.App(context={"@aws-cdk/core:defaultCrossStackReferences": "strong"})
    build(app)
    app.synth()


@dataclass(frozen=True)
class ImageUnderTest:
    stack: cdk.Stack
    image: UpdatedWorkspaceImage
    image_name: str


def image_under_test(app: cdk.App, stack_id: str, stack_description: str, image_name: str) -> ImageUnderTest:
    """The test stack (environment-agnostic: it deploys where the credentials point) and its updated image,
    deleted when the stack is, so a real run leaves no image behind."""
    stack = cdk.Stack(app, stack_id, description=stack_description)
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=SOURCE_IMAGE_ID.value(stack),
        image_name=image_name,
        description="cdk-workspaces-image integ test - deleted with its stack",
        tags=TAGS,
        timeout=IMAGE_TIMEOUT,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    deployed_once(image)
    return ImageUnderTest(stack, image, image_name)


def deployed_once(construct: Construct) -> None:
    """Acknowledge the library's warning that an id leaves its stack through an export.

    The assertion stack reads the ids through exports, which would block next month's replacement; an integ test
    stack is deployed once and destroyed, never replaced. Before aws-cdk-lib 2.93.0 (the snapshots are made on
    2.90.0) a warning has no id, and there is nothing to acknowledge it by: it is printed, and harmless.
    """
    annotations = cdk.Annotations.of(construct)
    if hasattr(annotations, "acknowledge_warning"):
        annotations.acknowledge_warning(
            "cdk-workspaces-image:export", "the integ test stack is deployed once and destroyed, never replaced"
        )


def integ_test(app: cdk.App, construct_id: str, under_test: ImageUnderTest, bundle_id: str) -> IntegTest:
    """The IntegTest of the test stack, asserting what every integ test here asserts: DescribeWorkspaceImages
    reports the image, by its name, AVAILABLE, and DescribeWorkspaceBundles shows the bundle using it."""
    integ = IntegTest(
        app,
        construct_id,
        test_cases=[under_test.stack],
        # No update workflow: integ-runner would first deploy the committed snapshot, whose ids are placeholders
        # that cannot deploy, and double the hours.
        stack_update_workflow=False,
    )
    image_id = under_test.image.image_id
    image = {"ImageId": image_id, "Name": under_test.image_name, "State": "AVAILABLE"}
    _wait(
        integ.assertions.aws_api_call("WorkSpaces", "describeWorkspaceImages", {"ImageIds": [image_id]}).expect(
            ExpectedResult.object_like({"Images": [image]})
        )
    )
    _wait(
        integ.assertions.aws_api_call("WorkSpaces", "describeWorkspaceBundles", {"BundleIds": [bundle_id]}).expect(
            ExpectedResult.object_like({"Bundles": [{"BundleId": bundle_id, "ImageId": image_id}]})
        )
    )
    return integ


def _wait(call: IApiCall) -> IApiCall:
    return call.wait_for_assertions(total_timeout=ASSERTION_TIMEOUT, interval=ASSERTION_INTERVAL)
