"""WorkspaceImageUpdateMonitor: its function, least-privilege role, schedule and rules, and synth's refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events as events
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks
from support.construct import (
    ACCOUNT,
    NO_BUNDLING,
    PROPS,
    REGION,
    actions,
    image_stack,
    new_stack,
    only,
    refused,
    render,
    sids,
    statement_sid,
    statements,
)

from cdk_workspaces_image import UpdatedWorkspaceImage, WorkspaceImageUpdateMonitor, _bundling
from cdk_workspaces_image_handler import contract

PIPELINE_ARN = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:golden-pipeline"


def monitor_stack(**props: Any) -> tuple[cdk.Stack, WorkspaceImageUpdateMonitor]:
    stack = new_stack()
    props.setdefault("images", ["wsi-0123456789"])
    return stack, WorkspaceImageUpdateMonitor(stack, "Monitor", **props)


def pipeline_in(stack: cdk.Stack) -> codepipeline.IPipeline:
    return codepipeline.Pipeline.from_pipeline_arn(stack, "Pipeline", PIPELINE_ARN)


def variables(template: Template) -> dict[str, Any]:
    """The monitor function's environment (a stack with images has the provider's function too)."""
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": contract.MONITOR_HANDLER}}
    ).values()
    env: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return env


# --- the function --------------------------------------------------------------------------------------------------


def test_its_own_function_from_the_handler_asset_logging_to_its_own_log_group() -> None:
    stack, _ = monitor_stack()
    template = Template.from_stack(stack)
    log_group, _ = only(template, "AWS::Logs::LogGroup")
    policy, _ = only(template, "AWS::IAM::Policy")
    _, function = only(template, "AWS::Lambda::Function")
    props = function["Properties"]
    assert props["Handler"] == contract.MONITOR_HANDLER == "monitor.handler"
    assert props["Runtime"] == "python3.14"
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": log_group}}
    assert function["DependsOn"] == [policy], "it runs only once its policy exists"
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})
    # No provider: a monitor of images made elsewhere creates nothing of theirs.
    template.resource_count_is("AWS::DynamoDB::Table", 0)


def test_the_asset_has_an_entry_for_the_monitor_beside_the_providers() -> None:
    assert _bundling.ENTRIES == {
        "index.py": "from cdk_workspaces_image_handler.index import handler\n\n__all__ = ['handler']\n",
        "monitor.py": "from cdk_workspaces_image_handler.monitor import handler\n\n__all__ = ['handler']\n",
    }


def test_the_bundled_asset_holds_the_monitor_entry(tmp_path: Path) -> None:
    stack = new_stack(bundle=True, outdir=str(tmp_path))
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=["wsi-0123456789"])
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    _, function = only(Template.from_json(assembly.get_stack_by_name("Test").template), "AWS::Lambda::Function")
    asset = tmp_path / ("asset." + function["Properties"]["Code"]["S3Key"].removesuffix(".zip"))
    assert (asset / "monitor.py").read_text() == _bundling.MONITOR_ENTRY
    assert (asset / "index.py").read_text() == _bundling.ENTRY


# The monitor's id as CloudFormation resolves it: the stack id's GUID, then the construct path.
MONITOR_ID = {"Fn::Join": ["/", [{"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}, "Test/Monitor"]]}


def test_the_environment_names_the_images_and_the_monitor() -> None:
    stack, monitor = monitor_stack(images=["wsi-0123456789", "wsi-abcdefghij"])
    env = variables(Template.from_stack(stack))
    assert env == {"MONITORED_IMAGE_IDS": "wsi-0123456789,wsi-abcdefghij", "MONITOR_ID": MONITOR_ID}
    assert stack.resolve(monitor.monitor_id) == MONITOR_ID


def test_an_image_of_the_app_is_followed_through_its_replacements() -> None:
    stack, image = image_stack()
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image, "wsi-abcdefghij"])
    template = Template.from_stack(stack)
    resource, _ = only(template, "Custom::UpdatedWorkspaceImage")
    condition, _ = only(template, "AWS::CloudFormation::WaitCondition")
    env = variables(template)
    # image_id: each month's id, once it is AVAILABLE.
    assert env[contract.ENV_MONITORED_IMAGES] == {
        "Fn::Join": [
            ",",
            [{"Fn::Select": [0, [{"Fn::GetAtt": [resource, "ImageId"]}, {"Ref": condition}]]}, "wsi-abcdefghij"],
        ]
    }


def test_an_image_known_only_at_deploy_time_is_the_handlers_to_judge() -> None:
    stack = new_stack()
    parameter = cdk.CfnParameter(stack, "Image", type="String")
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=[parameter.value_as_string])
    assert variables(Template.from_stack(stack))[contract.ENV_MONITORED_IMAGES] == {"Ref": "Image"}


def test_a_pipeline_is_named_in_the_environment() -> None:
    stack = new_stack()
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=["wsi-0123456789"], pipeline=pipeline_in(stack))
    assert variables(Template.from_stack(stack))[contract.ENV_PIPELINE_NAME] == "golden-pipeline"


# --- the role ------------------------------------------------------------------------------------------------------


def test_the_role_may_log_describe_images_and_put_its_events_only() -> None:
    stack, _ = monitor_stack()
    template = Template.from_stack(stack)
    _, role = only(template, "AWS::IAM::Role")
    log_group, _ = only(template, "AWS::Logs::LogGroup")
    assert "ManagedPolicyArns" not in role["Properties"]
    assert sids(template) == ["Describe", "Logs", "PutEvents"]
    assert statement_sid(template, "Logs")["Resource"] == {"Fn::GetAtt": [log_group, "Arn"]}
    describe = statement_sid(template, "Describe")
    assert (actions(describe), describe["Resource"]) == (["workspaces:DescribeWorkspaceImages"], "*")
    put = statement_sid(template, "PutEvents")
    assert render(put["Resource"]) == f"arn:<AWS::Partition>:events:{REGION}:{ACCOUNT}:event-bus/default"
    assert put["Condition"] == {
        "ForAllValues:StringEquals": {"events:source": [contract.EVENT_SOURCE]},
        "Null": {"events:source": "false"},
    }
    for statement in statements(template):
        assert all("*" not in action for action in actions(statement))


def test_with_a_pipeline_it_may_start_that_pipeline_only() -> None:
    stack = new_stack()
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=["wsi-0123456789"], pipeline=pipeline_in(stack))
    template = Template.from_stack(stack)
    start = statement_sid(template, "StartPipeline")
    assert (actions(start), start["Resource"]) == (["codepipeline:StartPipelineExecution"], PIPELINE_ARN)
    assert sids(template) == ["Describe", "Logs", "PutEvents", "StartPipeline"]


def test_a_pipeline_of_the_stack_is_referenced() -> None:
    from aws_cdk import aws_codepipeline_actions as cpactions
    from aws_cdk import aws_s3 as s3

    stack = new_stack()
    source = codepipeline.Artifact()
    pipeline = codepipeline.Pipeline(
        stack,
        "Pipeline",
        stages=[
            codepipeline.StageProps(
                stage_name="Source",
                actions=[
                    cpactions.S3SourceAction(
                        action_name="Source", bucket=s3.Bucket(stack, "Bucket"), bucket_key="app.zip", output=source
                    )
                ],
            ),
            codepipeline.StageProps(
                stage_name="Approve", actions=[cpactions.ManualApprovalAction(action_name="Approve")]
            ),
        ],
    )
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=["wsi-0123456789"], pipeline=pipeline)
    template = Template.from_stack(stack)
    pipeline_id, _ = only(template, "AWS::CodePipeline::Pipeline")
    start = statement_sid(template, "StartPipeline")
    assert (
        render(start["Resource"]) == f"arn:<AWS::Partition>:codepipeline:{REGION}:{ACCOUNT}:" + "<" + pipeline_id + ">"
    )
    assert variables(template)[contract.ENV_PIPELINE_NAME] == {"Ref": pipeline_id}


# --- the schedule and the rule -------------------------------------------------------------------------------------


def test_it_looks_once_a_day_by_default_and_only_its_rule_may_invoke_it() -> None:
    stack, _ = monitor_stack()
    template = Template.from_stack(stack)
    function, _ = only(template, "AWS::Lambda::Function")
    rule, properties = only(template, "AWS::Events::Rule")
    assert properties["Properties"]["ScheduleExpression"] == "rate(1 day)"
    assert properties["Properties"]["Targets"] == [{"Arn": {"Fn::GetAtt": [function, "Arn"]}, "Id": "Target0"}]
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "FunctionName": {"Fn::GetAtt": [function, "Arn"]},
            "SourceArn": {"Fn::GetAtt": [rule, "Arn"]},
        },
    )


def test_the_schedule_is_the_callers() -> None:
    stack, _ = monitor_stack(schedule=events.Schedule.cron(minute="0", hour="6", week_day="MON"))
    _, rule = only(Template.from_stack(stack), "AWS::Events::Rule")
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 6 ? * MON *)"


def test_on_update_available_matches_this_monitors_events() -> None:
    stack, monitor = monitor_stack()
    rule = monitor.on_update_available("Updates")
    assert rule.node.scope is monitor
    Template.from_stack(stack).has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_equals(
                {
                    "source": [contract.EVENT_SOURCE],
                    "detail-type": [contract.DetailTypes.IMAGE_UPDATE_AVAILABLE],
                    "detail": {contract.Detail.MONITOR_ID: [MONITOR_ID]},
                }
            )
        },
    )


def test_two_monitors_have_two_ids() -> None:
    stack = new_stack()
    first = WorkspaceImageUpdateMonitor(stack, "First", images=["wsi-0123456789"])
    second = WorkspaceImageUpdateMonitor(stack, "Second", images=["wsi-0123456789"])
    assert stack.resolve(first.monitor_id) != stack.resolve(second.monitor_id)


# --- synth's refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"images": []}, "images [] is empty; give at least one image to look at"),
        ({"images": "wsi-0123456789"}, "images 'wsi-0123456789' must be a list of images or image ids"),
        ({"images": None}, "images is missing (None); it is required"),
        (
            {"images": ["wsi-0123456789", "ami-0123456789"]},
            "images[1] (ImageId) 'ami-0123456789' must match the pattern wsi-[0-9a-z]{9,63}",
        ),
        ({"images": [None]}, "images[0] (ImageId) is missing (None); it is required"),
        ({"images": [7]}, "images[0] (ImageId) 7 must be a string"),
        (
            {"images": ["wsi-0123456789", "wsi-0123456789"]},
            "images[1] (ImageId) 'wsi-0123456789' is also images[0]; give each image once",
        ),
        ({"schedule": "rate(1 day)"}, "schedule 'rate(1 day)' must be an aws_events.Schedule"),
        ({"pipeline": "golden-pipeline"}, "pipeline 'golden-pipeline' must be an aws_codepipeline.IPipeline"),
    ],
)
def test_bad_props_fail_synth_naming_the_construct(props: dict[str, Any], words: str) -> None:
    with refused(f"Test/Monitor: {words}", whole=False):
        monitor_stack(**props)


def test_every_problem_is_reported_at_once() -> None:
    with refused("Test/Monitor: ", whole=False) as raised:
        monitor_stack(images=["nope", None], schedule=5)
    message = str(raised.value)
    for label in ("images[0] (ImageId) 'nope'", "images[1] (ImageId) is missing", "schedule 5"):
        assert label in message


def test_the_same_image_construct_twice_is_named_by_its_path() -> None:
    stack, image = image_stack()
    with refused("Test/Monitor: images[1] (ImageId) Test/Golden is also images[0]; give each image once"):
        WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image, image])


def test_an_image_construct_and_its_id_are_the_same_image() -> None:
    stack, image = image_stack()
    with refused("Test/Monitor: images[1] (ImageId) ", whole=False):
        WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image, image.image_id])


def test_an_imported_image_is_an_image() -> None:
    stack = new_stack()
    imported = UpdatedWorkspaceImage.from_image_id(stack, "Imported", "wsi-0123456789")
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=[imported])
    assert variables(Template.from_stack(stack))[contract.ENV_MONITORED_IMAGES] == "wsi-0123456789"


# --- the generation parameter ---------------------------------------------------------------------------------------


def generation_stack(**props: Any) -> cdk.Stack:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **{**PROPS, "image_name": "golden-{generation}", "generation": 3})
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image], generation_parameter="/golden/generation", **props)
    return stack


def test_the_generation_parameter_starts_at_the_deployed_generation_and_only_the_monitor_may_write_it() -> None:
    template = Template.from_stack(generation_stack(pipeline=None))
    parameter_id, parameter = only(template, "AWS::SSM::Parameter")
    assert (parameter["Properties"]["Name"], parameter["Properties"]["Value"]) == ("/golden/generation", "3")
    env = variables(template)
    named = (env[contract.ENV_GENERATION_PARAMETER], env[contract.ENV_MONITORED_GENERATION])
    assert named == ("/golden/generation", "3")
    monitor_statements = [s for s in statements(template) if s.get("Sid") == "GenerationParameter"]
    assert len(monitor_statements) == 1
    (statement,) = monitor_statements
    assert actions(statement) == ["ssm:GetParameter", "ssm:PutParameter"]
    # The parameter's Ref is its name, "/golden/generation": the ARN is .../parameter/golden/generation.
    assert render(statement["Resource"]) == f"arn:<AWS::Partition>:ssm:{REGION}:{ACCOUNT}:parameter<{parameter_id}>"


@pytest.mark.parametrize(
    ("images", "words"),
    [
        (lambda stack: [UpdatedWorkspaceImage(stack, "Golden", **PROPS)], "images has 1 without a generation"),
        (lambda stack: ["wsi-0123456789", "wsi-abcdefghij"], "images has 2"),
        (lambda stack: ["wsi-0123456789"], "images has 1 without a generation"),
    ],
    ids=["no-generation", "two-images", "an-id"],
)
def test_a_generation_parameter_needs_one_image_with_a_generation(images: Any, words: str) -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match=words) as error:
        WorkspaceImageUpdateMonitor(stack, "Monitor", images=images(stack), generation_parameter="/golden/generation")
    assert "/Monitor" in str(error.value)


def test_a_generation_parameter_name_is_judged_at_synth() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **{**PROPS, "image_name": "golden-{generation}", "generation": 1})
    with pytest.raises(ValueError, match=r"generation_parameter 'golden generation' must be an SSM parameter name"):
        WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image], generation_parameter="golden generation")


# --- cdk-nag and cfn-lint ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def monitor_assembly(tmp_path_factory: pytest.TempPathFactory) -> cdk.cx_api.CloudAssembly:
    app = cdk.App(context=NO_BUNDLING, outdir=str(tmp_path_factory.mktemp("monitor")))
    stack = cdk.Stack(app, "Monitored")
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    pipeline = codepipeline.Pipeline.from_pipeline_arn(stack, "Pipeline", PIPELINE_ARN)
    monitor = WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image], pipeline=pipeline)
    monitor.on_update_available("Updates")
    WorkspaceImageUpdateMonitor(stack, "Plain", images=["wsi-abcdefghij"])
    silver = UpdatedWorkspaceImage(stack, "Silver", **{**PROPS, "image_name": "silver-{generation}", "generation": 2})
    WorkspaceImageUpdateMonitor(stack, "Generations", images=[silver], generation_parameter="/golden/generation")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app.synth()


def test_cdk_nag_reports_nothing_on_a_stack_with_monitors(monitor_assembly: cdk.cx_api.CloudAssembly) -> None:
    report = json.loads((Path(monitor_assembly.directory) / "validation-report.json").read_text())
    assert report["pluginReports"] == []


def test_cfn_lint_reports_nothing_on_a_stack_with_monitors(monitor_assembly: cdk.cx_api.CloudAssembly) -> None:
    from cfnlint.api import ManualArgs, lint

    template = monitor_assembly.get_stack_by_name("Monitored").template
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1", REGION]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def test_without_its_acknowledgement_the_describe_wildcard_is_the_one_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cdk_workspaces_image import _function

    monkeypatch.setattr(_function, "acknowledge_wildcards", lambda *_: None)
    app = cdk.App(context=NO_BUNDLING, outdir=str(tmp_path))
    WorkspaceImageUpdateMonitor(cdk.Stack(app, "Unacknowledged"), "Monitor", images=["wsi-0123456789"])
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = sorted(v["ruleName"] for r in report["pluginReports"] for v in r["violations"])
    assert rules == ["AwsSolutions-IAM5[Resource::*]"]
