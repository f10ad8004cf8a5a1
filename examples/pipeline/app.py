#!/usr/bin/env python3
"""A CDK Pipelines app: a pipeline whose stage deploys an updated WorkSpaces image and a bundle on it, every month
without an edit.

Every value but one comes from the context in cdk.json, committed with the app. The one is `generation`: the
stage's WorkspaceImageUpdateMonitor writes the next generation into an SSM parameter when AWS publishes updates and
starts the pipeline, whose synth step reads that parameter and synthesizes with `-c generation=N`.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle, WorkspaceImageUpdateMonitor

# Where this app lives in the repository the pipeline builds: a checkout of this project (a fork, say).
APP_DIRECTORY = "examples/pipeline"
# The longest wait for AVAILABLE (at most 12 hours). The deploy action waits for it meanwhile, and its own limit
# (3 days for a CloudFormation deploy action) is far away: err long, since a timeout rolls the stage back.
IMAGE_TIMEOUT = cdk.Duration.hours(8)
REQUIRED_CONTEXT = ("source_image_id", "image_name", "repository", "branch", "connection_arn")
# Named, not generated: the stage's stack imports the pipeline by name, since CDK refuses a reference from a stage's
# stack to the pipeline's stack outside the stage (NoCrossStageDependency).
PIPELINE_NAME = "cdk-workspaces-image-golden-pipeline"
# The generation to deploy: the monitor in the stage's stack creates it and writes N+1 into it; the synth step reads it.
GENERATION_PARAMETER = "/cdk-workspaces-image/examples/pipeline/generation"
# Before the first deploy the parameter does not exist yet, and the app starts here.
FIRST_GENERATION = 1


class GoldenImageStack(cdk.Stack):
    """The image and a bundle on it, and the monitor that asks the pipeline for the next generation: the bundle moves
    onto each generation's image in place, and the image before the previous one is deleted."""

    def __init__(
        self, scope: Construct, construct_id: str, *, source_image_id: str, image_name: str, generation: int
    ) -> None:
        super().__init__(scope, construct_id, description="cdk-workspaces-image example: deployed by a pipeline")
        image = UpdatedWorkspaceImage(
            self,
            "Golden",
            source_image_id=source_image_id,
            image_name=image_name,
            generation=generation,
            description="Golden image with the latest WorkSpaces updates",
            timeout=IMAGE_TIMEOUT,
            keep_previous=1,
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
        # The pipeline is in this stack's account and Region (the stage has the pipeline stack's environment).
        pipeline = codepipeline.Pipeline.from_pipeline_arn(
            self, "Pipeline", self.format_arn(service="codepipeline", resource=PIPELINE_NAME)
        )
        self.monitor = WorkspaceImageUpdateMonitor(
            self, "UpdateMonitor", images=[image], pipeline=pipeline, generation_parameter=GENERATION_PARAMETER
        )
        cdk.CfnOutput(self, "ImageId", value=image.image_id)
        cdk.CfnOutput(self, "BundleId", value=bundle.bundle_id)


class GoldenImageStage(cdk.Stage):
    """What the pipeline deploys: one stack, in the stage's environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: cdk.Environment,
        source_image_id: str,
        image_name: str,
        generation: int,
    ) -> None:
        super().__init__(scope, construct_id, env=env)
        self.stack = GoldenImageStack(
            self, "GoldenImage", source_image_id=source_image_id, image_name=image_name, generation=generation
        )


class PipelineStack(cdk.Stack):
    """The pipeline: source, synth, self-mutation, asset publishing, then the stage's CloudFormation deploy."""

    def __init__(
        self, scope: Construct, construct_id: str, *, env: cdk.Environment, context: dict[str, str], generation: int
    ) -> None:
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
            pipeline_name=PIPELINE_NAME,
            # A CodeBuildStep, not a ShellStep, for its role_policy_statements: the synth reads the generation
            # (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.pipelines.CodeBuildStep.html).
            synth=pipelines.CodeBuildStep(
                "Synth",
                input=source,
                # This project's pinned Python packages (the library from the checkout) and CDK CLI.
                install_commands=["pip install -r requirements.txt", "npm ci"],
                commands=[f"cd {APP_DIRECTORY}", *synth_commands()],
                primary_output_directory=f"{APP_DIRECTORY}/cdk.out",
                # The parameter is in the stage's stack, which has this stack's account and Region. GetParameter
                # acts on the parameter's ARN
                # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html).
                role_policy_statements=[
                    iam.PolicyStatement(
                        actions=["ssm:GetParameter"],
                        resources=[
                            self.format_arn(
                                service="ssm", resource="parameter", resource_name=GENERATION_PARAMETER.lstrip("/")
                            )
                        ],
                    )
                ],
            ),
        )
        self.stage = GoldenImageStage(
            self,
            "Desktops",
            env=env,
            source_image_id=context["source_image_id"],
            image_name=context["image_name"],
            generation=generation,
        )
        pipeline.add_stage(self.stage)


def synth_commands() -> list[str]:
    """Read the generation to deploy from the parameter, check it, then synthesize with it.

    CodeBuild runs a phase's commands in one shell, sh unless the buildspec names another (buildspec version 0.2,
    https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html), so GENERATION reaches the synth.
    Only a missing parameter (ParameterNotFound: before the first deploy) means the first generation; any other
    failure fails the step, since synthesizing an earlier generation would replace the image with an older name.
    Whoever may write the parameter writes what the synth is given: a value that is not a whole number
    (^[0-9]+$, checked by `case`, which sees a newline too) fails the step before the synth, and the synth gets it
    quoted, as one argument.
    """
    read = f"aws ssm get-parameter --name {GENERATION_PARAMETER} --query Parameter.Value --output text"
    first = f"grep -q ParameterNotFound generation.err && GENERATION={FIRST_GENERATION}"
    refuse = (
        f'printf \'the generation parameter {GENERATION_PARAMETER} holds "%s", not a whole number (^[0-9]+$): '
        'set it to the generation to deploy\\n\' "$GENERATION" >&2; false'
    )
    return [
        f"GENERATION=$({read} 2>generation.err) || {{ {first}; }}",
        f"case \"$GENERATION\" in ''|*[!0123456789]*) {refuse};; esac",
        'echo "generation $GENERATION"',
        'npx cdk synth -c "generation=$GENERATION"',
    ]


def generation_of(app: cdk.App) -> int:
    """The context value `generation` (the synth step passes it), a whole number; FIRST_GENERATION without it."""
    value = app.node.try_get_context("generation")
    if value is None:
        return FIRST_GENERATION
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"the context value generation {value!r} must be a whole number") from None


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
    return PipelineStack(app, "GoldenImagePipeline", env=env, context=context, generation=generation_of(app))


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    app.synth()
