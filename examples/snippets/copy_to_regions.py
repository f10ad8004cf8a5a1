"""docs/usage.md, "Copy to other Regions": the image copied to two other Regions, and a bundle in one of them on its
copy. The page shows the lines between the snippet markers; the lines around them make the app whole
(tests/examples/test_snippets.py).
"""

from aws_cdk import App, Environment, Stack

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle

app = App()
self = Stack(  # the stack the snippet is written in
    app, "GoldenImage", env=Environment(account="111122223333", region="eu-west-1"), cross_region_references=True
)
frankfurt_stack = Stack(
    app, "GoldenFrankfurt", env=Environment(account="111122223333", region="eu-central-1"), cross_region_references=True
)

# snippet start
image = UpdatedWorkspaceImage(
    self,
    "Golden",
    source_image_id="wsi-0123456789",
    image_name="golden-2026-11",
    description="Golden image with the latest WorkSpaces updates",
    copy_to_regions=["eu-central-1", "us-east-1"],  # other Regions of the stack's partition
)

# A stack in eu-central-1 (cross_region_references=True on both stacks):
WorkspaceBundle(
    frankfurt_stack,
    "Standard",
    image_id=image.image_id_in("eu-central-1"),  # image_id_in(this stack's Region) is image.image_id
    bundle_name="golden-standard",
    description="Standard bundle on the golden image",
    compute_type=ComputeType.STANDARD,
    user_storage_gib=50,
    root_storage_gib=80,
)
# snippet end

app.synth()
