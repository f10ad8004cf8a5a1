"""docs/usage.md, "The monthly loop": generations, retention, notifications, and the update monitor that asks for the
next generation and starts the pipeline that deploys it. The page shows the lines between the snippet markers; the
lines around them make the app whole (tests/examples/test_snippets.py).
"""

# ruff: noqa: E402  (the snippet's own imports follow the stack it is written in)
from aws_cdk import App, Stack

app = App()
self = Stack(app, "GoldenImage")  # the stack the snippet is written in

# snippet start
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle, WorkspaceImageUpdateMonitor

image = UpdatedWorkspaceImage(
    self,
    "Golden",
    source_image_id="wsi-0123456789",
    image_name="golden-{generation}",  # a template: golden-1, golden-2, ...
    generation=int(self.node.try_get_context("generation") or 1),
    description="Golden image with the latest WorkSpaces updates",
    keep_previous=1,  # keep last month's image, delete older ones
)
WorkspaceBundle(  # moves to each new image in place
    self,
    "Standard",
    image_id=image,
    bundle_name="golden-standard",
    description="Standard bundle on the golden image",
    compute_type=ComputeType.STANDARD,
    user_storage_gib=50,
    root_storage_gib=80,
)

# EventBridge can publish only to a topic under a key whose policy allows it: not alias/aws/sns.
key = kms.Key(self, "NotificationsKey", enable_key_rotation=True)
key.add_to_resource_policy(
    iam.PolicyStatement(
        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
        principals=[iam.ServicePrincipal("events.amazonaws.com")],
        resources=["*"],
    )
)
topic = sns.Topic(self, "Notifications", master_key=key)
# TLS only. Newer aws-cdk-lib releases write this for enforce_ssl=True; 2.90.0 has no such prop.
topic.add_to_resource_policy(
    iam.PolicyStatement(
        effect=iam.Effect.DENY,
        actions=["sns:Publish"],
        principals=[iam.AnyPrincipal()],
        resources=[topic.topic_arn],
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )
)
notify = targets.SnsTopic(topic)
image.on_image_available("Available", target=notify)  # this month's image is AVAILABLE
image.on_image_failed("Failed", target=notify)  # it went to ERROR, vanished or timed out

# The pipeline that deploys this app, made elsewhere (optional).
deploy_pipeline = codepipeline.Pipeline.from_pipeline_arn(
    self, "DeployPipeline", self.format_arn(service="codepipeline", resource="golden-deploy")
)
monitor = WorkspaceImageUpdateMonitor(
    self,
    "UpdateMonitor",
    images=[image],  # looks once a day
    generation_parameter="/golden/generation",  # and asks for the next generation there
    pipeline=deploy_pipeline,  # then starts the pipeline, which deploys it (optional)
)
monitor.on_update_available("UpdateAvailable", target=notify)  # time for the next generation
# snippet end

app.synth()
