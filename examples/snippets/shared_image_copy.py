"""docs/usage.md, "Use a shared image in another account": the consumer's copy of a shared image, and a bundle on the
copy. The page shows the lines between the snippet markers; the lines around them make the app whole
(tests/examples/test_snippets.py).
"""

# ruff: noqa: E402  (the snippet's own imports follow the stack it is written in)
from aws_cdk import App, Stack

app = App()
self = Stack(app, "GoldenConsumer")  # the stack the snippet is written in

# snippet start
from aws_cdk import CfnParameter

from cdk_workspaces_image import ComputeType, WorkspaceBundle, WorkspaceImageCopy

shared_id = CfnParameter(self, "SharedImageId").value_as_string  # or a literal "wsi-..."
copy = WorkspaceImageCopy(
    self,
    "Golden",
    source_image_id=shared_id,  # shared within this Region
    source_account="111122223333",  # who must own it: else nothing is copied
    image_name="golden-from-producer",
    description="Copy of the shared golden image",
)
WorkspaceBundle(  # created once the copy is AVAILABLE
    self,
    "Standard",
    image_id=copy,
    bundle_name="golden-standard",
    description="Standard bundle",
    compute_type=ComputeType.STANDARD,
    user_storage_gib=50,
    root_storage_gib=80,
)
# snippet end

app.synth()
