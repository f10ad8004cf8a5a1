"""Issue 20: what an attacker inside the account could do with the provider, played through the lifecycle driver.

A principal that may invoke the provider, one with workspaces:CreateTags, one that may read or write DynamoDB: each
row deploys the example app for real (IAM and the watch table's resource policy enforced), then plays one chain the
outside review found, and checks that it changes nothing. Each row failed on the handler before trust.py (requests
confirmed with CloudFormation, answers only to its URLs) and record.py (ownership by the stack's own record).

A forged request's ResponseURL is either one on CloudFormation's bucket that CloudFormation never issued (the inbox
answers it 403, as S3 answers a bad signature), so that the provider must refuse it on what CloudFormation says, or
the attacker's own http server (a Sink), which must receive nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from botocore.exceptions import ClientError
from support.lifecycle import (
    EXTERNAL_BUNDLE_ID,
    NEXT_SOURCE_ID,
    SOURCE_ID,
    ImageSpec,
    World,
    distributed,
    every_resource_type,
    synth,
)

from cdk_workspaces_image_handler import contract
from cfn_driver.assembly import Assembly
from cfn_driver.engine import Stack

IMAGE, BUNDLE_IMAGE = "Custom::UpdatedWorkspaceImage", "Custom::WorkspaceBundleImage"
ATTACKER = "210987654321"
A = "444455556666"
# A custom bundle of the account that no template names.
OTHER_BUNDLE = "wsb-0123456780"


@pytest.fixture
def world() -> Iterator[World]:
    # A quota above the default 20, for the row that fills the account with images.
    w = World.for_every_resource_type(accounts=(A, ATTACKER), image_quota=60)
    w.cloud.workspaces.add_bundle(SOURCE_ID, name="elsewhere", bundle_id=OTHER_BUNDLE)
    yield w
    w.close()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    """Image, bundle on it and apply_to_bundle of EXTERNAL_BUNDLE_ID, kept on delete (the default policy)."""
    return every_resource_type(tmp_path_factory.mktemp("example"), removal_policy=None)


def deployed(world: World, assembly: Assembly) -> Stack:
    stack = world.deploy(assembly)
    assert stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack.reason
    return stack


def logical_id(stack: Stack, resource_type: str) -> str:
    (found,) = [lid for lid, r in stack.resources.items() if r.type == resource_type]
    return found


def image_of(stack: Stack) -> tuple[str, str, dict[str, Any]]:
    """The image resource: its logical id, the live image, and its properties as CloudFormation holds them."""
    lid = logical_id(stack, IMAGE)
    resource = stack.resources[lid]
    return lid, resource.physical_id, dict(resource.properties)


def sent_anything(world: World, *urls: str) -> bool:
    return any(world.cfn.inbox.take_response(url) for url in urls)


# ---------------------------------------------------------------- 1. forged requests with the stack's own StackId


def test_a_forged_update_never_shares_the_live_image(world: World, example: Assembly) -> None:
    """1a: an Update adding ShareWithAccounts, naming the live image, while nothing is being deployed."""
    stack = deployed(world, example)
    lid, live, props = image_of(stack)
    forged = world.forged(
        stack, "Update", lid, {**props, "ShareWithAccounts": [ATTACKER]}, physical_id=live, old_properties=props
    )
    world.invoke(stack, forged)
    world.cfn.settle()
    assert world.cloud.workspaces.images[live].shared_with == []


def test_a_forged_delete_never_deletes_the_live_image(world: World, example: Assembly) -> None:
    """1b: a Delete whose PhysicalResourceId is the live image (its removal policy would be DESTROY, as it says)."""
    stack = deployed(world, example)
    lid, live, props = image_of(stack)
    bundle_lid = logical_id(stack, "Custom::WorkspaceBundle")
    bundle = stack.resources[bundle_lid].physical_id
    for forged in (
        world.forged(stack, "Delete", bundle_lid, stack.resources[bundle_lid].properties, physical_id=bundle),
        world.forged(stack, "Delete", lid, props, physical_id=live),
    ):
        world.invoke(stack, forged)
    world.cfn.settle()
    assert world.images().get(live) == "AVAILABLE"
    assert bundle in world.cloud.workspaces.bundles


def test_a_forged_apply_never_re_points_a_bundle_the_template_names(world: World, example: Assembly) -> None:
    """1c: a Custom::WorkspaceBundleImage Create under a logical id of the attacker's choosing."""
    stack = deployed(world, example)
    _, live, _ = image_of(stack)
    assert world.cloud.workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == live
    forged = world.forged(
        stack,
        "Create",
        "ForgedApply",
        {"BundleId": EXTERNAL_BUNDLE_ID, "ImageId": NEXT_SOURCE_ID},
        resource_type=BUNDLE_IMAGE,
    )
    world.invoke(stack, forged)
    world.cfn.settle()
    assert world.cloud.workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == live


def test_a_forged_update_never_hangs_a_genuine_deployment(world: World, tmp_path: Path) -> None:
    """1d: during a real update, while its wait condition waits for next month's image, a forged Update of the image
    with a new WaitHandle must not take the genuine wait over: the update ends when the image is AVAILABLE, not when
    its wait condition gives up hours later."""
    stack = deployed(world, every_resource_type(tmp_path / "v1", removal_policy=None))
    lid, _, _ = image_of(stack)
    next_month = every_resource_type(
        tmp_path / "v2", source_image_id=NEXT_SOURCE_ID, image_name="golden-2026-12", removal_policy=None
    )
    started = world.cloud.clock.now()
    forged_at: list[float] = []

    def forge() -> None:
        held = stack.resources[lid]
        props = dict(held.properties)
        handle = world.unissued_url("signal")
        forged = world.forged(
            stack, "Update", lid, {**props, "WaitHandle": handle}, physical_id=held.physical_id, old_properties=props
        )
        forged_at.append(world.cloud.clock.now())
        world.invoke(stack, forged)

    # The image takes 300 s to become AVAILABLE: a minute in, the genuine Update has answered and its wait runs.
    world.cfn.schedule(started + 60, forge)
    stack = world.deploy(next_month)
    assert forged_at, "the forged request was sent during the update"
    assert stack.status == "UPDATE_COMPLETE", stack.reason
    assert world.cloud.clock.now() - started < 3600, "the genuine wait condition was signalled, not timed out"


def test_a_forged_create_under_a_new_logical_id_makes_no_image(world: World, example: Assembly) -> None:
    """1e: an image tagged as the stack's, under a logical id no template has: nobody would ever delete it."""
    stack = deployed(world, example)
    _, live, props = image_of(stack)
    before = set(world.images())
    forged = world.forged(stack, "Create", "Forged", {**props, "Name": "forged-image"})
    forged["ResourceProperties"].pop("WaitHandle", None)
    world.invoke(stack, forged)
    world.cfn.settle()
    assert set(world.images()) == before == {live}


def test_the_provider_puts_nothing_to_a_url_cloudformation_did_not_issue(world: World, example: Assembly) -> None:
    """1f: ResponseURL and WaitHandle on the attacker's own server (http; ftp and file URLs went out too)."""
    stack = deployed(world, example)
    lid, live, props = image_of(stack)
    sink = world.sink()
    requests = [
        world.forged(stack, "Delete", "Nothing", props, physical_id="not-created:Nothing", response_url=sink.url()),
        world.forged(
            stack,
            "Update",
            lid,
            {**props, "WaitHandle": sink.url("handle")},
            physical_id=live,
            old_properties=props,
            response_url=sink.url("update"),
        ),
    ]
    for forged in requests:
        world.invoke(stack, forged)
    world.cfn.settle()
    assert sink.received == []


def test_a_forged_apply_to_a_bundle_no_template_names_leaves_no_marker(world: World, example: Assembly) -> None:
    """1g: CreateTags allows the marker on any bundle; only the re-point itself is refused by IAM."""
    stack = deployed(world, example)
    _, live, _ = image_of(stack)
    forged = world.forged(
        stack, "Create", "ForgedApply", {"BundleId": OTHER_BUNDLE, "ImageId": live}, resource_type=BUNDLE_IMAGE
    )
    world.invoke(stack, forged)
    world.cfn.settle()
    bundle = world.cloud.workspaces.bundles[OTHER_BUNDLE]
    assert contract.APPLIED_TAG_KEY not in bundle.tags
    assert bundle.image_id == SOURCE_ID


# ---------------------------------------------------------------- 2. the watch table


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("Scan", lambda ddb, table: ddb.scan(TableName=table)),
        ("Query", lambda ddb, table: ddb.query(
            TableName=table,
            KeyConditionExpression="LogicalId = :l",
            ExpressionAttributeValues={":l": {"S": "x"}},
        )),
        ("GetItem", lambda ddb, table: ddb.get_item(
            TableName=table, Key={"LogicalId": {"S": "x"}, "PhysicalId": {"S": "y"}}
        )),
        ("PutItem", lambda ddb, table: ddb.put_item(
            TableName=table, Item={"LogicalId": {"S": "x"}, "PhysicalId": {"S": "y"}}
        )),
    ],
)  # fmt: skip
def test_the_watch_table_is_the_providers_alone(world: World, example: Assembly, action: str, call: Any) -> None:
    """2: AmazonDynamoDBReadOnlyAccess grants Scan on *; the table holds presigned URLs and the provider's record."""
    deployed(world, example)
    (table,) = world.tables()
    dynamodb = world.client_as("dynamodb", [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}])
    with pytest.raises(ClientError) as refused:
        call(dynamodb, table)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "resource-based policy" in refused.value.response["Error"]["Message"]
    dynamodb.describe_table(TableName=table)  # the control plane is the account's to grant


# ---------------------------------------------------------------- 3. the forged owner tag


def test_an_image_with_a_forged_owner_tag_is_never_deleted(world: World, tmp_path: Path) -> None:
    """3: anyone allowed CreateTags writes this resource's ownership tag on an image the stack never made; the next
    replacement's keep_previous must not delete it, nor may a stack delete."""
    retained = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
    g1 = deployed(world, distributed(tmp_path, world.sources[0], keep_previous=0, removal_policy=retained))
    first = str(g1.outputs["ImageId"])
    theirs = world.cloud.workspaces.add_image("someone-elses", update_available=False)
    tagger = world.client_as("workspaces", [{"Effect": "Allow", "Action": "workspaces:CreateTags", "Resource": "*"}])
    owner = world.cloud.workspaces.images[first].tags[contract.OWNER_TAG_KEY]
    tagger.create_tags(ResourceId=theirs, Tags=[{"Key": contract.OWNER_TAG_KEY, "Value": owner}])
    for generation in (2, 3):
        deployed(
            world,
            distributed(tmp_path, world.sources[0], generation=generation, keep_previous=0, removal_policy=retained),
        )
    assert first not in world.images(), "the first image is this resource's: keep_previous deleted it"
    assert world.images().get(theirs) == "AVAILABLE"


# ---------------------------------------------------------------- 4. unsharing


def test_dropping_an_account_unshares_every_image_the_stack_shared_with_it(world: World, tmp_path: Path) -> None:
    """4: a retained earlier image stays shared with an account the list no longer names, and nothing would ever
    unshare it."""
    retained = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
    g1 = deployed(world, distributed(tmp_path, world.sources[0], share_with_accounts=[A], removal_policy=retained))
    first = str(g1.outputs["ImageId"])
    deployed(
        world,
        distributed(tmp_path, world.sources[0], generation=2, share_with_accounts=[A], removal_policy=retained),
    )
    assert world.cloud.workspaces.images[first].shared_with == [A], "kept, and still shared, as the policy says"
    g2 = deployed(world, distributed(tmp_path, world.sources[0], generation=2, removal_policy=retained))
    assert world.cloud.workspaces.images[str(g2.outputs["ImageId"])].shared_with == []
    assert world.cloud.workspaces.images[first].shared_with == []


# ---------------------------------------------------------------- 5. the smaller findings


def test_a_stray_event_is_dropped_without_a_retry_or_an_answer(world: World, example: Assembly) -> None:
    """5a: an event that is neither a request nor a tick failed the invocation in a new container (KeyError, and
    Lambda retried it twice), and in a warm one answered FAILED to the URL of the request the container served last."""

    def answers() -> int:
        return sum(len(got) for got in world.cfn.inbox.responses.values())

    stack = deployed(world, example)
    answered = answers()
    warm = world.invoke(stack, {"hello": "world"})
    world.cfn.hosts[world.provider_arn(stack)].stop()
    cold = world.invoke(stack, {"hello": "world"})
    assert (warm.ok, cold.ok) == (True, True), (warm.error, cold.error)
    assert answers() == answered


def test_a_create_makes_three_workspaces_calls_however_many_images_the_account_holds(
    world: World, tmp_path: Path
) -> None:
    """5f: finding what a retry made paged through every image of the account: about 6 DescribeWorkspaceImages per
    Create once it held 25 or more."""
    for n in range(30):
        world.cloud.workspaces.add_image(f"other-{n}", update_available=False)
    stack = deployed(world, synth(tmp_path, [ImageSpec(source_image_id=SOURCE_ID)]))
    made = str(stack.outputs["GoldenImageId"])
    calls = [c for c in world.cloud.workspaces.calls if c.caller is not None]
    create = next(i for i, c in enumerate(calls) if c.operation == "CreateUpdatedWorkspaceImage")
    # The request's own calls: up to the describe of the new image, which the Create's answer (or its wait) needs.
    first_look = next(i for i, c in enumerate(calls) if i > create and c.operation == "DescribeWorkspaceImages")
    request = [(c.operation, c.params.get("ImageIds")) for c in calls[: first_look + 1]]
    assert request == [
        ("DescribeWorkspaceImages", [SOURCE_ID]),
        ("CreateUpdatedWorkspaceImage", None),
        ("DescribeWorkspaceImages", [made]),
    ]


# ---------------------------------------------------------------- every genuine path, with the check on

# Words of a refusal (trust.py): a genuine request that met one would hang its deployment or fail it.
REFUSALS = (
    "a request that CloudFormation did not send",
    "is not the resource CloudFormation holds",
    "it is not waiting for",
    "an operation in which CloudFormation sends no",
)
# WorkSpaces calls that change nothing.
READS = ("DescribeWorkspaceImages", "DescribeWorkspaceBundles", "DescribeTags", "DescribeWorkspaceImagePermissions")
DESTROY = cdk.RemovalPolicy.DESTROY


def refused(world: World) -> list[str]:
    return [reason for reason in world.reasons() if any(words in reason for words in REFUSALS)]


@pytest.mark.parametrize("reports_previous", [False, True], ids=["reports-the-new-id", "reports-the-previous-id"])
def test_a_rolled_back_replacement_is_confirmed_whichever_id_cloudformation_reports(
    tmp_path: Path, reports_previous: bool
) -> None:
    """A false refusal hangs a genuine deployment for an hour. Next month's image is made and AVAILABLE, then the
    bundle's move to it fails: the image gets the rollback Update (carrying the new image's id, while CloudFormation
    reports either id: undocumented, so both) and the rollback cleanup's Delete of the new image."""
    world = World.for_every_resource_type(rollback_reports_previous_id=reports_previous)
    try:
        first = image_of(deployed(world, every_resource_type(tmp_path / "v1", removal_policy=DESTROY)))[1]
        world.cloud.workspaces.inject("UpdateWorkspaceBundle", "InvalidResourceStateException")
        next_month = every_resource_type(
            tmp_path / "v2", source_image_id=NEXT_SOURCE_ID, image_name="golden-2026-12", removal_policy=DESTROY
        )
        stack = world.deploy(next_month)
        assert stack.status == "UPDATE_ROLLBACK_COMPLETE", stack.reason
        assert refused(world) == []
        assert set(world.images()) == {first}
        assert world.cloud.workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == first
    finally:
        world.close()


def test_a_create_delivered_again_after_the_stack_finished_changes_nothing(world: World, example: Assembly) -> None:
    """Lambda may deliver an event again later; once CloudFormation has stopped waiting for it, the very request it
    sent is refused (answered FAILED, which CloudFormation ignores) and changes nothing."""
    stack = deployed(world, example)
    (create,) = [r for r in world.cfn.requests if r["RequestType"] == "Create" and r["ResourceType"] == IMAGE]
    images, seen = set(world.images()), len(world.cloud.workspaces.calls)
    invocation = world.invoke(stack, create)
    assert invocation.ok, invocation.error
    assert set(world.images()) == images
    assert [c.operation for c in world.cloud.workspaces.calls[seen:] if c.operation not in READS] == []


def forget_the_record(world: World) -> None:
    """Leave the table as a version before the record left it: waits only."""
    for table in world.tables():
        for item in world.cloud.dynamodb.items(table):
            if item["PhysicalId"]["S"].startswith("record:"):
                key = {"LogicalId": item["LogicalId"], "PhysicalId": item["PhysicalId"]}
                world.cloud.dynamodb.handle("DeleteItem", {"TableName": table, "Key": key})


def test_what_an_earlier_version_made_is_adopted_on_the_first_confirmed_request_that_names_it(
    world: World, tmp_path: Path
) -> None:
    """A stack deployed before the record exists has tags only. The first request CloudFormation confirms that names
    a resource as the one it holds takes it into the record: next month's replacement still deletes the old image
    and moves both bundles, and a stack delete still deletes what the stack made and restores the bundle."""
    first = image_of(deployed(world, every_resource_type(tmp_path / "v1", removal_policy=DESTROY)))[1]
    forget_the_record(world)
    v2 = every_resource_type(
        tmp_path / "v2", source_image_id=NEXT_SOURCE_ID, image_name="golden-2026-12", removal_policy=DESTROY
    )
    second = image_of(deployed(world, v2))[1]
    assert first not in world.images(), "the replaced image was adopted, then deleted by the cleanup"
    assert set(world.images()) == {second}
    assert world.cloud.workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == second
    forget_the_record(world)
    stack = world.cfn.delete("Golden")
    assert stack.status == "DELETE_COMPLETE", stack.reason
    assert world.images() == {}
    assert world.cloud.workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == SOURCE_ID, "restored on delete"
    assert refused(world) == []
