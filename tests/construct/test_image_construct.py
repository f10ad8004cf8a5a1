"""Template tests of UpdatedWorkspaceImage and its per-stack provider."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import CfnResource
from aws_cdk.assertions import Match, Template
from support import ROOT
from support.construct import (
    ACCOUNT,
    NO_BUNDLING,
    PROPS,
    REGION,
    actions,
    cdk_context,
    every_resource_type,
    image_stack,
    load_example_app,
    new_stack,
    only,
    owned_by_this_stack,
    refused,
    render,
    sids,
    statement_sid,
    statement_with,
    statements,
)

from cdk_workspaces_image import (
    CapturedWorkspaceImage,
    NoUpdateBehavior,
    UpdatedWorkspaceImage,
    WorkspaceBundleImage,
    WorkspaceImageCopy,
)
from cdk_workspaces_image import image as image_module

OWNER_TAG_KEY = "cdk-workspaces-image:owner"


def wait_ids(template: Template) -> tuple[str, str]:
    handle, _ = only(template, "AWS::CloudFormation::WaitConditionHandle")
    condition, _ = only(template, "AWS::CloudFormation::WaitCondition")
    return handle, condition


# --- resources -----------------------------------------------------------------------------------------------------


def test_one_provider_function_and_role_however_many_images() -> None:
    stack = new_stack()
    for index in range(3):
        UpdatedWorkspaceImage(stack, f"Image{index}", **{**PROPS, "image_name": f"golden-{index}"})
    template = Template.from_stack(stack)

    template.resource_count_is("Custom::UpdatedWorkspaceImage", 3)
    template.resource_count_is("AWS::CloudFormation::WaitCondition", 3)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("AWS::IAM::Role", 1)
    template.resource_count_is("AWS::Lambda::Permission", 1)
    template.resource_count_is("AWS::Logs::LogGroup", 1)


def test_custom_resource_properties_mirror_the_design_table() -> None:
    stack, _ = image_stack(tags={"team": "euc", "cost-center": "42"}, no_update_behavior=NoUpdateBehavior.USE_SOURCE)
    template = Template.from_stack(stack)
    handle, _ = wait_ids(template)
    function, _ = only(template, "AWS::Lambda::Function")

    template.has_resource_properties(
        "Custom::UpdatedWorkspaceImage",
        Match.object_equals(
            {
                "ServiceToken": {"Fn::GetAtt": [function, "Arn"]},
                "ServiceTimeout": "3600",
                "SourceImageId": "wsi-0123456789",
                "Name": "golden",
                "Description": "Golden image",
                "Tags": [{"Key": "cost-center", "Value": "42"}, {"Key": "team", "Value": "euc"}],
                "NoUpdateBehavior": "USE_SOURCE",
                "TimeoutSeconds": 10800,
                "WaitHandle": {"Ref": handle},
            }
        ),
    )


def test_tags_are_omitted_when_there_are_none_and_behavior_defaults_to_fail() -> None:
    stack, _ = image_stack()
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    assert "Tags" not in resource["Properties"]
    assert resource["Properties"]["NoUpdateBehavior"] == "FAIL"


def test_image_id_selects_the_attribute_and_references_the_wait_condition() -> None:
    stack, image = image_stack()
    template = Template.from_stack(stack)
    resource, _ = only(template, "Custom::UpdatedWorkspaceImage")
    _, condition = wait_ids(template)

    assert stack.resolve(image.image_id) == {
        "Fn::Select": [0, [{"Fn::GetAtt": [resource, "ImageId"]}, {"Ref": condition}]]
    }
    assert stack.resolve(image.resource.ref) == {"Ref": resource}


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, "11400"),  # 3 h default + 600 s margin
        (cdk.Duration.minutes(15), "1500"),
        (cdk.Duration.hours(12), "43200"),  # capped at the wait condition's maximum
        (cdk.Duration.seconds(42900), "43200"),
    ],
)
def test_wait_condition_waits_past_the_timeout_and_after_the_resource(
    timeout: cdk.Duration | None, expected: str
) -> None:
    stack, _ = image_stack(timeout=timeout)
    template = Template.from_stack(stack)
    resource, _ = only(template, "Custom::UpdatedWorkspaceImage")
    handle, _ = wait_ids(template)
    template.has_resource(
        "AWS::CloudFormation::WaitCondition",
        {
            "Properties": {"Handle": {"Ref": handle}, "Timeout": expected, "Count": 1},
            "DependsOn": [resource],
        },
    )


@pytest.mark.parametrize(
    "change",
    [
        {"source_image_id": "wsi-abcdefghi"},
        {"image_name": "golden-2"},
        {"description": "Another description"},
        {"timeout": cdk.Duration.hours(4)},
    ],
)
def test_wait_ids_change_with_every_replacing_property(change: dict[str, Any]) -> None:
    before = wait_ids(Template.from_stack(image_stack()[0]))
    after = wait_ids(Template.from_stack(image_stack(**change)[0]))
    assert before[0] != after[0]
    assert before[1] != after[1]


def test_wait_ids_stay_when_only_tags_or_behavior_change() -> None:
    before = wait_ids(Template.from_stack(image_stack(tags={"team": "euc"})[0]))
    after = wait_ids(
        Template.from_stack(
            image_stack(tags={"team": "vdi", "new": "x"}, no_update_behavior=NoUpdateBehavior.USE_SOURCE)[0]
        )
    )
    assert before == after
    assert re.fullmatch(r"GoldenAvailableHandle[0-9a-f]{8}[0-9A-F]{8}", before[0])
    assert re.fullmatch(r"GoldenAvailable[0-9a-f]{8}[0-9A-F]{8}", before[1])


@pytest.mark.parametrize(
    ("policy", "deletion", "replace"),
    [
        (None, "RetainExceptOnCreate", "Retain"),
        (cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, "RetainExceptOnCreate", "Retain"),
        (cdk.RemovalPolicy.RETAIN, "Retain", "Retain"),
        (cdk.RemovalPolicy.DESTROY, "Delete", "Delete"),
    ],
)
def test_removal_policy(policy: cdk.RemovalPolicy | None, deletion: str, replace: str) -> None:
    stack, _ = image_stack(removal_policy=policy)
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    assert resource["DeletionPolicy"] == deletion
    assert resource["UpdateReplacePolicy"] == replace


RULE_NAME = {"Fn::Join": ["", ["cdkwsi-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]]}


def function_construct(stack: cdk.Stack) -> CfnResource:
    provider = stack.node.find_child("CdkWorkspacesImageProvider")
    child = provider.node.find_child("Handler").node.default_child
    assert isinstance(child, CfnResource)
    return child


# --- provider and IAM ----------------------------------------------------------------------------------------------


def test_provider_function_settings() -> None:
    stack, _ = image_stack()
    template = Template.from_stack(stack)
    log_group, _ = only(template, "AWS::Logs::LogGroup")
    _, function = only(template, "AWS::Lambda::Function")
    props = function["Properties"]

    assert props["Handler"] == "index.handler"
    assert props["Runtime"] == "python3.14"
    assert props["MemorySize"] == 128
    assert props["Timeout"] == 300
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": log_group}}
    env = props["Environment"]["Variables"]
    table, _ = only(template, "AWS::DynamoDB::Table")
    assert env["WATCH_TABLE"] == {"Ref": table}
    assert env["WATCH_RULE"] == RULE_NAME
    assert env["STACK_ID"] == {"Ref": "AWS::StackId"}
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})
    # The function (and so every image) waits for its policy; the role is already implied by GetAtt.
    policy, _ = only(template, "AWS::IAM::Policy")
    assert function["DependsOn"] == [policy]


def test_role_has_no_managed_policies_and_logs_only_to_its_log_group() -> None:
    stack, _ = image_stack()
    template = Template.from_stack(stack)
    _, role = only(template, "AWS::IAM::Role")
    log_group, _ = only(template, "AWS::Logs::LogGroup")

    assert "ManagedPolicyArns" not in role["Properties"]
    logs = statement_with(template, "logs:PutLogEvents")
    assert sorted(actions(logs)) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == {"Fn::GetAtt": [log_group, "Arn"]}


def test_nothing_grants_a_service_wildcard() -> None:
    stack, _ = image_stack(tags={"team": "euc"})
    for statement in statements(Template.from_stack(stack)):
        assert statement["Effect"] == "Allow"
        for action in actions(statement):
            assert "*" not in action, statement


def test_image_actions_only_on_workspaceimage_arns_and_deletes_only_of_this_stacks_images() -> None:
    stack, _ = image_stack()
    template = Template.from_stack(stack)
    image_arns = f"arn:<AWS::Partition>:workspaces:{REGION}:{ACCOUNT}:workspaceimage/*"
    create = statement_sid(template, "CreateImages")
    assert (actions(create), render(create["Resource"])) == (["workspaces:CreateUpdatedWorkspaceImage"], image_arns)
    assert "Condition" not in create, "a new image's id does not exist before it is made"
    delete = statement_sid(template, "DeleteOwnImages")
    assert (actions(delete), render(delete["Resource"])) == (["workspaces:DeleteWorkspaceImage"], image_arns)
    assert owned_by_this_stack(delete)
    permissions = statement_sid(template, "ImagePermissions")
    assert render(permissions["Resource"]) == image_arns, "it takes image ARNs, so it gets no *"


def test_actions_without_resource_level_permissions_are_the_only_ones_on_star() -> None:
    stack, _ = image_stack()
    on_star = sorted(
        action for s in statements(Template.from_stack(stack)) if s["Resource"] == "*" for action in actions(s)
    )
    assert on_star == [
        "workspaces:CreateTags",
        "workspaces:DeleteTags",
        "workspaces:DescribeTags",
        "workspaces:DescribeWorkspaceBundles",
        "workspaces:DescribeWorkspaceImages",
    ]


def test_the_provider_may_put_events_of_this_librarys_source_on_the_default_bus_only() -> None:
    stack, _ = image_stack()
    template = Template.from_stack(stack)
    statement = statement_with(template, "events:PutEvents")
    assert statement["Sid"] == "PutEvents"
    assert actions(statement) == ["events:PutEvents"]
    assert render(statement["Resource"]) == f"arn:<AWS::Partition>:events:{REGION}:{ACCOUNT}:event-bus/default"
    # ForAllValues alone would hold for a request that names no source; Null asks for one.
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"events:source": ["cdk-workspaces-image"]},
        "Null": {"events:source": "false"},
    }


def test_an_environment_agnostic_provider_puts_events_on_the_default_bus_of_its_own_account_and_region() -> None:
    stack = cdk.Stack(cdk.App(context=NO_BUNDLING), "Agnostic")
    UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    statement = statement_sid(Template.from_stack(stack), "PutEvents")
    assert (
        render(statement["Resource"]) == "arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default"
    )


def test_create_tags_allows_only_the_keys_the_stack_uses_and_the_owner_key_only_with_this_stacks_value() -> None:
    stack = new_stack()
    UpdatedWorkspaceImage(stack, "A", **PROPS, tags={"team": "euc"})
    UpdatedWorkspaceImage(stack, "B", **{**PROPS, "image_name": "other"}, tags={"cost-center": "42", "team": "vdi"})
    UpdatedWorkspaceImage(stack, "C", **{**PROPS, "image_name": "untagged"})
    template = Template.from_stack(stack)

    # Tags-only updates: the keys the stack uses, never the ownership key; Null: a request must name keys.
    create = statement_sid(template, "CreateTags")
    assert create["Condition"] == {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["cost-center", "team"]},
        "Null": {"aws:TagKeys": "false"},
    }
    # Tags given at creation: the ownership key too, and only with this stack's GUID first.
    at_creation = statement_sid(template, "TagAtCreation")
    assert at_creation["Condition"]["ForAllValues:StringEquals"] == {
        "aws:TagKeys": [OWNER_TAG_KEY, "cost-center", "team"]
    }
    value = at_creation["Condition"]["StringLike"][f"aws:RequestTag/{OWNER_TAG_KEY}"]
    assert render(value) == "<GUID>.*"
    delete = statement_sid(template, "DeleteTags")
    assert delete["Condition"] == {
        "ForAllValues:StringNotEquals": {"aws:TagKeys": [OWNER_TAG_KEY]},
        "Null": {"aws:TagKeys": "false"},
    }


def test_without_user_tags_only_creation_may_tag() -> None:
    stack, _ = image_stack()
    names = sids(Template.from_stack(stack))
    assert "CreateTags" not in names
    assert "TagAtCreation" in names


def test_one_watch_rule_per_stack_named_after_the_stack_id_ticks_with_a_constant_input() -> None:
    stack = new_stack()
    for name in ("a", "b", "c"):
        UpdatedWorkspaceImage(stack, name.upper(), **{**PROPS, "image_name": name})
    template = Template.from_stack(stack)
    rule_id, rule = only(template, "AWS::Events::Rule")

    assert rule["Properties"]["Name"] == RULE_NAME
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert "State" not in rule["Properties"], "created enabled; the first tick with nothing to do disables it"
    [target] = rule["Properties"]["Targets"]
    # The Input carries nothing the handler reads, and no credential: no URL, no image, no resource.
    assert target["Input"] == '{"CdkWorkspacesImageWatch":"tick"}'
    assert target["Arn"] == {"Fn::GetAtt": [stack.get_logical_id(function_construct(stack)), "Arn"]}

    statement = statement_with(template, "events:EnableRule")
    assert sorted(actions(statement)) == ["events:DisableRule", "events:EnableRule"]
    assert render(statement["Resource"]) == f"arn:<AWS::Partition>:events:{REGION}:{ACCOUNT}:rule/cdkwsi-<GUID>"

    # Only this very rule may invoke the function: no wildcard that another rule's name could match.
    _, permission = only(template, "AWS::Lambda::Permission")
    assert permission["Properties"]["Principal"] == "events.amazonaws.com"
    assert permission["Properties"]["Action"] == "lambda:InvokeFunction"
    assert permission["Properties"]["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}


def test_the_watch_table_is_the_stacks_own_and_goes_with_it() -> None:
    stack, _ = image_stack()
    template = Template.from_stack(stack)
    table_id, table = only(template, "AWS::DynamoDB::Table")

    assert table["DeletionPolicy"] == "Delete", "deleting the stack leaves no wait state behind"
    assert table["Properties"]["KeySchema"] == [
        {"AttributeName": "LogicalId", "KeyType": "HASH"},
        {"AttributeName": "PhysicalId", "KeyType": "RANGE"},
    ]
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "ExpiresAt", "Enabled": True}
    statement = statement_with(template, "dynamodb:Scan")
    assert sorted(actions(statement)) == ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"]
    assert statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}


def test_the_watch_tables_items_are_the_providers_alone_whatever_the_account_grants() -> None:
    """Issue 20: AmazonDynamoDBReadOnlyAccess grants Scan on *, and the table holds presigned URLs and the record."""
    stack, _ = image_stack()
    template = Template.from_stack(stack)
    _, table = only(template, "AWS::DynamoDB::Table")
    role_id, _ = only(template, "AWS::IAM::Role")
    (deny,) = table["Properties"]["ResourcePolicy"]["PolicyDocument"]["Statement"]

    assert (deny["Effect"], deny["Principal"], deny["Resource"]) == ("Deny", "*", "*")
    assert deny["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [role_id, "Arn"]}}}
    denied = set(deny["Action"])
    item_actions = {"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}
    partiql = {"PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete"}
    assert {f"dynamodb:{a}" for a in item_actions | partiql} <= denied
    # What CloudFormation needs to create, change, tag and delete the table stays with the account's own policies.
    control = {"DescribeTable", "UpdateTable", "DeleteTable", "TagResource", "UntagResource", "UpdateTimeToLive"}
    assert not {f"dynamodb:{a}" for a in control} & denied
    assert not any(action.endswith("ResourcePolicy") for action in denied)


def test_the_provider_reads_its_own_stack_only() -> None:
    """Every request is confirmed with CloudFormation (trust.py), with read rights on this stack's ARN, never *."""
    stack, _ = image_stack()
    read = statement_sid(Template.from_stack(stack), "ReadOwnStack")
    assert sorted(actions(read)) == [
        "cloudformation:DescribeStackResource",
        "cloudformation:DescribeStacks",
        "cloudformation:ListStackResources",
    ]
    assert read["Resource"] == {"Ref": "AWS::StackId"}
    assert "Condition" not in read


def test_the_provider_knows_the_bundles_and_accounts_its_template_names_and_nothing_else() -> None:
    """What the template says, which no request can (trust.py): the bundles apply_to_bundle may re-point and the
    accounts images may be shared with, as lists separated by commas; a parameter joins in at deploy time."""
    stack = new_stack()
    bundle = cdk.CfnParameter(stack, "Bundle")
    accounts = cdk.CfnParameter(stack, "Accounts", type="CommaDelimitedList")
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS, share_with_accounts=["444455556666"])
    UpdatedWorkspaceImage(
        stack, "Other", **{**PROPS, "image_name": "other"}, share_with_accounts=accounts.value_as_list
    )
    image.apply_to_bundle("wsb-0123456789")
    image.apply_to_bundle(bundle.value_as_string, construct_id="Other")
    _, function = only(Template.from_stack(stack), "AWS::Lambda::Function")
    env = function["Properties"]["Environment"]["Variables"]
    assert env["APPLY_BUNDLE_IDS"] == {"Fn::Join": [",", ["wsb-0123456789", {"Ref": "Bundle"}]]}
    assert env["SHARE_ACCOUNTS"] == {"Fn::Join": [",", ["444455556666", {"Fn::Join": [",", {"Ref": "Accounts"}]}]]}
    assert "TRUSTED_RESPONSE_HOSTS" not in env


def test_a_stack_that_neither_applies_nor_shares_names_no_bundle_and_no_account() -> None:
    stack, _ = image_stack()
    _, function = only(Template.from_stack(stack), "AWS::Lambda::Function")
    env = function["Properties"]["Environment"]["Variables"]
    assert (env["APPLY_BUNDLE_IDS"], env["SHARE_ACCOUNTS"]) == ("", "")


def test_hosts_the_app_trusts_besides_s3s_reach_the_provider_from_the_context() -> None:
    app = cdk.App(context={**NO_BUNDLING, "cdk-workspaces-image:trusted-response-hosts": ["b.example", "a.example"]})
    stack = cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))
    UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    _, function = only(Template.from_stack(stack), "AWS::Lambda::Function")
    assert function["Properties"]["Environment"]["Variables"]["TRUSTED_RESPONSE_HOSTS"] == "a.example,b.example"


@pytest.mark.parametrize("hosts", [[""], ["https://a.example/x"], 7])
def test_a_trusted_host_that_is_not_a_host_name_fails_synth(hosts: object) -> None:
    app = cdk.App(context={**NO_BUNDLING, "cdk-workspaces-image:trusted-response-hosts": hosts})
    stack = cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))
    with pytest.raises(ValueError, match=r"trusted-response-hosts .* must be a list of host names"):
        UpdatedWorkspaceImage(stack, "Golden", **PROPS)


def test_every_custom_resource_waits_for_the_watch_rule_and_its_permission() -> None:
    stack = every_resource_type(cdk.App(context={"aws:cdk:bundling-stacks": []}))
    template = Template.from_stack(stack).to_json()["Resources"]
    rule = next(lid for lid, r in template.items() if r["Type"] == "AWS::Events::Rule")
    permission = next(lid for lid, r in template.items() if r["Type"] == "AWS::Lambda::Permission")
    customs = {lid: r for lid, r in template.items() if r["Type"].startswith("Custom::")}
    assert len(customs) == 3
    for lid, resource in customs.items():
        assert {rule, permission} <= set(resource.get("DependsOn", [])), lid


def test_two_stacks_with_the_same_construct_path_get_their_own_rule_and_table() -> None:
    """The same app deployed twice to one account and Region, as dev-golden and prod-golden: the rule is named
    after each stack's own id at deploy time, and each stack has its own table."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stacks = [cdk.Stack(app, name.title().replace("-", ""), stack_name=name) for name in ("dev-golden", "prod-golden")]
    for stack in stacks:
        # Each its own image_name: two environment-agnostic stacks may deploy to one account and Region.
        UpdatedWorkspaceImage(stack, "Golden", **{**PROPS, "image_name": stack.stack_name})
    templates = [Template.from_stack(stack) for stack in stacks]
    for template in templates:
        # Fixed names would collide; these resolve per stack (AWS::StackId) or are chosen by CloudFormation.
        assert only(template, "AWS::Events::Rule")[1]["Properties"]["Name"] == RULE_NAME
        assert "TableName" not in only(template, "AWS::DynamoDB::Table")[1]["Properties"]


# --- synth-time validation -----------------------------------------------------------------------------------------

LONG_KEY = "k" * 128


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"source_image_id": "ami-0123456789"}, ["source_image_id (SourceImageId)", "'ami-0123456789'", "wsi-"]),
        ({"source_image_id": "wsi-short"}, ["source_image_id (SourceImageId)", "'wsi-short'", "pattern"]),
        ({"image_name": "n" * 65}, ["image_name (Name)", "65 characters", "1 to 64"]),
        ({"image_name": "bad name"}, ["image_name (Name)", "'bad name'", "pattern"]),
        ({"image_name": ""}, ["image_name (Name)", "0 characters"]),
        ({"description": "d" * 257}, ["description (Description)", "257 characters", "1 to 256"]),
        ({"description": "semi;colon"}, ["description (Description)", "'semi;colon'", "pattern"]),
        ({"timeout": cdk.Duration.minutes(14)}, ["timeout (TimeoutSeconds)", "840", "15 minutes"]),
        ({"timeout": cdk.Duration.hours(13)}, ["timeout (TimeoutSeconds)", "46800", "12 hours"]),
        ({"tags": {f"k{i}": "v" for i in range(50)}}, ["tags (Tags)", "50 tags", "at most 49"]),
        ({"tags": {"aws:team": "euc"}}, ["tags (Tags) key", "'aws:team'", "reserves"]),
        ({"tags": {LONG_KEY: "v"}}, ["tags (Tags) key", "128 characters", "1 to 127"]),
        ({"tags": {"": "v"}}, ["tags (Tags) key", "0 characters"]),
        ({"tags": {"team": "v" * 256}}, ["tags (Tags) value of 'team'", "256 characters", "at most 255"]),
        ({"tags": {OWNER_TAG_KEY: "x"}}, ["tags (Tags) key", OWNER_TAG_KEY, "ownership"]),
    ],
)
def test_bad_values_are_rejected_at_synth(override: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(ValueError, match=r"^Test/Golden: ") as raised:
        image_stack(**override)
    for part in expected:
        assert part in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValueError, match=r"^Test/Golden: ") as raised:
        image_stack(source_image_id="nope", image_name="bad name", timeout=cdk.Duration.minutes(1))
    message = str(raised.value)
    for label in ("; source_image_id (SourceImageId)", "; image_name (Name)", "; timeout (TimeoutSeconds)"):
        assert message.replace("Test/Golden: ", "; ", 1).count(label) == 1


def test_no_update_behavior_must_be_the_enum() -> None:
    with pytest.raises(ValueError, match=r"^Test/Golden: no_update_behavior \(NoUpdateBehavior\) 'FAIL' must be a "):
        image_stack(no_update_behavior="FAIL")


@pytest.mark.parametrize(
    ("override", "words"),
    [
        # None was taken for "unknown yet": the property was left out of the template, to fail only at deploy.
        ({"source_image_id": None}, "source_image_id (SourceImageId) is missing (None); it is required"),
        ({"image_name": None}, "image_name (Name) is missing (None); it is required"),
        ({"description": None}, "description (Description) is missing (None); it is required"),
        ({"image_name": 2026}, "image_name (Name) 2026 must be a string"),
        # These raised a bare TypeError or ValueError, naming neither the construct nor the prop.
        ({"tags": "team=euc"}, "tags (Tags) 'team=euc' must be a mapping of tag keys to values"),
        ({"tags": {"cost-center": 42}}, "tags (Tags) value of 'cost-center' 42 must be a string"),
        ({"tags": {"team": None}}, "tags (Tags) value of 'team' None must be a string"),
        ({"timeout": 3600}, "timeout (TimeoutSeconds) 3600 must be a Duration"),
        ({"no_update_behavior": None}, "no_update_behavior (NoUpdateBehavior) is missing (None); it is required"),
        ({"removal_policy": "DESTROY"}, "removal_policy (DeletionPolicy) 'DESTROY' must be a RemovalPolicy"),
    ],
)
def test_none_and_wrong_types_fail_synth_naming_construct_prop_and_value(override: dict[str, Any], words: str) -> None:
    with refused(f"Test/Golden: {words}"):
        image_stack(**override)


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [
        (lambda: cdk.Duration.seconds(1000.5), "1000.5"),
        (lambda: cdk.Duration.millis(3_600_500), "3600.5"),
        (lambda: cdk.Duration.minutes(60.01), "3600.6"),
    ],
)
def test_a_fraction_of_a_second_fails_synth_naming_the_construct(timeout: Any, seconds: str) -> None:
    """CDK's Duration.to_seconds() raised MustBeWholeNumber from inside the construct, naming no construct and no
    prop (issue 23). A negative Duration cannot reach the construct: CDK refuses to make one
    (DurationAmountsCannotNegative), in the caller's own line."""
    with refused(f"Test/Golden: timeout (TimeoutSeconds) {seconds} s must be a whole number of seconds"):
        image_stack(timeout=timeout())


def test_a_fraction_of_a_second_fails_synth_for_every_construct_with_a_timeout() -> None:
    stack = new_stack()
    half = cdk.Duration.seconds(3600.5)
    words = "timeout (TimeoutSeconds) 3600.5 s must be a whole number of seconds"
    with refused(f"Test/Copy: {words}"):
        WorkspaceImageCopy(stack, "Copy", **PROPS, timeout=half)
    with refused(f"Test/Captured: {words}"):
        CapturedWorkspaceImage(
            stack, "Captured", workspace_id="ws-01234567", image_name="c", description="c", timeout=half
        )


def test_applying_the_image_to_the_same_bundle_twice_names_the_first() -> None:
    """CDK's "There is already a Construct with name 'ApplyTowsb-...'" named no path."""
    _, image = image_stack()
    image.apply_to_bundle("wsb-0123456789")
    with refused(
        "Test/Golden: apply_to_bundle: this image is already applied to that bundle "
        "(Test/Golden/ApplyTowsb-0123456789); apply it once"
    ):
        image.apply_to_bundle("wsb-0123456789")


def test_number_tokens_where_an_id_or_region_goes_fail_synth_as_wrong_types() -> None:
    """A number token passed for an id or a Region was taken for a value to judge at deploy, and reached an ARN,
    where CDK raised "type of argument resource_name must be one of (str, NoneType)", naming no construct."""
    stack = new_stack()
    number = cdk.CfnParameter(stack, "Number", type="Number").value_as_number
    token = r"the number token \$\{Token\[TOKEN\.\d+\]\}"
    with pytest.raises(ValueError, match=f"^Test/Copy: source_region \\(SourceRegion\\) {token} must be a Region"):
        WorkspaceImageCopy(stack, "Copy", **PROPS, source_region=number)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"^Test/Captured: workspace_id \\(WorkspaceId\\) {token} must be a string"):
        CapturedWorkspaceImage(stack, "Captured", workspace_id=number, image_name="c", description="c")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"^Test/Apply: bundle_id \\(BundleId\\) {token} must be a string"):
        WorkspaceBundleImage(stack, "Apply", bundle_id=number, image_id="wsi-0123456789")  # type: ignore[arg-type]


@pytest.mark.parametrize("workspace_id", [5, ["ws-01234567"]])
def test_a_captured_images_workspace_id_of_another_type_fails_naming_the_construct(workspace_id: object) -> None:
    """The workspace's ARN was made before the props were judged: CDK's TypeError named no construct."""
    with refused(f"Test/Captured: workspace_id (WorkspaceId) {workspace_id!r} must be a string"):
        CapturedWorkspaceImage(new_stack(), "Captured", workspace_id=workspace_id, image_name="c", description="c")  # type: ignore[arg-type]


def test_snapshot_fails_synth_because_a_custom_resource_has_none() -> None:
    message = (
        "Test/Golden: removal_policy (DeletionPolicy) RemovalPolicy.SNAPSHOT must be one of "
        "RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, RemovalPolicy.RETAIN, RemovalPolicy.DESTROY: "
    )
    with refused(message, whole=False):
        image_stack(removal_policy=cdk.RemovalPolicy.SNAPSHOT)


def test_cfn_lint_refuses_snapshot_for_a_custom_resource() -> None:
    """The fact behind the rule: the template SNAPSHOT made before is one cfn-lint refuses."""
    from cfnlint.api import ManualArgs, lint

    resource = {
        "Type": "Custom::UpdatedWorkspaceImage",
        "Properties": {"ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provider"},
        "DeletionPolicy": "Snapshot",
        "UpdateReplacePolicy": "Snapshot",
    }
    matches = lint(json.dumps({"Resources": {"Golden": resource}}), config=ManualArgs(regions=[REGION]))
    assert sorted(m.rule.id for m in matches) == ["E3035", "E3036"]


def env_stack(app: cdk.App, name: str, account: str | None = ACCOUNT, region: str | None = REGION) -> cdk.Stack:
    env = cdk.Environment(account=account, region=region) if account or region else None
    return cdk.Stack(app, name, env=env)


def test_a_name_used_twice_in_a_stack_fails_synth() -> None:
    stack, _ = image_stack()
    message = (
        "Test/Again: image_name (Name) 'golden' is also the image_name of Test/Golden (in this stack); "
        "choose another image_name: each image of an account and Region needs a name of its own"
    )
    with refused(message):
        UpdatedWorkspaceImage(stack, "Again", **PROPS)


@pytest.mark.parametrize(
    ("first", "second", "where"),
    [
        ((ACCOUNT, REGION), (ACCOUNT, REGION), "in stack Dev, which deploys to the same account and Region"),
        (
            (None, None),
            (None, None),
            "in stack Dev, environment-agnostic like this one, so it may deploy to the same account and Region",
        ),
    ],
)
def test_a_name_used_by_a_stack_of_the_same_account_and_region_fails_synth(
    first: tuple[str | None, str | None], second: tuple[str | None, str | None], where: str
) -> None:
    app = cdk.App(context=NO_BUNDLING)
    UpdatedWorkspaceImage(env_stack(app, "Dev", *first), "Golden", **PROPS)
    with refused(
        f"Prod/Golden: image_name (Name) 'golden' is also the image_name of Dev/Golden ({where});", whole=False
    ):
        UpdatedWorkspaceImage(env_stack(app, "Prod", *second), "Golden", **PROPS)


@pytest.mark.parametrize(
    "second",
    [(ACCOUNT, "us-east-1"), ("444455556666", REGION), (None, None)],
    ids=["another Region", "another account", "an environment-agnostic stack"],
)
def test_a_name_may_repeat_where_the_stacks_deploy_elsewhere(second: tuple[str | None, str | None]) -> None:
    app = cdk.App(context=NO_BUNDLING)
    UpdatedWorkspaceImage(env_stack(app, "Dev"), "Golden", **PROPS)
    UpdatedWorkspaceImage(env_stack(app, "Prod", *second), "Golden", **PROPS)


def test_names_only_a_token_gives_are_left_to_deploy_time() -> None:
    stack = new_stack()
    name = cdk.CfnParameter(stack, "Name", type="String").value_as_string
    UpdatedWorkspaceImage(stack, "A", **{**PROPS, "image_name": name})
    UpdatedWorkspaceImage(stack, "B", **{**PROPS, "image_name": name})


def test_a_rejected_image_is_not_compared_with() -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match="source_image_id"):
        UpdatedWorkspaceImage(stack, "Broken", **{**PROPS, "source_image_id": "nope"})
    UpdatedWorkspaceImage(stack, "Golden", **PROPS)


def test_apply_to_bundle_refuses_none_and_non_string_ids_naming_the_image() -> None:
    _, image = image_stack()
    with refused("Test/Golden: bundle_id (BundleId) is missing (None); it is required"):
        image.apply_to_bundle(None)  # type: ignore[arg-type]
    with refused("Test/Golden: apply_to_bundle: construct_id 7 must be a non-empty string"):
        image.apply_to_bundle("wsb-0123456789", construct_id=7)  # type: ignore[arg-type]


def test_tokens_skip_synth_validation() -> None:
    stack = new_stack()
    source = cdk.CfnParameter(stack, "Source", type="String")
    name = cdk.CfnParameter(stack, "Name", type="String")
    description = cdk.CfnParameter(stack, "Description", type="String")
    tag = cdk.CfnParameter(stack, "Tag", type="String")
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number")
    UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=source.value_as_string,
        image_name=name.value_as_string,
        description=description.value_as_string,
        tags={"team": tag.value_as_string},
        timeout=cdk.Duration.seconds(seconds.value_as_number),
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::UpdatedWorkspaceImage",
        {
            "SourceImageId": {"Ref": "Source"},
            "Name": {"Ref": "Name"},
            "Description": {"Ref": "Description"},
            "Tags": [{"Key": "team", "Value": {"Ref": "Tag"}}],
            "TimeoutSeconds": {"Ref": "Seconds"},
        },
    )
    # A deploy-time timeout cannot be added to: the wait condition waits the maximum, the handler the real one.
    template.has_resource_properties("AWS::CloudFormation::WaitCondition", {"Timeout": "43200"})


def test_validation_uses_the_handlers_own_contract() -> None:
    from cdk_workspaces_image_handler import contract, rules

    assert vars(image_module)["contract"] is contract
    assert vars(image_module)["rules"] is rules
    assert Path(contract.__file__).resolve() == (ROOT / "lambda" / "cdk_workspaces_image_handler" / "contract.py")
    assert Path(rules.__file__).resolve() == (ROOT / "lambda" / "cdk_workspaces_image_handler" / "rules.py")
    assert contract.OWNER_TAG_KEY == OWNER_TAG_KEY


def test_every_property_the_constructs_write_is_one_the_handler_takes() -> None:
    """The handler refuses properties its type does not take; the constructs' own must never be among them."""
    from cdk_workspaces_image_handler import contract, rules

    stack = every_resource_type(cdk.App(context=NO_BUNDLING), copies=True)
    customs = [
        r for r in Template.from_stack(stack).to_json()["Resources"].values() if r["Type"].startswith("Custom::")
    ]
    assert sorted({r["Type"] for r in customs}) == sorted(contract.PROPERTIES)
    for resource in customs:
        assert rules.unknown_properties_problem(resource["Type"], resource["Properties"]) is None


# --- the example app: cdk-nag and cfn-lint -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_assembly(tmp_path_factory: pytest.TempPathFactory) -> cdk.cx_api.CloudAssembly:
    context = cdk_context()
    outdir = tmp_path_factory.mktemp("example")
    app = cdk.App(context={**context, "aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    load_example_app().build_app(app)
    # cdk-nag findings raise here (the AwsSolutions pack is a policy-validation plugin).
    return app.synth()


def test_cdk_nag_aws_solutions_reports_nothing_on_the_example_app(example_assembly: cdk.cx_api.CloudAssembly) -> None:
    report = json.loads((Path(example_assembly.directory) / "validation-report.json").read_text())
    assert report["pluginReports"] == []


def test_cdk_nag_findings_fail_synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cdk_workspaces_image import _provider

    # Without the acknowledgements, the inherent wildcards are reported and synth fails: * and workspaceimage/*
    # for the image; workspacebundle/* and the images a bundle may use, since the example app has a bundle too.
    # The watch rule is named exactly.
    monkeypatch.setattr(_provider.WorkspacesImageProvider, "_acknowledge_wildcards", lambda *_: None)
    app = cdk.App(context={"source_image_id": "wsi-0123456789", "aws:cdk:bundling-stacks": []}, outdir=str(tmp_path))
    load_example_app().build_app(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = sorted(v["ruleName"] for r in report["pluginReports"] for v in r["violations"])
    arn = "arn:<AWS::Partition>:{}:<AWS::Region>:<AWS::AccountId>:{}"
    assert rules == [
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:workspaces:<AWS::Region>:*:workspaceimage/*]",
        f"AwsSolutions-IAM5[Resource::{arn.format('workspaces', 'workspacebundle/*')}]",
        f"AwsSolutions-IAM5[Resource::{arn.format('workspaces', 'workspaceimage/*')}]",
    ]


def test_example_app_outputs_the_image_id(example_assembly: cdk.cx_api.CloudAssembly) -> None:
    template = example_assembly.get_stack_by_name("WorkspacesImageExample").template
    output = template["Outputs"]["ImageId"]
    assert "Export" not in output, "an export would block next month's replacement"
    parameters = Template.from_json(template).find_resources(
        "AWS::SSM::Parameter", {"Properties": {"Name": "/cdk-workspaces-image/example/golden-image-id"}}
    )
    ((_, parameter),) = parameters.items()
    assert parameter["Properties"]["Value"] == output["Value"]
    assert list(output["Value"]) == ["Fn::Select"]
    image = only(Template.from_json(template), "Custom::UpdatedWorkspaceImage")[1]
    assert image["Properties"]["Tags"] == [{"Key": "team", "Value": "euc"}]


def test_cfn_lint_reports_no_error_or_warning(example_assembly: cdk.cx_api.CloudAssembly) -> None:
    from cfnlint.api import ManualArgs, lint

    template = example_assembly.get_stack_by_name("WorkspacesImageExample").template
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1", REGION]))
    findings = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]
    assert findings == []


# --- cross-stack use ---------------------------------------------------------------------------------------------


def test_an_image_id_exported_to_another_stack_warns_at_synth() -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    producer = cdk.Stack(app, "Images", env=env)
    image = UpdatedWorkspaceImage(producer, "Golden", **PROPS)
    consumer = cdk.Stack(app, "Desktops", env=env)
    cdk.CfnOutput(consumer, "Used", value=image.image_id)
    assembly = app.synth()
    warnings = [
        m.entry.data
        for m in assembly.get_stack_by_name("Images").messages
        if m.level == cdk.cx_api.SynthesisMessageLevel.WARNING
    ]
    assert any("image_id is used by another stack through a CloudFormation export" in str(w) for w in warnings)
    assert any("ssm.StringParameter" in str(w) for w in warnings)


def test_an_image_id_handed_over_in_an_ssm_parameter_makes_no_export_and_no_warning() -> None:
    from aws_cdk import aws_ssm as ssm

    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    producer = cdk.Stack(app, "Images", env=env)
    image = UpdatedWorkspaceImage(producer, "Golden", **PROPS)
    ssm.StringParameter(producer, "ImageId", parameter_name="/golden/image-id", string_value=image.image_id)
    consumer = cdk.Stack(app, "Desktops", env=env)
    cdk.CfnOutput(consumer, "Used", value=ssm.StringParameter.value_for_string_parameter(consumer, "/golden/image-id"))
    assembly = app.synth()
    assert "Outputs" not in assembly.get_stack_by_name("Images").template
    assert not [
        m for m in assembly.get_stack_by_name("Images").messages if m.level == cdk.cx_api.SynthesisMessageLevel.WARNING
    ]
