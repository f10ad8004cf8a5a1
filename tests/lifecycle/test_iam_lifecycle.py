"""The provider's IAM policy, enforced: whole deployments in which the emulator checks every call the provider
Lambda makes against its role's identity-based policies, taken from the synthesized template.

- The example app (image, bundle, apply_to_bundle) deploys, moves to next month's image and is deleted with no
  call refused.
- Each statement of the policy is needed: without it, the scenario that exercises it fails with AccessDenied in
  its reason.
- What the ownership conditions are for: the role itself may not delete an image or bundle that lacks this
  stack's ownership tag, whatever the handler tries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from support.construct import NO_BUNDLING
from support.construct import every_resource_type as every_resource_type_stack
from support.lifecycle import (
    EXTERNAL_BUNDLE_ID,
    NEXT_SOURCE_ID,
    SOURCE_ID,
    World,
    every_resource_type,
    provider_statements,
    without_statement,
)

from aws_emulator import Decision, EventBridgeBackend, VirtualClock, WorkSpacesBackend, evaluate
from cfn_driver.assembly import Assembly
from cfn_driver.cloud import ACCOUNT, REGION
from cfn_driver.engine import Stack
from cfn_driver.intrinsics import Resolver

STACK_GUID = "8e6f0a10-0000-4000-8000-0000000000"
OTHER = "444455556666"
FAILED = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED"}


@pytest.fixture
def world() -> Iterator[World]:
    w = World.for_every_resource_type()
    yield w
    w.close()


# ---------------------------------------------------------------- the whole example, with IAM enforced


def test_the_example_app_deploys_moves_and_is_deleted_with_every_call_allowed(world: World, tmp_path: Path) -> None:
    first = world.deploy(every_resource_type(tmp_path / "v1"))
    assert first.status == "CREATE_COMPLETE", first.reason
    image, bundle = first.outputs["ImageId"], first.outputs["BundleId"]
    workspaces = world.cloud.workspaces
    assert workspaces.bundles[bundle].image_id == image
    assert workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == image

    second = world.deploy(every_resource_type(tmp_path / "v2", source_image_id=NEXT_SOURCE_ID, image_name="g-12"))
    assert second.status == "UPDATE_COMPLETE", second.reason
    moved = second.outputs["ImageId"]
    assert workspaces.bundles[bundle].image_id == moved
    assert workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == moved
    assert image not in workspaces.images, "DESTROY deleted last month's image"

    gone = world.cfn.delete("Golden")
    assert gone.status == "DELETE_COMPLETE", gone.reason
    assert workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == SOURCE_ID, "restored"
    assert world.images() == {}
    world.cfn.settle()
    assert world.watching() == []
    # Every call the Lambda made was checked, by the role of its function, and none was refused.
    assert world.checked() > 50
    callers = {c.caller for b in world.cloud.backends.values() for c in b.calls if c.caller is not None}
    assert len(callers) == 1
    assert world.denials() == []


# ---------------------------------------------------------------- each statement is needed


def deploy(world: World, tmp_path: Path, sid: str) -> Stack:
    return world.deploy(without_statement(every_resource_type(tmp_path / "v1"), sid))


def tags_only_update(world: World, tmp_path: Path, sid: str) -> Stack:
    """A tag removed from the image: DeleteTags."""
    first = world.deploy(without_statement(every_resource_type(tmp_path / "v1", tags={"team": "euc", "env": "a"}), sid))
    assert first.status == "CREATE_COMPLETE", first.reason
    return world.deploy(without_statement(every_resource_type(tmp_path / "v2", tags={"team": "euc"}), sid))


def next_month(world: World, tmp_path: Path, sid: str) -> Stack:
    """Next month's image: the bundle this stack made moves onto it."""
    first = deploy(world, tmp_path, sid)
    assert first.status == "CREATE_COMPLETE", first.reason
    later = every_resource_type(tmp_path / "v2", source_image_id=NEXT_SOURCE_ID, image_name="g-12")
    return world.deploy(without_statement(later, sid))


def delete_with_destroy(world: World, tmp_path: Path, sid: str) -> Stack:
    """The stack deleted with DESTROY: the bundle and image go (the bundle first)."""
    first = deploy(world, tmp_path, sid)
    assert first.status == "CREATE_COMPLETE", first.reason
    return world.cfn.delete("Golden")


def shared(world: World, tmp_path: Path, sid: str) -> Stack:
    """The image shared with another account once AVAILABLE: its permissions read, then granted."""
    return world.deploy(without_statement(every_resource_type(tmp_path / "v1", share_with_accounts=[OTHER]), sid))


Scenario = Callable[[World, Path, str], Stack]

# Each Sid of the provider's policy (in a stack with every resource type), the scenario that needs it, and the
# action whose refusal the reason names.
NEEDED: dict[str, tuple[Scenario, str]] = {
    "CreateImages": (deploy, "workspaces:CreateUpdatedWorkspaceImage"),
    "DeleteOwnImages": (delete_with_destroy, "workspaces:DeleteWorkspaceImage"),
    "Describe": (deploy, "workspaces:DescribeWorkspaceImages"),
    "TagAtCreation": (deploy, "workspaces:CreateTags"),  # tags given at creation need CreateTags too
    "CreateTags": (deploy, "workspaces:CreateTags"),  # apply_to_bundle's retry marker
    "DeleteTags": (tags_only_update, "workspaces:DeleteTags"),
    "WatchTable": (deploy, "dynamodb:Query"),  # the record is read before anything is written
    "ReadOwnStack": (deploy, "cloudformation:DescribeStackResource"),  # every request is confirmed first
    "WatchRule": (deploy, "events:EnableRule"),
    "CreateBundles": (deploy, "workspaces:CreateWorkspaceBundle"),
    "BundleImages": (deploy, "workspaces:UpdateWorkspaceBundle"),  # apply_to_bundle comes first here
    "UpdateOwnBundles": (next_month, "workspaces:UpdateWorkspaceBundle"),
    "DeleteOwnBundles": (delete_with_destroy, "workspaces:DeleteWorkspaceBundle"),
    "RepointBundles": (deploy, "workspaces:UpdateWorkspaceBundle"),
    "ImagePermissions": (shared, "workspaces:DescribeWorkspaceImagePermissions"),
    "ShareOwnImages": (shared, "workspaces:UpdateWorkspaceImagePermission"),
}
NOT_EXERCISED = {
    # Lambda writes its logs outside the emulator: without this statement the function still runs and its logs
    # are lost (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
    "Logs",
    # The news on the bus: without it the deployment succeeds and puts no event (bus.py logs the refusal), as
    # test_without_put_events_a_deploy_succeeds_and_says_nothing shows.
    "PutEvents",
}


def test_every_statement_of_the_policy_has_a_scenario(tmp_path: Path) -> None:
    sids = [s.get("Sid") for s in provider_statements(every_resource_type(tmp_path / "app"))]
    assert len(sids) == len(set(sids)), "each statement has its own Sid"
    assert set(sids) == set(NEEDED) | NOT_EXERCISED, "give a new statement its scenario in NEEDED"


@pytest.mark.parametrize("sid", list(NEEDED))
def test_without_the_statement_its_scenario_fails_with_access_denied(world: World, tmp_path: Path, sid: str) -> None:
    world.expect_denials = True
    scenario, action = NEEDED[sid]
    stack = scenario(world, tmp_path, sid)
    assert stack.status in FAILED, f"{scenario.__name__} succeeded without {sid}"
    # CloudFormation's query API names the error AccessDenied, the JSON services AccessDeniedException.
    assert "AccessDenied" in stack.reason
    assert f"is not authorized to perform: {action}" in stack.reason
    assert any(action in message for message in world.denials())


def test_without_put_events_a_deploy_succeeds_and_says_nothing(world: World, tmp_path: Path) -> None:
    world.expect_denials = True
    stack = world.deploy(without_statement(every_resource_type(tmp_path / "app"), "PutEvents"))
    assert stack.status == "CREATE_COMPLETE"
    assert world.news() == []
    assert world.denials()
    assert all("events:PutEvents" in message for message in world.denials())


@pytest.mark.parametrize(
    ("source", "allowed"),
    [("cdk-workspaces-image", True), ("aws.workspaces", False), ("com.example.orders", False)],
)
def test_the_role_may_put_events_of_the_library_source_only(source: str, allowed: bool) -> None:
    """An invocation that made the function put another source's events would be refused by IAM."""
    bus = EventBridgeBackend(VirtualClock(), ACCOUNT, REGION)
    entry = {"Source": source, "DetailType": "WorkSpaces Image Available", "Detail": "{}"}
    requests = bus.request_contexts("PutEvents", {"Entries": [entry]})
    assert all(evaluate(synthesized_policies(), r) is Decision.ALLOW for r in requests) is allowed


def test_repoint_bundles_is_needed_where_no_workspace_bundle_grants_more(world: World, tmp_path: Path) -> None:
    """Without a WorkspaceBundle, only RepointBundles lets the role re-point the bundle apply_to_bundle names."""
    world.expect_denials = True
    app = every_resource_type(tmp_path / "v1", bundle=False)
    assert world.deploy(app).status == "CREATE_COMPLETE"
    assert world.cfn.delete("Golden").status == "DELETE_COMPLETE"
    assert world.denials() == []
    stack = world.deploy(without_statement(every_resource_type(tmp_path / "v2", bundle=False), "RepointBundles"))
    assert stack.status in FAILED
    assert "is not authorized to perform: workspaces:UpdateWorkspaceBundle on resource: " in stack.reason
    assert f"workspacebundle/{EXTERNAL_BUNDLE_ID}" in stack.reason
    assert world.cloud.workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == SOURCE_ID


# ---------------------------------------------------------------- what the ownership conditions must guarantee


def synthesized_policies() -> list[dict[str, Any]]:
    """The provider's policy documents in a stack with every resource type, resolved as CloudFormation would."""
    template = Template.from_stack(every_resource_type_stack(cdk.App(context=NO_BUNDLING))).to_json()
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/EveryResourceType/{STACK_GUID}"
    resolver = Resolver(
        pseudo={"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackId": stack_id},
        parameters={},
        conditions={},
        ref=lambda lid: f"EveryResourceType-{lid}",
        get_att=lambda lid, _: f"arn:aws:logs-or-dynamodb:{REGION}:{ACCOUNT}:{lid}",
    )
    return [
        resolver.resolve(resource["Properties"]["PolicyDocument"])
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
    ]


def untagged_delete(kind: str) -> Any:
    """A DeleteWorkspaceImage or DeleteWorkspaceBundle request for an image or bundle without the ownership tag,
    as the emulator asks IAM about it."""
    workspaces = WorkSpacesBackend(VirtualClock(), ACCOUNT, REGION)
    image = workspaces.add_image("someone-elses", tags={"team": "euc"})
    if kind == "image":
        return workspaces.request_contexts("DeleteWorkspaceImage", {"ImageId": image})
    bundle = workspaces.add_bundle(image, name="someone-elses")
    return workspaces.request_contexts("DeleteWorkspaceBundle", {"BundleId": bundle})


@pytest.mark.parametrize("kind", ["image", "bundle"])
def test_the_role_may_not_delete_what_lacks_the_ownership_tag(kind: str) -> None:
    policies = synthesized_policies()
    (request,) = untagged_delete(kind)
    assert evaluate(policies, request) is not Decision.ALLOW


@pytest.mark.parametrize(
    ("owner", "allowed"),
    [(f"{STACK_GUID}.resource.request.delivery", True), ("0a0a0a0a-0000-4000-8000-000000000000.r.q.d", False)],
    ids=["this-stack", "another-stack"],
)
def test_the_role_may_delete_only_what_carries_this_stacks_ownership_tag(owner: str, allowed: bool) -> None:
    workspaces = WorkSpacesBackend(VirtualClock(), ACCOUNT, REGION)
    image = workspaces.add_image("tagged", tags={"cdk-workspaces-image:owner": owner})
    (request,) = workspaces.request_contexts("DeleteWorkspaceImage", {"ImageId": image})
    assert (evaluate(synthesized_policies(), request) is Decision.ALLOW) is allowed


def test_the_synthesized_policy_is_what_the_lifecycle_driver_enforces(tmp_path: Path) -> None:
    """The policy evaluated above is the one deployments run under (same statements, same Sids)."""
    deployed: Assembly = every_resource_type(tmp_path / "app")
    assert [s.get("Sid") for s in provider_statements(deployed)] == [
        s.get("Sid") for policy in synthesized_policies() for s in policy["Statement"]
    ]


# ---------------------------------------------------------------- images of another account


def test_apply_to_bundle_restores_a_bundle_that_used_a_shared_image(tmp_path: Path) -> None:
    """The bundle apply_to_bundle names used an image another account shares with this one; on delete the handler
    points it back at that image. Which account's ARN IAM checks for a shared image is undocumented: the emulator
    names it by its owner (the image's ARN)."""
    world = World.for_every_resource_type()
    world.expect_denials = True
    try:
        workspaces = world.cloud.workspaces
        shared = workspaces.add_image("partner-golden", owner_account_id="444455556666")
        workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id = shared
        stack = world.deploy(every_resource_type(tmp_path / "v1", bundle=False))
        assert stack.status == "CREATE_COMPLETE", stack.reason
        gone = world.cfn.delete("Golden")
        assert gone.status == "DELETE_COMPLETE", gone.reason
        assert workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == shared
    finally:
        world.close()
