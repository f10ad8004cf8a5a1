"""README.md, "Usage": an updated image, a bundle on it with a WorkSpace, and the image applied to a bundle the stack
does not manage; a whole app. The README shows the lines between the snippet markers (tests/examples/test_snippets.py).
"""

# snippet start
from typing import Any

from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_workspaces as workspaces
from constructs import Construct

from cdk_workspaces_image import ComputeType, NoUpdateBehavior, UpdatedWorkspaceImage, WorkspaceBundle


class GoldenStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        image = UpdatedWorkspaceImage(
            self,
            "Golden",
            source_image_id="wsi-0123456789",  # a string or a token
            image_name="golden-2026-11",
            description="Golden image with the latest WorkSpaces updates",
            tags={"team": "euc"},
            timeout=Duration.hours(3),
            no_update_behavior=NoUpdateBehavior.FAIL,
            removal_policy=RemovalPolicy.RETAIN,
        )
        CfnOutput(self, "ImageId", value=image.image_id)  # no export_name: see "Other stacks" below

        bundle = WorkspaceBundle(
            self,
            "Standard",
            image_id=image,  # or its image_id; waits until the image is AVAILABLE
            bundle_name="golden-standard",
            description="Standard bundle on the golden image",
            compute_type=ComputeType.STANDARD,
            user_storage_gib=50,
            root_storage_gib=80,  # optional, as are tags and removal_policy
        )
        workspaces.CfnWorkspace(
            self, "Alice", bundle_id=bundle.bundle_id, directory_id="d-0123456789", user_name="alice"
        )

        image.apply_to_bundle("wsb-0123456789")  # a bundle this stack does not manage


app = App()
GoldenStack(app, "GoldenStack")
app.synth()
# snippet end
