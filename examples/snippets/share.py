"""docs/usage.md, "Share with other accounts". The page shows the lines between the snippet markers; the lines around
them make the app whole (tests/examples/test_snippets.py).
"""

from aws_cdk import App, Stack

from cdk_workspaces_image import UpdatedWorkspaceImage

app = App()
self = Stack(app, "GoldenImage")  # the stack the snippet is written in

# snippet start
image = UpdatedWorkspaceImage(
    self,
    "Golden",
    source_image_id="wsi-0123456789",
    image_name="golden-{generation}",
    description="Golden image with the latest WorkSpaces updates",
    generation=12,
    keep_previous=1,
    share_with_accounts=["444455556666", "777788889999"],  # 12-digit ids; not this stack's account
)
# snippet end

app.synth()
