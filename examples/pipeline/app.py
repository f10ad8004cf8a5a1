#!/usr/bin/env python3
"""A CDK Pipelines app: a pipeline whose stage deploys an updated WorkSpaces image and a bundle on it.

Every value comes from the context in cdk.json, committed with the app: the pipeline synthesizes from the
repository, so next month's image is a commit that changes source_image_id and image_name there.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import pipelines
from constructs import Construct

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle

# Where this app lives in the repository the pipeline builds: a checkout of this project (a fork, say).
APP_DIRECTORY = "examples/pipeline"
# The longest wait for AVAILABLE (at most 12 hours). The deploy action waits for it meanwhile, and its own limit
# (3 days for a CloudFormation deploy action) is far away: err long, since a timeout rolls the stage back.
IMAGE_TIMEOUT = cdk.Duration.hours(8)
REQUIRED_CONTEXT = ("source_image_id", "image_name", "repository", "branch", "connection_arn")


class GoldenImageStack(cdk.Stack):
    """The image and a bundle on it: the bundle moves onto next month's image in place."""

    def __init__(self, scope: Construct, construct_id: str, *, source_image_id: str, image_name: str) -> None:
        super().__init__(scope, construct_id, description="cdk-workspaces-image example: deployed by a pipeline")
        image = UpdatedWorkspaceImage(
            self,
            "Golden",
            source_image_id=source_image_id,
            image_name=image_name,
            description="Golden image with the latest WorkSpaces updates",
            timeout=IMAGE_TIMEOUT,
        )
        bundle = WorkspaceBundle(
            self,
            "Standard",
            image_id=image.image_id,
            bundle_name="golden-pipeline-standard",
            description="Standard bundle on the golden image",
            compute_type=ComputeType.STANDARD,
            user_storage_gib=50,
            root_storage_gib=80,
        )
        cdk.CfnOutput(self, "ImageId", value=image.image_id)
        cdk.CfnOutput(self, "BundleId", value=bundle.bundle_id)


class GoldenImageStage(cdk.Stage):
    """What the pipeline deploys: one stack, in the stage's environment."""

    def __init__(
        self, scope: Construct, construct_id: str, *, env: cdk.Environment, source_image_id: str, image_name: str
    ) -> None:
        super().__init__(scope, construct_id, env=env)
        self.stack = GoldenImageStack(self, "GoldenImage", source_image_id=source_image_id, image_name=image_name)


class PipelineStack(cdk.Stack):
    """The pipeline: source, synth, self-mutation, asset publishing, then the stage's CloudFormation deploy."""

    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment, context: dict[str, str]) -> None:
        super().__init__(scope, construct_id, env=env, description="cdk-workspaces-image example: the pipeline")
        source = pipelines.CodePipelineSource.connection(
            context["repository"], context["branch"], connection_arn=context["connection_arn"]
        )
        pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            # Explicit, or CDK picks V1 with a warning. V2 is billed per action minute, the deploy action's wait
            # included. SUPERSEDED (the default mode): of the runs waiting for the busy stage, the newest goes next.
            pipeline_type=codepipeline.PipelineType.V2,
            execution_mode=codepipeline.ExecutionMode.SUPERSEDED,
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                # This project's pinned Python packages (the library from the checkout) and CDK CLI.
                install_commands=["pip install -r requirements.txt", "npm ci"],
                commands=[f"cd {APP_DIRECTORY}", "npx cdk synth"],
                primary_output_directory=f"{APP_DIRECTORY}/cdk.out",
            ),
        )
        self.stage = GoldenImageStage(
            self, "Desktops", env=env, source_image_id=context["source_image_id"], image_name=context["image_name"]
        )
        pipeline.add_stage(self.stage)


def build_app(app: cdk.App) -> PipelineStack:
    """The pipeline stack, built in `app` from its context (cdk.json); account and region are optional."""
    missing = [key for key in REQUIRED_CONTEXT if not app.node.try_get_context(key)]
    if missing:
        raise ValueError(f"set the context values {', '.join(missing)} in cdk.json")
    context = {key: str(app.node.try_get_context(key)) for key in REQUIRED_CONTEXT}
    # Without them the pipeline and the stage are environment-agnostic: both go to the account and Region of the
    # credentials that deploy the pipeline stack. CDK Pipelines synthesizes either way.
    account, region = (app.node.try_get_context(key) for key in ("account", "region"))
    env = cdk.Environment(account=str(account) if account else None, region=str(region) if region else None)
    # No cdk-nag here: CDK Pipelines' own pipeline, roles and buckets carry AwsSolutions findings (see the README).
    return PipelineStack(app, "GoldenImagePipeline", env=env, context=context)


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
