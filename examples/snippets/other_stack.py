"""README.md, "Other stacks": the image id handed to another stack through an SSM parameter, which that stack reads at
each deploy, and a bundle there on it. The README shows the lines between the snippet markers; the lines around them
make the app whole (tests/examples/test_snippets.py).
"""

# ruff: noqa: E402  (the snippet's own imports follow the stacks it is written in)
from aws_cdk import App, Stack
from aws_cdk import aws_ssm as ssm

from cdk_workspaces_image import UpdatedWorkspaceImage

app = App()
producer = Stack(app, "GoldenImage")
image = UpdatedWorkspaceImage(
    producer,
    "Golden",
    source_image_id="wsi-0123456789",
    image_name="golden-2026-11",
    description="Golden image with the latest WorkSpaces updates",
)
ssm.StringParameter(producer, "ImageId", parameter_name="/golden/image-id", string_value=image.image_id)
self = Stack(app, "GoldenBundle")  # the stack the snippet is written in

# snippet start
from aws_cdk import aws_ssm as ssm

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle

golden = UpdatedWorkspaceImage.from_image_id(
    self, "Golden", ssm.StringParameter.value_for_string_parameter(self, "/golden/image-id")
)
WorkspaceBundle(  # moves in place when the parameter changes
    self,
    "Standard",
    image_id=golden,
    bundle_name="golden-standard",
    description="Standard bundle on the golden image",
    compute_type=ComputeType.STANDARD,
    user_storage_gib=50,
    root_storage_gib=80,
)
# snippet end

app.synth()
