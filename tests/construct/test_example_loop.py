"""The example app's monthly loop (app.py): generations from context, retention, notifications and the monitor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from support.construct import NO_BUNDLING, cdk_context, load_example_app, only, resources

from cdk_workspaces_image_handler import contract

SOURCE = {"source_image_id": "wsi-0123456789"}


def example(context: dict[str, Any]) -> Template:
    app = cdk.App(context={**context, **NO_BUNDLING})
    return Template.from_stack(load_example_app().build_app(app))


def image_properties(template: Template) -> dict[str, Any]:
    properties: dict[str, Any] = only(template, "Custom::UpdatedWorkspaceImage")[1]["Properties"]
    return properties


@pytest.mark.parametrize(
    ("context", "name"),
    [
        ({}, "golden-updated-1"),
        ({"generation": "3"}, "golden-updated-3"),
        ({"generation": 4}, "golden-updated-4"),
        # What cdk.json and scripts/main.sh give: a plain name, no generation.
        ({"image_name": "golden-updated"}, "golden-updated"),
        ({"image_name": "golden-updated-next"}, "golden-updated-next"),
        ({"image_name": "golden-{generation}", "generation": "12"}, "golden-12"),
    ],
)
def test_the_image_name_comes_from_the_context(context: dict[str, Any], name: str) -> None:
    assert image_properties(example({**SOURCE, **context}))["Name"] == name


def test_the_same_generation_synthesizes_the_same_template() -> None:
    first, again = (example({**SOURCE, "generation": "2"}).to_json() for _ in range(2))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


def test_a_generation_that_is_no_whole_number_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^the context value generation 'two' must be a whole number, 1 or more$"):
        example({**SOURCE, "generation": "two"})
    with pytest.raises(ValueError, match=r"^WorkspacesImageExample/Golden: generation 0 must be a whole number"):
        example({**SOURCE, "generation": "0"})


def test_a_generation_for_a_plain_name_is_refused_by_the_construct() -> None:
    with pytest.raises(ValueError, match=r"must hold \{generation\} when generation is set"):
        example({**SOURCE, "image_name": "golden-updated", "generation": "2"})


def test_the_previous_image_is_kept_and_older_ones_deleted() -> None:
    assert image_properties(example(SOURCE))["KeepPrevious"] == 1


def test_the_notifications_topic_is_encrypted_with_a_key_eventbridge_may_use_and_takes_tls_only() -> None:
    template = example(SOURCE)
    key_id, key = only(template, "AWS::KMS::Key")
    topic_id, topic = only(template, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    # The AWS managed key alias/aws/sns cannot be given this statement, so EventBridge could not publish.
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Resource": "*",
    } in key["Properties"]["KeyPolicy"]["Statement"]
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    assert {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": topic_id},
        "Sid": "AllowPublishThroughSSLOnly",
    } in policy["Properties"]["PolicyDocument"]["Statement"]
    assert template.to_json()["Outputs"]["NotificationsTopicArn"] == {"Value": {"Ref": topic_id}}


def test_available_failed_and_update_available_all_notify_the_topic() -> None:
    template = example(SOURCE)
    topic_id, _ = only(template, "AWS::SNS::Topic")
    notified = sorted(
        rule["Properties"]["EventPattern"]["detail-type"][0]
        for rule in resources(template, "AWS::Events::Rule").values()
        if rule["Properties"].get("Targets", [{}])[0].get("Arn") == {"Ref": topic_id}
    )
    assert notified == sorted(
        [
            contract.DetailTypes.IMAGE_AVAILABLE,
            contract.DetailTypes.IMAGE_FAILED,
            contract.DetailTypes.IMAGE_UPDATE_AVAILABLE,
        ]
    )


def test_the_monitor_looks_at_this_months_image() -> None:
    template = example(SOURCE)
    image_id, _ = only(template, "Custom::UpdatedWorkspaceImage")
    (monitor,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": contract.MONITOR_HANDLER}}
    ).values()
    env = monitor["Properties"]["Environment"]["Variables"]
    stack_guid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    assert env[contract.ENV_MONITOR_ID] == {"Fn::Join": ["/", [stack_guid, "WorkspacesImageExample/UpdateMonitor"]]}
    assert env[contract.ENV_MONITORED_IMAGES] == template.to_json()["Outputs"]["ImageId"]["Value"]
    assert image_id in json.dumps(env[contract.ENV_MONITORED_IMAGES])


def test_cdk_nag_reports_nothing_on_a_later_generation(tmp_path: Path) -> None:
    # The committed cdk.json names the image; without it, the generation template is the default.
    context = {key: value for key, value in cdk_context().items() if key != "image_name"}
    app = cdk.App(context={**context, "generation": "2", **NO_BUNDLING}, outdir=str(tmp_path))
    load_example_app().build_app(app)
    app.synth()
    assert json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"] == []
