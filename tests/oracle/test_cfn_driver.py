"""The lifecycle driver's own rules, checked with a tiny custom resource handler instead of ours."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cfn_driver.assembly import load
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud
from cfn_driver.engine import CloudFormation, Stack
from cfn_driver.intrinsics import Resolver, TemplateError, references

# Answers according to its "Mode" property (a Delete by "DeleteMode"); PUTs with urllib like any handler would. With
# SEEN_FILE set, it first asks CloudFormation about the request's stack and resource, and writes down what it heard.
HANDLER = """
import json, os, urllib.parse, urllib.request

def seen(event):
    import boto3
    cfn, stack_id, lid = boto3.client("cloudformation"), event["StackId"], event["LogicalResourceId"]
    status = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    detail = cfn.describe_stack_resource(StackName=stack_id, LogicalResourceId=lid)["StackResourceDetail"]
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
    listed = [[s["ResourceStatus"], s.get("PhysicalResourceId")]
              for page in pages for s in page["StackResourceSummaries"] if s["LogicalResourceId"] == lid]
    row = [lid, event["RequestType"], event.get("PhysicalResourceId"), status,
           detail["ResourceStatus"], detail.get("PhysicalResourceId"), listed]
    with open(os.environ["SEEN_FILE"], "a") as out:
        out.write(json.dumps(row) + "\\n")

def put(url, body):
    headers = {"Content-Type": ""}
    parts = urllib.parse.urlsplit(url)
    if parts.hostname.endswith(".amazonaws.com"):  # CloudFormation's bucket, at AWS_ENDPOINT_URL_S3 here
        url, headers["Host"] = os.environ["AWS_ENDPOINT_URL_S3"] + parts.path + "?" + parts.query, parts.netloc
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT", headers=headers)
    urllib.request.urlopen(request).close()

def handler(event, context):
    if "Tick" in event:  # a schedule's Input: record the tick in the stack's table, through AWS_ENDPOINT_URL_DYNAMODB
        import boto3, time
        item = {"pk": {"S": "tick-" + str(int(time.time()))}, "stack": {"S": event["Tick"]}}
        boto3.client("dynamodb").put_item(TableName=event["Table"], Item=item)
        return
    if "Parameter" in event:  # a schedule's Input: overwrite an SSM parameter, through AWS_ENDPOINT_URL_SSM
        import boto3
        boto3.client("ssm").put_parameter(Name=event["Parameter"], Value=event["Value"], Overwrite=True)
        return
    if "Signal" in event:
        put(event["Signal"], {"Status": "SUCCESS", "Reason": "ok", "UniqueId": "u", "Data": "d"})
        return
    props = event["ResourceProperties"]
    mode = props.get("Mode", "ok") if event["RequestType"] != "Delete" else props.get("DeleteMode", "ok")
    if "SEEN_FILE" in os.environ:
        seen(event)
    with open(os.environ["LOG_FILE"], "a") as log:
        log.write(json.dumps([event["RequestType"], event.get("PhysicalResourceId"), props.get("Mode")]) + "\\n")
    if mode == "crash":
        raise RuntimeError("boom")
    if mode == "silent":
        return
    if mode == "put":  # tell the account's default bus, as the provider does when an image is ready
        import boto3
        entry = {"Source": "cdk-workspaces-image", "DetailType": "WorkSpaces Image Available", "Detail": "{}"}
        boto3.client("events").put_events(Entries=[entry])
    if "Handle" in props:
        put(props["Handle"], {"Status": "SUCCESS", "Reason": "early", "UniqueId": "early", "Data": "x"})
    kept = event.get("PhysicalResourceId", "id-1")
    physical = {"empty-id": "", "new-id": "id-" + props.get("Version", "1")}.get(mode, kept)
    body = {"Status": "FAILED" if mode == "fail" else "SUCCESS", "Reason": "x" * 5000 if mode == "big" else "said so",
            "PhysicalResourceId": physical, "StackId": event["StackId"], "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"], "Data": {"Answer": "42"}}
    put(event["ResponseURL"], body)
"""


def assembly(tmp: Path, resources: dict[str, Any], outputs: dict[str, Any] | None = None, name: str = "a") -> Path:
    out = tmp / name
    (out / "asset.fn").mkdir(parents=True)
    (out / "asset.fn" / "index.py").write_text(HANDLER)
    (out / "asset.fn" / "monitor.py").write_text(MONITOR)
    template = {
        "Resources": {
            "Fn": function("index.handler", "Fn", LOG_FILE=str(tmp / "events.log")),
            "FnRole": ROLE,
            "FnPolicy": policy(TICKS),
            **resources,
        },
        "Outputs": outputs or {},
    }
    (out / "S.template.json").write_text(json.dumps(template))
    manifest = {
        "artifacts": {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}}
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    },
}
# What the tiny handler's ticks need: PutItem on the tables of this account and Region.
TICKS = {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*"}


def function(handler: str, name: str, **variables: str) -> dict[str, Any]:
    """A function of the asset with the role `<name>Role`, made after its policy `<name>Policy`."""
    return {
        "Type": "AWS::Lambda::Function",
        "DependsOn": f"{name}Policy",
        "Properties": {
            "Handler": handler,
            "Timeout": 30,
            "Code": {"S3Bucket": "b", "S3Key": "fn.zip"},
            "Role": {"Fn::GetAtt": [f"{name}Role", "Arn"]},
            "Environment": {"Variables": variables},
        },
        "Metadata": {"aws:asset:path": "asset.fn"},
    }


def policy(*statements: dict[str, Any], name: str = "Fn") -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": f"{name}Policy",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
            "Roles": [{"Ref": f"{name}Role"}],
        },
    }


def custom(mode: str = "ok", **props: Any) -> dict[str, Any]:
    return {
        "Type": "Custom::Thing",
        "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Mode": mode, **props},
    }


@pytest.fixture
def cfn() -> Iterator[CloudFormation]:
    cloud = LocalCloud()
    engine = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION)
    yield engine
    engine.close()
    cloud.close()


def log_of(tmp: Path) -> list[list[Any]]:
    return [json.loads(line) for line in (tmp / "events.log").read_text().splitlines()]


def test_a_custom_resource_answer_becomes_its_id_and_attributes(cfn: CloudFormation, tmp_path: Path) -> None:
    out = assembly(tmp_path, {"R": custom(Number=5)}, {"A": {"Value": {"Fn::GetAtt": ["R", "Answer"]}}})
    stack = cfn.deploy(load(out))
    assert (stack.status, stack.outputs, stack.resources["R"].physical_id) == ("CREATE_COMPLETE", {"A": "42"}, "id-1")


def test_failed_answers_and_rollback_deletes_with_the_answered_id(cfn: CloudFormation, tmp_path: Path) -> None:
    stack = cfn.deploy(load(assembly(tmp_path, {"R": custom("fail")})))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "Received response status [FAILED] from custom resource. Message returned: said so" in stack.reason
    assert log_of(tmp_path) == [["Create", None, "fail"], ["Delete", "id-1", "fail"]]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("big", "Response object is too long."), ("empty-id", "Invalid PhysicalResourceId")],
)
def test_answers_cloudformation_refuses(cfn: CloudFormation, tmp_path: Path, mode: str, reason: str) -> None:
    stack = cfn.deploy(load(assembly(tmp_path, {"R": custom(mode)})))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert stack.reason.endswith(reason)


def test_no_answer_fails_after_the_service_timeout(cfn: CloudFormation, tmp_path: Path) -> None:
    stack = cfn.deploy(load(assembly(tmp_path, {"R": custom("silent", ServiceTimeout=120)})))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "did not receive a response from your Custom Resource" in stack.reason
    failed = next(e for e in cfn.events if e.status == "CREATE_FAILED")
    assert failed.time == 120


def test_a_service_timeout_over_an_hour_is_refused(cfn: CloudFormation, tmp_path: Path) -> None:
    stack = cfn.deploy(load(assembly(tmp_path, {"R": custom(ServiceTimeout=3601)})))
    assert "ServiceTimeout 3601 must be 1 to 3600" in stack.reason


def test_a_crashing_function_is_retried_twice_a_minute_then_two_apart(cfn: CloudFormation, tmp_path: Path) -> None:
    stack = cfn.deploy(load(assembly(tmp_path, {"R": custom("crash", ServiceTimeout=600)})))
    assert stack.status == "ROLLBACK_COMPLETE"
    errors = [e for e in cfn.events if e.status == "LAMBDA_ERROR"]
    assert [e.time for e in errors] == [0, 60, 180]
    assert "RuntimeError: boom" in errors[0].reason


def test_a_missing_module_fails_the_cold_start(cfn: CloudFormation, tmp_path: Path) -> None:
    out = assembly(tmp_path, {"R": custom(ServiceTimeout=60)})
    (out / "asset.fn" / "index.py").write_text("import crhelper\n" + HANDLER)
    cfn.deploy(load(out))
    error = next(e for e in cfn.events if e.status == "LAMBDA_ERROR")
    assert "No module named 'crhelper'" in error.reason, "the dev environment's crhelper must not leak into Lambda"


def test_a_wait_condition_times_out_and_counts_early_signals(cfn: CloudFormation, tmp_path: Path) -> None:
    resources = {
        "H": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "R": custom(Handle={"Ref": "H"}),
        "W": {
            "Type": "AWS::CloudFormation::WaitCondition",
            "DependsOn": "R",
            "Properties": {"Handle": {"Ref": "H"}, "Timeout": "300", "Count": "2"},
        },
    }
    stack = cfn.deploy(load(assembly(tmp_path, resources)))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert stack.reason.endswith("WaitCondition timed out. Received 1 conditions when expecting 2")
    assert next(e for e in cfn.events if e.status == "CREATE_FAILED").time == 300


def test_a_new_physical_id_is_a_replacement_cleaned_up_after_success(cfn: CloudFormation, tmp_path: Path) -> None:
    cfn.deploy(load(assembly(tmp_path, {"R": custom("new-id", Version="1")}, name="v1")))
    stack = cfn.deploy(load(assembly(tmp_path, {"R": custom("new-id", Version="2")}, name="v2")))
    assert (stack.status, stack.resources["R"].physical_id) == ("UPDATE_COMPLETE", "id-2")
    assert log_of(tmp_path)[-2:] == [["Update", "id-1", "new-id"], ["Delete", "id-1", "new-id"]]


def test_retain_keeps_replaced_and_deleted_resources(cfn: CloudFormation, tmp_path: Path) -> None:
    kept = {**custom("new-id", Version="1"), "UpdateReplacePolicy": "Retain", "DeletionPolicy": "Retain"}
    cfn.deploy(load(assembly(tmp_path, {"R": kept}, name="v1")))
    cfn.deploy(load(assembly(tmp_path, {"R": {**kept, **custom("new-id", Version="2")}}, name="v2")))
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert [e[0] for e in log_of(tmp_path)] == ["Create", "Update"]


def test_a_failed_in_place_update_is_rolled_back_with_the_old_properties(cfn: CloudFormation, tmp_path: Path) -> None:
    cfn.deploy(load(assembly(tmp_path, {"R": custom("ok", Version="1")}, name="v1")))
    stack = cfn.deploy(load(assembly(tmp_path, {"R": custom("fail", Version="2")}, name="v2")))
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert log_of(tmp_path)[-1] == ["Update", "id-1", "ok"]
    assert stack.resources["R"].properties["Version"] == "1"


def test_intrinsics() -> None:
    attrs = {("R", "Arn"): "arn:r"}
    resolver = Resolver(
        pseudo={"AWS::Region": "eu-west-1"},
        parameters={"P": "p"},
        conditions={"Yes": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}},
        ref=lambda lid: f"id-{lid}",
        get_att=lambda lid, attr: attrs[(lid, attr)],
    )
    node = {
        "a": {"Fn::Join": ["-", [{"Ref": "P"}, {"Fn::Select": [1, {"Fn::Split": [",", "x,y"]}]}]]},
        "b": {"Fn::Sub": "${AWS::Region}/${R.Arn}/${X}"},
        "c": {"Fn::If": ["Yes", "yes", {"Ref": "AWS::NoValue"}]},
        "d": {"Fn::Sub": ["${V}!", {"V": {"Ref": "R"}}]},
    }
    assert resolver.resolve(node) == {"a": "p-y", "b": "eu-west-1/arn:r/id-X", "c": "yes", "d": "id-R!"}
    assert references(node) == {"P", "R", "X"}
    with pytest.raises(TemplateError, match="does not model Fn::ImportValue"):
        resolver.resolve({"Fn::ImportValue": "x"})


def test_a_comma_delimited_list_parameter_refs_as_a_list(cfn: CloudFormation, tmp_path: Path) -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html: the Ref of a
    CommaDelimitedList parameter is the list of the strings between its commas."""
    out = assembly(
        tmp_path,
        {"R": custom(Number=5)},
        {
            "Second": {"Value": {"Fn::Select": [1, {"Ref": "L"}]}},
            "Joined": {"Value": {"Fn::Join": ["+", {"Ref": "L"}]}},
        },
    )
    template = json.loads((out / "S.template.json").read_text())
    template["Parameters"] = {"L": {"Type": "CommaDelimitedList", "Default": "a,b"}}
    (out / "S.template.json").write_text(json.dumps(template))
    assert cfn.deploy(load(out)).outputs == {"Second": "b", "Joined": "a+b"}
    assert cfn.deploy(load(out), {"L": "x,y,z"}).outputs == {"Second": "y", "Joined": "x+y+z"}
    # An SSM parameter of a list type: the list its value holds, read at each deploy.
    template["Parameters"] = {"L": {"Type": "AWS::SSM::Parameter::Value<List<String>>", "Default": "/list"}}
    (out / "S.template.json").write_text(json.dumps(template))
    cfn.ssm_parameters["/list"] = "p,q"
    assert cfn.deploy(load(out)).outputs == {"Second": "q", "Joined": "p+q"}


def test_the_inbox_refuses_the_puts_to_one_url_only() -> None:
    from cfn_driver.inbox import Inbox

    inbox = Inbox().start()
    try:
        refused, other = inbox.handle_url("refused-handle"), inbox.handle_url("other-handle")
        inbox.refuse(refused, 500)

        def put(url: str) -> int:
            parts = urllib.parse.urlsplit(url)
            request = urllib.request.Request(
                f"{inbox.endpoint}{parts.path}?{parts.query}",
                data=json.dumps({"Status": "SUCCESS"}).encode(),
                method="PUT",
                headers={"Host": parts.netloc},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    return int(answer.status)
            except urllib.error.HTTPError as error:
                return error.code

        assert [put(other), put(refused), put(refused)] == [200, 500, 200]
        assert len(inbox.signals["refused-handle"]) == 1
    finally:
        inbox.stop()


# -- DynamoDB tables and EventBridge rules, made for real in the emulator ----------------------------------------

# The new templates name the rule after the stack id's GUID.
RULE_NAME = {"Fn::Join": ["", ["cdkwsi-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]]}


def table(**extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
            **extra,
        },
    }


def rule(name: Any = RULE_NAME, **extra: Any) -> dict[str, Any]:
    tick = {"Fn::Sub": '{"Tick": "${AWS::StackName}", "Table": "${Table}"}'}
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Name": name,
            "ScheduleExpression": "rate(1 minute)",
            "Description": "ticks the watch",
            "Targets": [{"Id": "watch", "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}, "Input": tick}],
            **extra,
        },
    }


OUTPUTS = {
    "Table": {"Value": {"Ref": "Table"}},
    "TableArn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}},
    "Rule": {"Value": {"Ref": "Rule"}},
    "RuleArn": {"Value": {"Fn::GetAtt": ["Rule", "Arn"]}},
    "Function": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}},
}


@pytest.fixture
def local() -> Iterator[tuple[LocalCloud, CloudFormation]]:
    cloud = LocalCloud()
    engine = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION)
    yield cloud, engine
    engine.close()
    cloud.close()


def deployed(local: tuple[LocalCloud, CloudFormation], out: Path) -> Stack:
    stack = local[1].deploy(load(out))
    assert stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack.reason
    return stack


def outputs(local: tuple[LocalCloud, CloudFormation], out: Path) -> dict[str, Any]:
    """The outputs of this deployment (deploy() answers the one Stack object it keeps updating)."""
    return dict(deployed(local, out).outputs)


def test_a_table_and_a_rule_are_made_in_the_emulator_fire_and_are_deleted(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    stack = deployed(local, assembly(tmp_path, {"Table": table(), "Rule": rule()}, OUTPUTS))
    guid = stack.stack_id.split("/")[2]
    name, table_name = f"cdkwsi-{guid}", stack.outputs["Table"]
    assert stack.outputs["Rule"] == name
    assert stack.outputs["RuleArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"
    assert table_name.startswith("S-Table-")
    assert stack.outputs["TableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table_name}"
    made = cloud.events.rules[name]
    assert (made.state, made.schedule, made.description) == ("ENABLED", "rate(1 minute)", "ticks the watch")
    assert [t["Arn"] for t in made.targets.values()] == [stack.outputs["Function"]]
    assert cloud.dynamodb.tables[table_name].ttl_attribute == "expires"
    # The rule fires at the stack's function, which writes to the stack's table through AWS_ENDPOINT_URL_DYNAMODB.
    cfn.settle(60)
    assert [i["stack"] for i in cloud.dynamodb.items(table_name)] == [{"S": "S"}]
    assert cloud.dynamodb.items(table_name)[0]["pk"]["S"] == f"tick-{int(made.anchor + 60)}"
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert cloud.events.rules == {}
    assert cloud.dynamodb.tables == {}
    assert not [e for e in cfn.events if e.status == "LAMBDA_ERROR"]


def test_retain_keeps_the_table_and_the_rule(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    kept = {"DeletionPolicy": "Retain"}
    stack = deployed(local, assembly(tmp_path, {"Table": {**table(), **kept}, "Rule": {**rule(), **kept}}, OUTPUTS))
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert list(cloud.events.rules) == [stack.outputs["Rule"]]
    assert cloud.events.rules[stack.outputs["Rule"]].targets, "a retained rule keeps its targets"
    assert list(cloud.dynamodb.tables) == [stack.outputs["Table"]]


def test_updates_in_place_and_by_replacement(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    v1 = outputs(local, assembly(tmp_path, {"Table": table(), "Rule": rule()}, OUTPUTS, name="v1"))
    # In place: the rule's state and description, a target dropped; the table's TTL switched off.
    no_ttl = table(TimeToLiveSpecification={"Enabled": False})
    quiet = rule(State="DISABLED", Description="paused", Targets=[])
    # API_UpdateTimeToLive: no second change within the hour. The rule, changed first, is rolled back too.
    early = cfn.deploy(load(assembly(tmp_path, {"Table": no_ttl, "Rule": quiet}, OUTPUTS, name="early")))
    assert early.status == "UPDATE_ROLLBACK_COMPLETE", early.reason
    assert "Time to live has been modified multiple times within a fixed interval" in early.reason
    back = cloud.events.rules[v1["Rule"]]
    assert (back.state, back.description, list(back.targets)) == ("ENABLED", "ticks the watch", ["watch"])
    cloud.clock.advance(3600)
    v2 = outputs(local, assembly(tmp_path, {"Table": no_ttl, "Rule": quiet}, OUTPUTS, name="v2"))
    assert (v2["Rule"], v2["Table"]) == (v1["Rule"], v1["Table"])
    paused = cloud.events.rules[v2["Rule"]]
    assert (paused.state, paused.description, paused.targets) == ("DISABLED", "paused", {})
    assert cloud.dynamodb.tables[v2["Table"]].ttl_enabled is False
    # Replacement: a new rule name, a new key schema; the old ones are deleted after the update.
    keyed = table(
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    v3 = outputs(local, assembly(tmp_path, {"Table": keyed, "Rule": rule("cdkwsi-renamed")}, OUTPUTS, name="v3"))
    assert list(cloud.events.rules) == ["cdkwsi-renamed"]
    assert list(cloud.dynamodb.tables) == [v3["Table"]]
    assert v3["Table"] != v1["Table"]
    assert cloud.dynamodb.tables[v3["Table"]].hash_key == "id"


def test_a_custom_named_table_cannot_be_replaced(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    deployed(local, assembly(tmp_path, {"Table": table(TableName="watch")}, name="v1"))
    keyed = table(
        TableName="watch",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    stack = cfn.deploy(load(assembly(tmp_path, {"Table": keyed}, name="v2")))
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "a custom-named resource requires replacing. Rename watch" in stack.reason
    assert cloud.dynamodb.tables["watch"].hash_key == "pk"


def test_a_failed_create_rolls_the_table_back(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    broken = rule(ScheduleExpression="rate(1 minutes)")
    stack = cfn.deploy(load(assembly(tmp_path, {"Table": table(), "Rule": broken})))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert stack.reason.endswith("Parameter ScheduleExpression is not valid. (Error Code: ValidationException)")
    assert (cloud.events.rules, cloud.dynamodb.tables) == ({}, {})
    unmodelled = cfn.deploy(load(assembly(tmp_path, {"Table": table(StreamSpecification={})}, name="b")))
    assert "does not model AWS::DynamoDB::Table properties StreamSpecification" in unmodelled.reason


def table_policy(condition: dict[str, Any] | None) -> dict[str, Any]:
    """A ResourcePolicy denying the table's items to every principal (but whom `condition` spares)."""
    deny = {"Effect": "Deny", "Principal": "*", "Action": ["dynamodb:PutItem", "dynamodb:Scan"], "Resource": "*"}
    return {
        "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{**deny, **({"Condition": condition} if condition else {})}],
        }
    }


# Only the function's own role may touch the items (Fn::GetAtt resolves inside the document).
BUT_THE_FUNCTION = table_policy({"StringNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["FnRole", "Arn"]}}})


def test_a_table_policy_is_created_updated_in_place_rolled_back_and_deleted(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    """The template reference's ResourcePolicy: its PolicyDocument goes to CreateTable; a change is put, a removal
    deleted, both in place; a rollback puts the previous one back, after DynamoDB's 15-second block."""
    cloud, cfn = local
    guarded = table(ResourcePolicy=BUT_THE_FUNCTION)
    stack = deployed(local, assembly(tmp_path, {"Table": guarded, "Rule": rule()}, OUTPUTS, name="v1"))
    name, role = stack.outputs["Table"], stack.resources["FnRole"].attributes["Arn"]
    made = cloud.dynamodb.tables[name]
    assert made.policy_document is not None
    assert made.policy_document["Statement"][0]["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": role}}
    assert json.loads(cloud.dynamodb.calls_to("CreateTable")[-1].params["ResourcePolicy"]) == made.policy_document
    cfn.settle(60)
    assert len(cloud.dynamodb.items(name)) == 1, "the function's own role writes under the policy"
    assert cloud.access.denials == []
    # In place: a policy that spares nobody is put; the next tick is refused.
    closed = table(ResourcePolicy=table_policy(None))
    deployed(local, assembly(tmp_path, {"Table": closed, "Rule": rule()}, OUTPUTS, name="v2"))
    assert cloud.dynamodb.tables[name] is made, "updated in place"
    assert [c.error for c in cloud.dynamodb.calls_to("PutResourcePolicy")] == [None]
    cfn.settle(60)
    assert len(cloud.dynamodb.items(name)) == 1
    assert [d.message.endswith("with an explicit deny in a resource-based policy") for d in cloud.access.denials] == [
        True
    ]
    # In place: the policy taken out of the template is deleted.
    deployed(local, assembly(tmp_path, {"Table": table(), "Rule": rule()}, OUTPUTS, name="v3"))
    assert made.policy is None
    assert len(cloud.dynamodb.calls_to("DeleteResourcePolicy")) == 1
    # A failed update right after the policy is put back: the rollback deletes it again once DynamoDB lets it.
    broken = rule("cdkwsi-broken", ScheduleExpression="rate(1 minutes)")
    failed = cfn.deploy(load(assembly(tmp_path, {"Table": guarded, "Rule": rule(), "Broken": broken}, OUTPUTS, "v4")))
    assert failed.status == "UPDATE_ROLLBACK_COMPLETE", failed.reason
    puts, deletes = cloud.dynamodb.calls_to("PutResourcePolicy"), cloud.dynamodb.calls_to("DeleteResourcePolicy")
    assert [c.error for c in deletes[1:]] == ["ResourceInUseException"] * 3 + [None]
    assert deletes[-1].at - puts[-1].at >= 15
    assert made.policy is None
    # Unchanged in the template, a policy changed outside it is left alone ("don't support out-of-band changes").
    cloud.clock.advance(15)
    cloud.dynamodb.handle("PutResourcePolicy", {"ResourceArn": made.arn, "Policy": json.dumps(OPEN_TO_ALL)})
    deployed(local, assembly(tmp_path, {"Table": table(), "Rule": rule(Description="again")}, OUTPUTS, name="v5"))
    assert made.policy_document == OPEN_TO_ALL
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert cloud.dynamodb.tables == {}


def test_a_table_policy_needs_its_document(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    stack = cfn.deploy(load(assembly(tmp_path, {"Table": table(ResourcePolicy={"Document": {}})})))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "ResourcePolicy needs a PolicyDocument" in stack.reason
    text = json.dumps(OPEN_TO_ALL)
    as_text = cfn.deploy(load(assembly(tmp_path, {"Table": table(ResourcePolicy={"PolicyDocument": text})}, name="b")))
    assert as_text.status == "CREATE_COMPLETE", as_text.reason
    assert [t.policy for t in cloud.dynamodb.tables.values()] == [text], "JSON text goes to DynamoDB as it is"
    # A document DynamoDB refuses fails the update in place, and the rollback leaves the policy as it was.
    users = {
        **OPEN_TO_ALL,
        "Statement": [{**OPEN_TO_ALL["Statement"][0], "Principal": {"AWS": "arn:aws:iam::1:user/u"}}],
    }
    cloud.clock.advance(15)
    refused = cfn.deploy(load(assembly(tmp_path, {"Table": table(ResourcePolicy={"PolicyDocument": users})}, name="c")))
    assert refused.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "Invalid policy document" in refused.reason
    assert [t.policy for t in cloud.dynamodb.tables.values()] == [text]


# -- event buses: AWS::Events::EventBus, AWS::Events::EventBusPolicy, and rules on a custom bus --------------------

NEWS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/news"
PATTERN = {"source": ["cdk-workspaces-image"]}


def bus(name: str = "news", **extra: Any) -> dict[str, Any]:
    return {"Type": "AWS::Events::EventBus", "Properties": {"Name": name, **extra}}


def deny_all_but_the_function(sid: str, bus_name: Any = None, **condition: Any) -> dict[str, Any]:
    """An EventBusPolicy statement refusing the library's source on the bus to every principal but the function's
    role, as event_bus writes it."""
    return {
        "Type": "AWS::Events::EventBusPolicy",
        "Properties": {
            "EventBusName": bus_name or {"Ref": "Bus"},
            "StatementId": sid,
            "Statement": {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": {"Fn::GetAtt": ["Bus", "Arn"]},
                "Condition": {
                    "ForAnyValue:StringEquals": {"events:source": ["cdk-workspaces-image"]},
                    "StringNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["FnRole", "Arn"]}},
                    **condition,
                },
            },
        },
    }


def news_rule(bus_name: Any = None) -> dict[str, Any]:
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventBusName": bus_name or {"Ref": "Bus"},
            "EventPattern": PATTERN,
            "Targets": [{"Id": "alerts", "Arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"}],
        },
    }


BUS_OUTPUTS = {
    "Bus": {"Value": {"Ref": "Bus"}},
    "BusArn": {"Value": {"Fn::GetAtt": ["Bus", "Arn"]}},
    "OnNews": {"Value": {"Ref": "OnNews"}},
    "OnNewsArn": {"Value": {"Fn::GetAtt": ["OnNews", "Arn"]}},
}


def statements(cloud: LocalCloud, name: str = "news") -> list[dict[str, Any]]:
    policy = cloud.events.buses[name].policy
    return [] if policy is None else list(json.loads(policy)["Statement"])


def test_a_bus_its_policy_statement_and_a_rule_on_it_are_made_updated_and_deleted(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    """AWS::Events::EventBus (Ref the name, Fn::GetAtt Arn), AWS::Events::EventBusPolicy (one statement of the bus's
    policy, Sid its StatementId) and AWS::Events::Rule with EventBusName (rule/<bus>/<name>)."""
    cloud, cfn = local
    resources = {"Bus": bus(), "Guard": deny_all_but_the_function("guard"), "OnNews": news_rule()}
    v1 = outputs(local, assembly(tmp_path, resources, BUS_OUTPUTS, name="v1"))
    assert (v1["Bus"], v1["BusArn"]) == ("news", NEWS_ARN)
    assert v1["OnNewsArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/news/{v1['OnNews']}"
    assert list(cloud.events.buses["news"].rules) == [v1["OnNews"]]
    assert v1["OnNews"] not in cloud.events.rules, "not on the default bus"
    role_arn = cfn.stacks["S"].resources["FnRole"].attributes["Arn"]
    (guard,) = statements(cloud)
    assert guard["Sid"] == "guard"
    assert guard["Condition"]["StringNotEquals"] == {"aws:PrincipalArn": role_arn}
    # A statement another tool put on the bus stays whatever the stack does with its own.
    cloud.events.handle(
        "PutPermission",
        {"EventBusName": "news", "StatementId": "partner", "Action": "events:PutEvents", "Principal": "444455556666"},
    )
    # In place: the statement changes (same StatementId).
    changed = {**resources, "Guard": deny_all_but_the_function("guard", **{"Null": {"events:source": "false"}})}
    outputs(local, assembly(tmp_path, changed, BUS_OUTPUTS, name="v2"))
    assert [s["Sid"] for s in statements(cloud)] == ["partner", "guard"]
    assert "Null" in statements(cloud)[1]["Condition"]
    # Replacement: a new StatementId is added before the old one goes.
    renamed = {**resources, "Guard": deny_all_but_the_function("guard-2")}
    outputs(local, assembly(tmp_path, renamed, BUS_OUTPUTS, name="v3"))
    assert [s["Sid"] for s in statements(cloud)] == ["partner", "guard-2"]
    # A second resource may not take a StatementId the bus's policy already holds.
    clash = {**renamed, "Again": deny_all_but_the_function("partner")}
    failed = cfn.deploy(load(assembly(tmp_path, clash, BUS_OUTPUTS, name="v4")))
    assert failed.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "Statement partner already exists on event bus news" in failed.reason
    assert [s["Sid"] for s in statements(cloud)] == ["partner", "guard-2"]
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert list(cloud.events.buses) == ["default"], "the rule, the statement and then the bus are deleted"


def test_a_bus_policy_property_and_a_rule_moved_to_another_bus(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    whole = {"Version": "2012-10-17", "Statement": [{**OPEN_TO_ALL["Statement"][0], "Action": "events:PutEvents"}]}
    v1 = outputs(local, assembly(tmp_path, {"Bus": bus(Policy=whole), "OnNews": news_rule()}, BUS_OUTPUTS, name="v1"))
    assert json.loads(cloud.events.buses["news"].policy or "") == whole
    # The rule moves to the default bus: a replacement (EventBusName), the old rule deleted from its bus.
    moved = {"Bus": bus(), "OnNews": news_rule("default")}
    v2 = outputs(local, assembly(tmp_path, moved, BUS_OUTPUTS, name="v2"))
    assert v2["OnNews"] != v1["OnNews"]
    assert (list(cloud.events.rules), list(cloud.events.buses["news"].rules)) == ([v2["OnNews"]], [])
    assert cloud.events.buses["news"].policy is None, "a Policy taken out of the template is removed"
    unmodelled = cfn.deploy(load(assembly(tmp_path, {"Bus": bus(KmsKeyIdentifier="k")}, name="b")))
    assert "does not model AWS::Events::EventBus properties KmsKeyIdentifier" in unmodelled.reason


OPEN_TO_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"}],
}


# -- IAM: each function calls with its own role's credentials, and only what the role's policies allow ------------

READ_ONLY = {"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*"}


def test_a_function_may_call_only_what_its_role_allows_and_a_policy_update_takes_effect(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    stack = deployed(
        local, assembly(tmp_path, {"Table": table(), "Rule": rule(), "FnPolicy": policy(READ_ONLY)}, OUTPUTS, "v1")
    )
    role, function = stack.resources["FnRole"], stack.resources["Fn"]
    assert role.attributes["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{role.physical_id}"
    table_arn = stack.outputs["TableArn"]
    cfn.settle(60)
    assert cloud.dynamodb.items(stack.outputs["Table"]) == []
    error = next(e for e in cfn.events if e.status == "LAMBDA_ERROR")
    assert (
        f"AccessDeniedException) when calling the PutItem operation: User: arn:aws:sts::{ACCOUNT}:assumed-role/"
        f"{role.physical_id}/{function.physical_id} is not authorized to perform: dynamodb:PutItem on resource: "
        f"{table_arn} because no identity-based policy allows the dynamodb:PutItem action"
    ) in error.reason
    # CloudFormation made the table and the rule with the deployer's credentials: nothing checked them.
    assert [c.caller for c in cloud.dynamodb.calls if c.operation == "CreateTable"] == [None]
    # The stack grants PutItem: the next tick may write.
    deployed(local, assembly(tmp_path, {"Table": table(), "Rule": rule()}, OUTPUTS, "v2"))
    cfn.settle(120)
    assert cloud.dynamodb.items(stack.outputs["Table"]) != []
    (key,) = {c.caller for c in cloud.dynamodb.calls if c.operation == "PutItem"}
    assert cfn.hosts[function.attributes["Arn"]].env["AWS_ACCESS_KEY_ID"] == key
    principal = cloud.access.principal(str(key))
    assert principal is not None
    assert principal.role_arn == role.attributes["Arn"]
    # The function is gone with the stack, and so are its credentials.
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert cloud.access.principal(str(key)) is None


def test_with_enforcement_off_a_function_may_call_anything(tmp_path: Path) -> None:
    cloud = LocalCloud(enforce_iam=False)
    cfn = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION)
    try:
        stack = cfn.deploy(load(assembly(tmp_path, {"Table": table(), "Rule": rule(), "FnPolicy": policy(READ_ONLY)})))
        assert stack.status == "CREATE_COMPLETE", stack.reason
        cfn.settle(60)
        assert len(cloud.dynamodb.items(stack.resources["Table"].physical_id)) == 1
    finally:
        cfn.close()
        cloud.close()


def test_a_function_needs_a_role(cfn: CloudFormation, tmp_path: Path) -> None:
    out = assembly(tmp_path, {"R": custom()})
    template = json.loads((out / "S.template.json").read_text())
    del template["Resources"]["Fn"]["Properties"]["Role"]
    (out / "S.template.json").write_text(json.dumps(template))
    stack = cfn.deploy(load(out))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "required key [Role] not found" in stack.reason


def test_each_function_has_its_own_credentials(cfn: CloudFormation, tmp_path: Path) -> None:
    second = {
        "Fn2": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": "index.handler",
                "Code": {"S3Bucket": "b", "S3Key": "fn.zip"},
                "Role": {"Fn::GetAtt": ["FnRole", "Arn"]},
            },
            "Metadata": {"aws:asset:path": "asset.fn"},
        }
    }
    cfn.deploy(load(assembly(tmp_path, second)))
    keys = {host.name: host.env["AWS_ACCESS_KEY_ID"] for host in cfn.hosts.values()}
    assert len(set(keys.values())) == 2
    assert all(key.startswith("ASIA") for key in keys.values())


# -- SNS topics, rules with event patterns, and a second function ------------------------------------------------

# A second entry point in the same asset, as the update monitor is: on its daily Scheduled Event it puts an event
# with the source its environment names and starts the pipeline; any other event it only logs.
MONITOR = """
import json, os, boto3

def handler(event, context):
    with open(os.environ["LOG_FILE"], "a") as log:
        log.write(json.dumps(["monitor", event.get("detail-type"), event.get("source")]) + "\\n")
    if event.get("detail-type") != "Scheduled Event":
        return
    entry = {"Source": os.environ["SOURCE"], "DetailType": "WorkSpaces Image Update Available",
             "Detail": json.dumps({"ImageId": "wsi-1", "Time": event["time"]})}
    answer = boto3.client("events").put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0, answer
    boto3.client("codepipeline").start_pipeline_execution(name=os.environ["PIPELINE_NAME"])
"""
SOURCE = "cdk-workspaces-image"
PIPELINE = "golden-image"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
# The monitor's statements: its own source only, and its pipeline.
MONITOR_STATEMENTS: list[dict[str, Any]] = [
    {
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": BUS,
        "Condition": {"ForAllValues:StringEquals": {"events:source": [SOURCE]}, "Null": {"events:source": "false"}},
    },
    {
        "Effect": "Allow",
        "Action": "codepipeline:StartPipelineExecution",
        "Resource": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{PIPELINE}",
    },
]


def monitor_resources(tmp: Path, source: str = SOURCE) -> dict[str, Any]:
    """The monitor (handler monitor.handler, its own role), its daily schedule without Input, a topic, and a rule
    whose pattern sends the monitor's events to the topic (through an InputTransformer) and back to the monitor."""
    return {
        "Monitor": function(
            "monitor.handler", "Monitor", LOG_FILE=str(tmp / "events.log"), SOURCE=source, PIPELINE_NAME=PIPELINE
        ),
        "MonitorRole": ROLE,
        "MonitorPolicy": policy(*MONITOR_STATEMENTS, name="Monitor"),
        "Daily": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "rate(1 day)",
                "Targets": [{"Id": "monitor", "Arn": {"Fn::GetAtt": ["Monitor", "Arn"]}}],
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}},
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "Topic"},
                        }
                    ]
                },
                "Topics": [{"Ref": "Topic"}],
            },
        },
        "Updates": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {"source": [SOURCE], "detail-type": ["WorkSpaces Image Update Available"]},
                "State": "ENABLED",
                "Targets": [
                    {
                        "Id": "Target0",
                        "Arn": {"Ref": "Topic"},
                        "InputTransformer": {
                            "InputPathsMap": {"detail-ImageId": "$.detail.ImageId"},
                            "InputTemplate": '"Updates are available for <detail-ImageId>"',
                        },
                    },
                    {"Id": "Target1", "Arn": {"Fn::GetAtt": ["Monitor", "Arn"]}},
                ],
            },
        },
    }


TOPIC_OUTPUTS = {
    "Topic": {"Value": {"Ref": "Topic"}},
    "TopicArn": {"Value": {"Fn::GetAtt": ["Topic", "TopicArn"]}},
    "TopicName": {"Value": {"Fn::GetAtt": ["Topic", "TopicName"]}},
    "Updates": {"Value": {"Ref": "Updates"}},
    "Daily": {"Value": {"Ref": "Daily"}},
    "Monitor": {"Value": {"Fn::GetAtt": ["Monitor", "Arn"]}},
}


def test_a_second_function_its_schedule_a_topic_and_a_pattern_rule_deliver_end_to_end(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    cloud.codepipeline.add_pipeline(PIPELINE)
    stack = deployed(local, assembly(tmp_path, monitor_resources(tmp_path), TOPIC_OUTPUTS))
    out = stack.outputs
    # Ref of a topic is its ARN; the name is generated like the driver's other names.
    assert out["Topic"] == out["TopicArn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:{out['TopicName']}"
    assert out["TopicName"].startswith("S-Topic-")
    assert stack.resources["TopicPolicy"].properties["Topics"] == [out["Topic"]]
    # Rules without Name get generated names, as CloudFormation gives them.
    assert out["Updates"].startswith("S-Updates-")
    assert out["Daily"].startswith("S-Daily-")
    assert cloud.events.rules[out["Updates"]].pattern == {
        "source": [SOURCE],
        "detail-type": ["WorkSpaces Image Update Available"],
    }
    cfn.settle(86400)
    assert not [e for e in cfn.events if e.status == "LAMBDA_ERROR"], [e.reason for e in cfn.events]
    # The schedule sent the monitor (handler monitor.handler) the Scheduled Event; the event it put went, through
    # the pattern rule, to the topic (recorded only) and back to the monitor (invoked).
    assert log_of(tmp_path) == [
        ["monitor", "Scheduled Event", "aws.events"],
        ["monitor", "WorkSpaces Image Update Available", SOURCE],
    ]
    (put,) = cloud.events.events_put
    monitor_key = cfn.hosts[out["Monitor"]].env["AWS_ACCESS_KEY_ID"]
    assert (put.source, put.detail["ImageId"], put.caller) == (SOURCE, "wsi-1", monitor_key)
    topic, back = cloud.events.deliveries
    assert (topic.rule, topic.arn, topic.event) == (out["Updates"], out["Topic"], "Updates are available for wsi-1")
    assert (back.arn, back.event) == (out["Monitor"], put.event)
    (execution,) = cloud.codepipeline.executions
    assert (execution.pipeline, execution.caller) == (PIPELINE, monitor_key)
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert cloud.events.rules == {}


def test_a_function_may_put_only_the_source_its_role_allows(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    cloud.codepipeline.add_pipeline(PIPELINE)
    deployed(local, assembly(tmp_path, monitor_resources(tmp_path, source="someone-else")))
    cfn.settle(86400 + 600)
    errors = [e.reason for e in cfn.events if e.status == "LAMBDA_ERROR"]
    assert len(errors) == 3, "Lambda's two async retries"
    assert errors[0].startswith("Scheduled Event, attempt 1: AccessDeniedException: An error occurred")
    assert "events:PutEvents on resource: " + BUS in errors[0]
    assert cloud.events.events_put == []
    assert cloud.codepipeline.executions == []


def test_topic_names_replacement_and_what_is_not_modelled(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cfn = local[1]
    outputs_ = {"Arn": {"Value": {"Ref": "Topic"}}, "Name": {"Value": {"Fn::GetAtt": ["Topic", "TopicName"]}}}
    fifo = {"Type": "AWS::SNS::Topic", "Properties": {"FifoTopic": True}}
    v1 = outputs(local, assembly(tmp_path, {"Topic": fifo}, outputs_, name="v1"))
    assert v1["Name"].endswith(".fifo"), "SNS: a FIFO topic's name ends with .fifo"
    # An in-place change keeps the topic; a new TopicName replaces it.
    shown = {"Type": "AWS::SNS::Topic", "Properties": {"FifoTopic": True, "DisplayName": "Images"}}
    assert outputs(local, assembly(tmp_path, {"Topic": shown}, outputs_, name="v2")) == v1
    named = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}}
    v3 = outputs(local, assembly(tmp_path, {"Topic": named}, outputs_, name="v3"))
    assert v3 == {"Arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts", "Name": "alerts"}
    # A custom-named topic cannot be replaced (FifoTopic replaces), nor named what SNS refuses.
    renamed = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts", "FifoTopic": False}}
    stack = cfn.deploy(load(assembly(tmp_path, {"Topic": renamed}, outputs_, name="v4")))
    assert "a custom-named resource requires replacing. Rename alerts" in stack.reason
    bad = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "has space"}}
    stack = cfn.deploy(load(assembly(tmp_path, {"Topic": bad}, outputs_, name="v5")))
    assert "Invalid parameter: Topic Name 'has space'" in stack.reason
    unknown = {"Type": "AWS::SNS::Topic", "Properties": {"Unheard": 1}}
    stack = cfn.deploy(load(assembly(tmp_path, {"Topic": unknown}, outputs_, name="v6")))
    assert "does not model AWS::SNS::Topic properties Unheard" in stack.reason
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert stack.outputs == v3


def test_a_put_events_lambda_target_runs_as_soon_as_the_driver_has_control(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud = local[0]
    resources = monitor_resources(tmp_path)
    resources["Updates"]["Properties"]["EventPattern"]["detail-type"] = ["WorkSpaces Image Available"]
    resources |= {
        "FnPolicy": policy(TICKS, MONITOR_STATEMENTS[0]),
        "R": {**custom("put"), "DependsOn": "Updates"},
        "After": {**custom(), "DependsOn": "R"},
    }
    start = cloud.clock.now()
    deployed(local, assembly(tmp_path, resources))
    # The custom resource's handler put the event; the monitor got it before the next resource was even started.
    assert log_of(tmp_path)[:3] == [
        ["Create", None, "put"],
        ["monitor", "WorkSpaces Image Available", SOURCE],
        ["Create", None, "ok"],
    ]
    assert cloud.clock.now() == start, "no virtual time passed"


# -- SSM parameters: the stack's, written by a function under its role, read back by the next deploy ---------------

PARAMETER = "/golden/image-id"
PARAMETER_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/golden/image-id"
MAY_PUT = {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": PARAMETER_ARN}


def parameter(value: str = "wsi-template", name: str = PARAMETER) -> dict[str, Any]:
    return {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": value}}


def writer() -> dict[str, Any]:
    """A schedule whose tick has the function overwrite the parameter."""
    tick = {"Fn::Sub": '{"Parameter": "${Param}", "Value": "wsi-function"}'}
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "ScheduleExpression": "rate(1 minute)",
            "Targets": [{"Id": "writer", "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}, "Input": tick}],
        },
    }


READ_BACK = {"Image": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": PARAMETER}}


def read_back(tmp: Path, resources: dict[str, Any], name: str) -> Path:
    """The stack again, with an SSM-typed template parameter reading the parameter, and it as the output Image."""
    out = assembly(tmp, resources, {"Image": {"Value": {"Ref": "Image"}}}, name)
    template = json.loads((out / "S.template.json").read_text())
    template["Parameters"] = READ_BACK
    (out / "S.template.json").write_text(json.dumps(template))
    return out


def test_a_stack_parameter_is_written_by_its_function_read_back_and_overwritten_by_an_update(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    stack = deployed(
        local, assembly(tmp_path, {"Param": parameter(), "Writer": writer(), "FnPolicy": policy(TICKS, MAY_PUT)})
    )
    assert stack.resources["Param"].physical_id == PARAMETER
    assert cfn.ssm_parameters[PARAMETER] == "wsi-template"
    # CloudFormation wrote it through the front door, with the deployer's credentials: nothing checked them.
    assert [(c.params["Overwrite"], c.caller) for c in cloud.ssm.calls_to("PutParameter")] == [(False, None)]
    cfn.settle(60)
    assert not [e for e in cfn.events if e.status == "LAMBDA_ERROR"], [e.reason for e in cfn.events]
    assert cloud.ssm.value(PARAMETER) == "wsi-function"
    written = cloud.ssm.calls_to("PutParameter")[-1]
    assert written.caller == cfn.hosts[stack.resources["Fn"].attributes["Arn"]].env["AWS_ACCESS_KEY_ID"]
    # The next deploy reads what the function wrote; the parameter resource is unchanged, so nothing rewrites it.
    resources = {"Param": parameter(), "FnPolicy": policy(TICKS, MAY_PUT)}
    assert outputs(local, read_back(tmp_path, resources, "v2")) == {"Image": "wsi-function"}
    # An update of the resource overwrites the value: a new version.
    changed = {"Param": parameter("wsi-template-2"), "FnPolicy": policy(TICKS, MAY_PUT)}
    assert outputs(local, read_back(tmp_path, changed, "v3")) == {"Image": "wsi-template-2"}
    assert cloud.ssm.parameters[PARAMETER].version == 3
    # The stack's delete deletes it.
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert PARAMETER not in cfn.ssm_parameters


def test_a_function_whose_role_may_not_put_the_parameter_is_refused(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    stack = deployed(local, assembly(tmp_path, {"Param": parameter(), "Writer": writer()}))
    cfn.settle(60)
    error = next(e for e in cfn.events if e.status == "LAMBDA_ERROR")
    role, function = stack.resources["FnRole"], stack.resources["Fn"]
    assert (
        f"AccessDeniedException: An error occurred (AccessDeniedException) when calling the PutParameter operation: "
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role.physical_id}/{function.physical_id} is not authorized to "
        f"perform: ssm:PutParameter on resource: {PARAMETER_ARN}"
    ) in error.reason
    assert cloud.ssm.value(PARAMETER) == "wsi-template"


def test_a_parameter_name_taken_fails_the_create_and_what_is_not_modelled_is_refused(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    cloud.ssm.put(PARAMETER, "someone else's")
    stack = cfn.deploy(load(assembly(tmp_path, {"Param": parameter()}, name="taken")))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "(Error Code: ParameterAlreadyExists)" in stack.reason
    assert cloud.ssm.value(PARAMETER) == "someone else's", "the rollback leaves the other owner's parameter alone"
    secure = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "SecureString", "Value": "x"}}
    stack = cfn.deploy(load(assembly(tmp_path, {"Param": secure}, name="secure")))
    assert "The emulator does not model Type (asked: 'SecureString')" in stack.reason
    unknown = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "x", "Unheard": 1}}
    stack = cfn.deploy(load(assembly(tmp_path, {"Param": unknown}, name="unknown")))
    assert "does not model AWS::SSM::Parameter properties Unheard" in stack.reason
    assert list(cfn.ssm_parameters) == [PARAMETER]


# -- CloudFormation's read API: what a function hears when it asks about the stack, at each step -----------------

STACK_ARNS = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/S/*"
READS = {
    "Effect": "Allow",
    "Action": [
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackResource",
        "cloudformation:ListStackResources",
    ],
    "Resource": STACK_ARNS,
}


def watched(tmp: Path, resources: dict[str, Any], name: str = "a") -> Path:
    """The tiny handler's stack, whose function asks CloudFormation (under a role allowed to) about each request."""
    fn = function("index.handler", "Fn", LOG_FILE=str(tmp / "events.log"), SEEN_FILE=str(tmp / "seen.log"))
    return assembly(tmp, {"Fn": fn, "FnPolicy": policy(TICKS, READS), **resources}, name=name)


def heard(tmp: Path) -> list[list[Any]]:
    """[logical id, request type, its PhysicalResourceId, StackStatus, ResourceStatus, PhysicalResourceId] per
    request, as the function heard them; ListStackResources said the same as DescribeStackResource each time."""
    rows = [json.loads(line) for line in (tmp / "seen.log").read_text().splitlines()]
    for row in rows:
        assert row[6] == [row[4:6]], f"ListStackResources disagrees with DescribeStackResource: {row}"
    return [row[:6] for row in rows]


def client_of(cloud: LocalCloud, *statements: dict[str, Any], name: str = "reader") -> Any:
    """A cloudformation client at the cloud's endpoint, signed as a session of role `name` allowed `statements`."""
    import boto3
    from botocore.config import Config

    role = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    keys = cloud.assume_role(role, name, lambda: [{"Version": "2012-10-17", "Statement": list(statements)}])
    make: Any = boto3.client
    return make(
        "cloudformation",
        region_name=REGION,
        endpoint_url=cloud.server.url,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


EVERYTHING = {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}


def refusal(call: Any, **params: Any) -> tuple[str, str, int]:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_a_create_is_described_as_it_goes(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    stack = deployed(local, watched(tmp_path, {"R": custom()}))
    assert heard(tmp_path) == [["R", "Create", None, "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", None]]
    reader = client_of(cloud, EVERYTHING)
    (described,) = reader.describe_stacks(StackName="S")["Stacks"]
    assert (described["StackId"], described["StackName"], described["StackStatus"]) == (
        stack.stack_id,
        "S",
        "CREATE_COMPLETE",
    )
    assert reader.describe_stacks(StackName=stack.stack_id)["Stacks"] == [described]
    detail = reader.describe_stack_resource(StackName="S", LogicalResourceId="R")["StackResourceDetail"]
    assert (detail["StackId"], detail["ResourceType"], detail["ResourceStatus"], detail["PhysicalResourceId"]) == (
        stack.stack_id,
        "Custom::Thing",
        "CREATE_COMPLETE",
        "id-1",
    )
    listed = reader.list_stack_resources(StackName="S")["StackResourceSummaries"]
    assert {s["LogicalResourceId"]: s["ResourceStatus"] for s in listed} == dict.fromkeys(
        ["FnRole", "FnPolicy", "Fn", "R"], "CREATE_COMPLETE"
    )
    by_physical = reader.describe_stack_resources(PhysicalResourceId="id-1")["StackResources"]
    assert [(r["LogicalResourceId"], r["StackId"]) for r in by_physical] == [
        (lid, stack.stack_id) for lid in ["FnRole", "FnPolicy", "Fn", "R"]
    ]
    assert refusal(reader.describe_stack_resource, StackName="S", LogicalResourceId="Nope") == (
        "ValidationError",
        "Resource Nope does not exist for stack S",
        400,
    )
    assert refusal(reader.describe_stacks, StackName="Other")[:2] == (
        "ValidationError",
        "Stack with id Other does not exist",
    )
    assert refusal(reader.describe_stack_resources, StackName="S", PhysicalResourceId="id-1")[0] == "ValidationError"
    # Pages, by the tokens the API hands out.
    cfn.api.page_size = 3
    first = reader.list_stack_resources(StackName="S")
    assert len(first["StackResourceSummaries"]) == 3
    rest = reader.list_stack_resources(StackName="S", NextToken=first["NextToken"])
    assert [s["LogicalResourceId"] for s in rest["StackResourceSummaries"]] == ["R"]
    assert "NextToken" not in rest


def test_get_template_answers_the_template_played_and_each_answer_is_dated_on_the_virtual_clock(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    from email.utils import formatdate

    cloud, cfn = local
    stack = deployed(local, watched(tmp_path, {"R": custom()}))
    mine = {"Effect": "Allow", "Action": "cloudformation:GetTemplate", "Resource": stack.stack_id}
    reader = client_of(cloud, mine)
    answer = reader.get_template(StackName="S")
    # botocore decodes a JSON TemplateBody into a mapping (its handler json_decode_template_body).
    assert answer["TemplateBody"] == stack.template
    assert answer["StagesAvailable"] == ["Original", "Processed"]
    processed = reader.get_template(StackName=stack.stack_id, TemplateStage="Processed")
    assert processed["TemplateBody"] == stack.template
    # The Date header is the emulated time, whatever the machine's clock says (RFC 9110 section 6.6.1).
    assert answer["ResponseMetadata"]["HTTPHeaders"]["date"] == formatdate(cloud.clock.now(), usegmt=True)
    cloud.clock.advance(3600)
    later = reader.get_template(StackName="S")["ResponseMetadata"]["HTTPHeaders"]["date"]
    assert later == formatdate(cloud.clock.now(), usegmt=True)
    assert refusal(reader.get_template, StackName="S", ChangeSetName="cs")[:2] == (
        "ValidationError",
        "ChangeSet [cs] does not exist",
    )
    code, message, status = refusal(reader.get_template, StackName="Other")
    assert (code, status) == ("AccessDenied", 403)
    assert "cloudformation:GetTemplate" in message
    # A deleted stack's template, by its id (API_GetTemplate: "running or deleted stacks").
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert reader.get_template(StackName=stack.stack_id)["TemplateBody"] == stack.template


def test_a_replacement_and_a_dropped_resource_are_described_through_the_cleanup(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud = local[0]
    deployed(local, watched(tmp_path, {"R": custom("new-id", Version="1"), "Gone": custom()}, name="v1"))
    stack = deployed(local, watched(tmp_path, {"R": custom("new-id", Version="2")}, name="v2"))
    assert heard(tmp_path)[2:] == [
        ["R", "Update", "id-1", "UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "id-1"],
        # The old id's delete: CloudFormation already holds the new one for R.
        ["R", "Delete", "id-1", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "id-2"],
        ["Gone", "Delete", "id-1", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "DELETE_IN_PROGRESS", "id-1"],
    ]
    reader = client_of(cloud, EVERYTHING)
    assert reader.describe_stacks(StackName="S")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    detail = reader.describe_stack_resource(StackName="S", LogicalResourceId="R")["StackResourceDetail"]
    assert (detail["ResourceStatus"], detail["PhysicalResourceId"]) == ("UPDATE_COMPLETE", "id-2")
    assert refusal(reader.describe_stack_resource, StackName="S", LogicalResourceId="Gone")[0] == "ValidationError"
    assert stack.reported.keys() == stack.resources.keys()


@pytest.mark.parametrize("previous", [False, True], ids=["reports-the-request-id", "reports-the-previous-id"])
def test_an_update_rollback_is_described_as_it_goes(tmp_path: Path, previous: bool) -> None:
    cloud = LocalCloud()
    cfn = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION, rollback_reports_previous_id=previous)
    try:
        v1 = {"R": custom("new-id", Version="1"), "Bad": custom("ok", Version="1")}
        assert cfn.deploy(load(watched(tmp_path, v1, name="v1"))).status == "CREATE_COMPLETE"
        v2 = {
            "R": custom("new-id", Version="2"),
            "Added": custom("new-id", Version="9"),
            "Bad": {**custom("fail", Version="2"), "DependsOn": ["R", "Added"]},
        }
        stack = cfn.deploy(load(watched(tmp_path, v2, name="v2")))
        assert stack.status == "UPDATE_ROLLBACK_COMPLETE", stack.reason
        during = "id-1" if previous else "id-2"
        assert heard(tmp_path)[2:] == [
            ["R", "Update", "id-1", "UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "id-1"],
            ["Added", "Create", None, "UPDATE_IN_PROGRESS", "CREATE_IN_PROGRESS", None],
            ["Bad", "Update", "id-1", "UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "id-1"],
            # The replacement's rollback Update carries the new id; which one CloudFormation reports is the option.
            ["R", "Update", "id-2", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS", during],
            ["Bad", "Update", "id-1", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS", "id-1"],
            ["Added", "Delete", "id-9", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "DELETE_IN_PROGRESS", "id-9"],
            # The new id's delete: R is back on its previous id.
            ["R", "Delete", "id-2", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "id-1"],
        ]
        reader = client_of(cloud, EVERYTHING)
        resources = reader.describe_stack_resources(StackName="S")["StackResources"]
        assert {r["LogicalResourceId"]: (r["ResourceStatus"], r["PhysicalResourceId"]) for r in resources} == {
            "FnRole": ("CREATE_COMPLETE", stack.resources["FnRole"].physical_id),
            "FnPolicy": ("CREATE_COMPLETE", stack.resources["FnPolicy"].physical_id),
            "Fn": ("CREATE_COMPLETE", stack.resources["Fn"].physical_id),
            "R": ("UPDATE_COMPLETE", "id-1"),
            "Bad": ("UPDATE_COMPLETE", "id-1"),
        }
    finally:
        cfn.close()
        cloud.close()


def test_a_failed_create_is_rolled_back_with_the_id_its_answer_named(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud, cfn = local
    stack = cfn.deploy(load(watched(tmp_path, {"R": custom("fail")})))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert heard(tmp_path) == [
        ["R", "Create", None, "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", None],
        ["R", "Delete", "id-1", "ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", "id-1"],
    ]
    reader = client_of(cloud, EVERYTHING)
    (described,) = reader.describe_stacks(StackName="S")["Stacks"]
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    detail = reader.describe_stack_resource(StackName="S", LogicalResourceId="R")["StackResourceDetail"]
    assert (detail["ResourceStatus"], detail["PhysicalResourceId"]) == ("DELETE_COMPLETE", "id-1")


def test_late_retries_see_the_stack_as_it_is_when_they_arrive(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    """R's function crashes on Create: Lambda retries it at 60 s and 180 s. CloudFormation gives up at 100 s
    (CREATE_FAILED, a made-up id) and rolls back; Q, deleted first, takes until 250 s to time out, so the retry at
    180 s arrives while R is CREATE_FAILED and the stack rolls back."""
    cfn = local[1]
    resources = {
        "Q": custom("ok", DeleteMode="silent", ServiceTimeout=150),
        "R": custom("crash", ServiceTimeout=100),
    }
    stack = cfn.deploy(load(watched(tmp_path, resources)))
    assert stack.status == "ROLLBACK_FAILED"
    made_up = stack.reported["R"].physical_id
    assert made_up.startswith("S-R-")
    creating = ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", None]
    assert heard(tmp_path) == [
        ["Q", "Create", None, *creating],
        ["R", "Create", None, *creating],
        ["R", "Create", None, *creating],  # the retry at 60 s: CloudFormation still waits
        ["Q", "Delete", "id-1", "ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", "id-1"],
        ["R", "Create", None, "ROLLBACK_IN_PROGRESS", "CREATE_FAILED", made_up],  # the retry at 180 s
        ["R", "Delete", made_up, "ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", made_up],
    ]
    assert [e.time for e in cfn.events if e.status == "LAMBDA_ERROR"] == [0, 60, 180]


def test_a_deleted_stack_is_described_by_its_id_only(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    out = watched(tmp_path, {"R": custom()})
    first = deployed(local, out)
    assert cfn.delete("S").status == "DELETE_COMPLETE"
    assert heard(tmp_path)[1:] == [["R", "Delete", "id-1", "DELETE_IN_PROGRESS", "DELETE_IN_PROGRESS", "id-1"]]
    reader = client_of(cloud, EVERYTHING)
    assert refusal(reader.describe_stacks, StackName="S")[:2] == ("ValidationError", "Stack with id S does not exist")
    (gone,) = reader.describe_stacks(StackName=first.stack_id)["Stacks"]
    assert (gone["StackStatus"], "DeletionTime" in gone) == ("DELETE_COMPLETE", True)
    resources = reader.describe_stack_resources(StackName=first.stack_id)["StackResources"]
    assert {r["ResourceStatus"] for r in resources} == {"DELETE_COMPLETE"}
    # A stack of the same name is another stack: its name describes it, the old id the deleted one.
    second = deployed(local, out)
    assert reader.describe_stacks(StackName="S")["Stacks"][0]["StackId"] == second.stack_id != first.stack_id
    assert reader.describe_stacks(StackName=first.stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_iam_decides_who_may_describe_which_stack(local: tuple[LocalCloud, CloudFormation], tmp_path: Path) -> None:
    cloud, cfn = local
    stack = deployed(local, assembly(tmp_path, {"R": custom()}))
    nobody = client_of(cloud, {"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*"}, name="nobody")
    who = f"arn:aws:sts::{ACCOUNT}:assumed-role/nobody/nobody"
    assert refusal(nobody.describe_stacks, StackName="S") == (
        "AccessDenied",
        f"User: {who} is not authorized to perform: cloudformation:DescribeStacks on resource: {stack.stack_id} "
        "because no identity-based policy allows the cloudformation:DescribeStacks action",
        403,
    )
    # A stack that does not exist is refused the same way, named by its name: the caller learns nothing of it.
    assert (
        f"on resource: arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/Other/* because"
        in refusal(nobody.describe_stacks, StackName="Other")[1]
    )
    other = {"Effect": "Allow", "Action": "cloudformation:Describe*", "Resource": f"{STACK_ARNS[:-4]}Other/*"}
    elsewhere = client_of(cloud, other, name="elsewhere")
    assert refusal(elsewhere.describe_stack_resource, StackName="S", LogicalResourceId="R")[0] == "AccessDenied"
    # Every stack at once takes ListStacks as well (API_DescribeStacks).
    describer = client_of(cloud, {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"})
    assert describer.describe_stacks(StackName="S")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert (
        "cloudformation:ListStacks on resource: arn:aws:cloudformation:eu-west-1:111122223333:stack/*/*"
        in refusal(describer.describe_stacks)[1]
    )
    lister = client_of(
        cloud,
        {"Effect": "Allow", "Action": ["cloudformation:DescribeStacks", "cloudformation:ListStacks"], "Resource": "*"},
        name="lister",
    )
    assert [s["StackName"] for s in lister.describe_stacks()["Stacks"]] == ["S"]
    assert len([d for d in cloud.access.denials if d.request.action.startswith("cloudformation:")]) == 4
    assert all(call.caller is not None for call in cfn.api.calls_to("DescribeStacks"))


def test_a_wait_condition_handle_is_described_by_its_url_on_cloudformations_bucket(
    local: tuple[LocalCloud, CloudFormation], tmp_path: Path
) -> None:
    cloud = local[0]
    stack = deployed(local, assembly(tmp_path, {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}))
    detail = client_of(cloud, EVERYTHING).describe_stack_resource(StackName="S", LogicalResourceId="H")
    url = detail["StackResourceDetail"]["PhysicalResourceId"]
    assert url == stack.resources["H"].physical_id
    assert url.startswith("https://cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com/signal/S-H-")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256&" in url


def test_the_inbox_issues_urls_on_cloudformations_buckets_and_refuses_any_other() -> None:
    from cfn_driver.inbox import Inbox

    inbox = Inbox(region="cn-north-1").start()
    try:
        response = inbox.response_url("r-1")
        parts = urllib.parse.urlsplit(response)
        assert (parts.scheme, parts.netloc, parts.path) == (
            "https",
            "cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn",
            "/response/r-1",
        )

        said: list[bytes] = []

        def put(host: str, path_and_query: str) -> int:
            request = urllib.request.Request(
                inbox.endpoint + path_and_query, data=b"{}", method="PUT", headers={"Host": host}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    return int(answer.status)
            except urllib.error.HTTPError as error:
                said.append(error.read())
                return error.code

        forged = urllib.parse.urlsplit(inbox.unissued_url())
        assert forged.netloc == parts.netloc
        assert [
            put(forged.netloc, f"{forged.path}?{forged.query}"),  # a token never issued
            put(parts.netloc, f"{parts.path}?X-Amz-Signature=0000"),  # another signature
            put("attacker.example", f"{parts.path}?{parts.query}"),  # another host
            put(parts.netloc, f"{parts.path}?{parts.query}"),
        ] == [403, 403, 403, 200]
        assert [path for _, path in inbox.forged] == [forged.path, "/response/r-1", "/response/r-1"]
        assert all(b"<Code>SignatureDoesNotMatch</Code>" in body for body in said)
        assert inbox.take_response("r-1") == b"{}"
    finally:
        inbox.stop()


def test_the_attackers_tools_reach_a_provider_as_anyone_allowed_to_invoke_it(tmp_path: Path) -> None:
    from support.lifecycle import World

    world = World.new(sources=0)
    try:
        stack = world.deploy(load(assembly(tmp_path, {"R": custom()})))
        arn = world.provider_arn(stack)
        assert arn == stack.resources["Fn"].attributes["Arn"]
        sink = world.sink()
        event = world.forged(
            stack, "Update", "R", {"Mode": 1}, physical_id="id-1", old_properties={}, response_url=sink.url("r")
        )
        assert (event["StackId"], event["ServiceToken"], event["ResourceType"]) == (
            stack.stack_id,
            arn,
            "Custom::Thing",
        )
        assert (event["ResourceProperties"], event["OldResourceProperties"]) == (
            {"ServiceToken": arn, "Mode": "1"},
            {"ServiceToken": arn},
        )
        assert world.invoke(stack, event).ok
        ((path, body),) = sink.received
        assert (path, json.loads(body)["RequestId"]) == ("/r", event["RequestId"])
        # By default the ResponseURL looks like CloudFormation's, but the inbox never issued it: the PUT is refused.
        outcome = world.invoke(stack, world.forged(stack, "Delete", "R", {}, physical_id="id-1"))
        assert (outcome.ok, "HTTP Error 403" in outcome.error) == (False, True)
        assert len(world.cfn.inbox.forged) == 1
        # Asynchronously, a failure is retried as Lambda retries it.
        world.invoke_async(stack, world.forged(stack, "Create", "X", {"Mode": "crash"}))
        world.cfn.settle(600)
        assert len([e for e in world.cfn.events if e.reason.startswith("Create, attempt")]) == 3
        # An attacker's own client: IAM decides, and its refusals are not the provider's policy gaps.
        mine = {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": stack.stack_id}
        attacker = world.client_as("cloudformation", [mine])
        assert attacker.describe_stacks(StackName="S")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        assert refusal(attacker.describe_stack_resource, StackName="S", LogicalResourceId="R")[0] == "AccessDenied"
        assert (world.denials(), len(world.cloud.access.denials)) == ([], 1)
    finally:
        world.close()


def test_the_api_answers_in_process_too(tmp_path: Path) -> None:
    from support.emulator import attached

    cloud = LocalCloud(enforce_iam=False)
    cfn = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION)
    enforced = LocalCloud()
    guarded = CloudFormation(enforced, enforced.clock, account=ACCOUNT, region=REGION)
    try:
        stack = cfn.deploy(load(assembly(tmp_path, {"R": custom()})))
        client = attached("cloudformation", cfn.api)
        assert client.describe_stacks(StackName="S")["Stacks"][0]["StackId"] == stack.stack_id
        # Where IAM is enforced, keys the cloud never issued are refused in CloudFormation's words.
        assert refusal(attached("cloudformation", guarded.api).describe_stacks, StackName="S") == (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            403,
        )
    finally:
        for driver, made in ((cfn, cloud), (guarded, enforced)):
            driver.close()
            made.close()
