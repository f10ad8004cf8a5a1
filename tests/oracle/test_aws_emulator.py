"""The local WorkSpaces and EventBridge emulator, reached by an unmodified boto3. No sleeping: virtual time."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator
from support import ROOT

sys.path.insert(0, str(ROOT))

from aws_emulator import (
    EventBridgeBackend,
    Plan,
    ServiceError,
    VirtualClock,
    WorkSpacesBackend,
    attach,
    rate_seconds,
    serve,
)
from aws_emulator.service import service_model

RETRIES = Config(retries={"mode": "standard", "max_attempts": 10})


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def ws(clock: VirtualClock) -> WorkSpacesBackend:
    return WorkSpacesBackend(clock, seed=7)


@pytest.fixture
def events(clock: VirtualClock) -> EventBridgeBackend:
    return EventBridgeBackend(clock)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore sleeps between retries in botocore.endpoint; record the delays instead."""
    delays: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", delays.append)
    return delays


def client_for(backend: WorkSpacesBackend) -> Any:
    workspaces = boto3.client("workspaces", config=RETRIES)
    attach(workspaces, backend)
    return workspaces


@pytest.fixture
def client(ws: WorkSpacesBackend) -> Any:
    return client_for(ws)


@pytest.fixture
def eb(events: EventBridgeBackend) -> Any:
    client = boto3.client("events", config=RETRIES)
    attach(client, events)
    return client


def create(client: Any, source: str, name: str = "golden-2024", **extra: Any) -> str:
    answer = client.create_updated_workspace_image(SourceImageId=source, Name=name, Description="Updated", **extra)
    return str(answer["ImageId"])


def state_of(client: Any, image_id: str) -> dict[str, Any]:
    images = client.describe_workspace_images(ImageIds=[image_id])["Images"]
    assert len(images) == 1
    return dict(images[0])


def raises_code(code: str, call: Any, *args: Any, **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert code_of(caught.value) == code, caught.value.response["Error"]
    return caught.value


# -- validation ----------------------------------------------------------------------


def test_model_patterns_and_max_lengths_botocore_does_not_check_are_refused(client: Any, ws: WorkSpacesBackend) -> None:
    source = ws.add_image("golden")
    error = raises_code("InvalidParameterValuesException", create, client, source, name="a b")
    assert "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern" in str(error)
    raises_code("InvalidParameterValuesException", create, client, source, name="x" * 65)
    raises_code("InvalidParameterValuesException", create, client, "wsi-UPPER12345")
    raises_code(
        "InvalidParameterValuesException",
        client.create_updated_workspace_image,
        SourceImageId=source,
        Name="ok",
        Description="no, commas",
    )
    raises_code("InvalidParameterValuesException", create, client, source, Tags=[{"Key": "k" * 128, "Value": "v"}])
    raises_code("InvalidParameterValuesException", client.describe_workspace_images, ImageType="MINE")
    raises_code("InvalidParameterValuesException", client.describe_workspace_images, MaxResults=26)
    assert ws.images.keys() == {source}


def test_requests_botocore_would_refuse_are_refused_by_the_backend_too(ws: WorkSpacesBackend) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("CreateUpdatedWorkspaceImage", {"Name": "n", "Description": "d"}, "Value null at 'sourceImageId'"),
        ("DescribeWorkspaceImages", {"ImageIds": []}, "length greater than or equal to 1"),
        ("DescribeWorkspaceImages", {"ImageIds": [f"wsi-{i:09d}" for i in range(26)]}, "less than or equal to 25"),
        ("DescribeWorkspaceImages", {"MaxResults": 0}, "value greater than or equal to 1"),
        ("DescribeWorkspaceImages", {"MaxResults": "5"}, "Member must be an integer"),
        ("CreateTags", {"ResourceId": "wsi-123456789", "Tags": [{"Value": "v"}]}, "Value null at 'tags.1.member.key'"),
        ("DescribeWorkspaceBundles", {"BundleIds": ["wsb-1"]}, "regular expression pattern"),
    ]
    for operation, params, expected in cases:
        with pytest.raises(ServiceError) as caught:
            ws.handle(operation, params)
        assert caught.value.code == "InvalidParameterValuesException"
        assert expected in caught.value.message, (operation, caught.value.message)


def test_tag_rules(client: Any, ws: WorkSpacesBackend) -> None:
    source = ws.add_image("golden")
    raises_code("InvalidParameterValuesException", create, client, source, Tags=[{"Key": "aws:x", "Value": "v"}])
    raises_code("InvalidParameterValuesException", create, client, source, Tags=[{"Key": "a*b", "Value": "v"}])
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    raises_code("ResourceLimitExceededException", create, client, source, Tags=too_many)
    image = create(client, source, Tags=[{"Key": f"k{i}", "Value": "v" * 255} for i in range(50)])
    assert len(client.describe_tags(ResourceId=image)["TagList"]) == 50
    raises_code("ResourceLimitExceededException", client.create_tags, ResourceId=image, Tags=[{"Key": "new"}])
    client.create_tags(ResourceId=image, Tags=[{"Key": "k0", "Value": "overwritten"}])
    client.delete_tags(ResourceId=image, TagKeys=["k1", "not-there"])
    tags = {t["Key"]: t["Value"] for t in client.describe_tags(ResourceId=image)["TagList"]}
    assert len(tags) == 49
    assert tags["k0"] == "overwritten"
    raises_code("ResourceNotFoundException", client.describe_tags, ResourceId="wsi-000000000")


# -- the image state machine ---------------------------------------------------------


def test_new_image_is_pending_until_its_time_passes_and_the_source_is_untouched(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    source = ws.add_image("golden", update_available=True, description="Golden")
    before = state_of(client, source)
    clock.advance(10)
    image = create(client, source)
    first = state_of(client, image)
    assert first["State"] == "PENDING"
    assert first["Created"].timestamp() == clock.now()
    assert first["Updates"] == {"UpdateAvailable": False}
    assert first["OperatingSystem"] == {"Type": "WINDOWS"}
    assert "ErrorCode" not in first
    clock.advance(3599)
    assert state_of(client, image)["State"] == "PENDING"
    clock.advance(1)
    assert state_of(client, image)["State"] == "AVAILABLE"
    assert state_of(client, source) == before


def test_plans_queued_for_the_next_images_by_describes_and_never(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    source = ws.add_image("golden")
    ws.plan_next_images(Plan.available(after_seconds=None, after_describes=2), Plan.never())
    quick, stuck = create(client, source, name="quick"), create(client, source, name="stuck")
    seen = [state_of(client, quick)["State"] for _ in range(3)]
    assert seen == ["PENDING", "PENDING", "AVAILABLE"]
    # A listing that shows the image counts as a describe too.
    assert [i["State"] for i in client.describe_workspace_images(ImageType="OWNED")["Images"]] == [
        "AVAILABLE",
        "AVAILABLE",
        "PENDING",
    ]
    assert ws.image(stuck).state == "PENDING"
    clock.advance(10**6)
    assert state_of(client, stuck)["State"] == "PENDING"


def test_error_with_details_set_after_creation(client: Any, ws: WorkSpacesBackend, clock: VirtualClock) -> None:
    source = ws.add_image("golden")
    image = create(client, source)
    ws.set_plan(
        image,
        Plan.error(
            "UpdateFailed",
            "The update could not be applied",
            details=[("PendingReboot", "Reboot first"), ("InsufficientDiskSpace", "Free 10 GB")],
            after_seconds=600,
        ),
    )
    assert state_of(client, image)["State"] == "PENDING"
    clock.advance(600)
    failed = state_of(client, image)
    assert failed["State"] == "ERROR"
    assert failed["ErrorCode"] == "UpdateFailed"
    assert failed["ErrorMessage"] == "The update could not be applied"
    assert failed["ErrorDetails"] == [
        {"ErrorCode": "PendingReboot", "ErrorMessage": "Reboot first"},
        {"ErrorCode": "InsufficientDiskSpace", "ErrorMessage": "Free 10 GB"},
    ]
    with pytest.raises(ValueError, match="not in the model"):
        Plan.error(details=[("NotACode", "x")])


def test_source_must_exist_be_available_updatable_and_have_an_update(client: Any, ws: WorkSpacesBackend) -> None:
    raises_code("ResourceNotFoundException", create, client, "wsi-000000000")
    pending = ws.add_image("pending", state="PENDING", plan=Plan.never())
    raises_code("InvalidResourceStateException", create, client, pending)
    linux = ws.add_image("linux", os="LINUX")
    raises_code("OperationNotSupportedException", create, client, linux)
    current = ws.add_image("current", update_available=False)
    raises_code("InvalidResourceStateException", create, client, current)
    ws.set_update_available(current, True, "Agent 2.1")
    assert state_of(client, current)["Updates"] == {"UpdateAvailable": True, "Description": "Agent 2.1"}
    create(client, current, name="from-current")
    shared_with_us = ws.add_image("theirs", owner_account_id="210987654321")
    raises_code("ResourceNotFoundException", create, client, shared_with_us)
    assert {c.error for c in ws.calls_to("CreateUpdatedWorkspaceImage")} == {
        None,
        "ResourceNotFoundException",
        "InvalidResourceStateException",
        "OperationNotSupportedException",
    }


def test_no_update_behaviour_is_an_option(clock: VirtualClock) -> None:
    ws = WorkSpacesBackend(clock, no_update_error=None)
    current = ws.add_image("current", update_available=False)
    assert ws.handle("CreateUpdatedWorkspaceImage", {"SourceImageId": current, "Name": "n", "Description": "d"})
    strict = WorkSpacesBackend(clock, no_update_error="OperationNotSupportedException")
    current = strict.add_image("current", update_available=False)
    with pytest.raises(ServiceError, match="OperationNotSupportedException"):
        strict.handle("CreateUpdatedWorkspaceImage", {"SourceImageId": current, "Name": "n", "Description": "d"})


def test_name_collision_and_quota(clock: VirtualClock) -> None:
    ws = WorkSpacesBackend(clock, image_quota=3)
    client = client_for(ws)
    source = ws.add_image("golden")
    ws.add_image("other", owner_account_id="210987654321")  # shared with us: not counted
    raises_code("ResourceAlreadyExistsException", create, client, source, name="golden")
    create(client, source, name="one")
    create(client, source, name="two")
    raises_code("ResourceLimitExceededException", create, client, source, name="three")
    relaxed = WorkSpacesBackend(clock, unique_names=False)
    twin = relaxed.add_image("golden")
    relaxed.handle("CreateUpdatedWorkspaceImage", {"SourceImageId": twin, "Name": "golden", "Description": "d"})


# -- deletion ------------------------------------------------------------------------


def test_delete_is_blocked_by_a_bundle_until_it_points_elsewhere(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    source = ws.add_image("golden")
    image = create(client, source)
    raises_code(
        "ResourceUnavailableException",
        client.create_workspace_bundle,
        BundleName="desk",
        BundleDescription="Desk bundle",
        ImageId=image,
        ComputeType={"Name": "STANDARD"},
        UserStorage={"Capacity": "50"},
    )
    clock.advance(3600)
    bundle = client.create_workspace_bundle(
        BundleName="desk",
        BundleDescription="Desk bundle",
        ImageId=image,
        ComputeType={"Name": "STANDARD"},
        UserStorage={"Capacity": "50"},
    )["WorkspaceBundle"]
    assert bundle["ImageId"] == image
    raises_code("ResourceAssociatedException", client.delete_workspace_image, ImageId=image)
    client.update_workspace_bundle(BundleId=bundle["BundleId"], ImageId=source)
    client.delete_workspace_image(ImageId=image)
    assert client.describe_workspace_images(ImageIds=[image])["Images"] == []
    raises_code("ResourceAssociatedException", client.delete_workspace_image, ImageId=source)
    client.delete_workspace_bundle(BundleId=bundle["BundleId"])
    client.delete_workspace_image(ImageId=source)


def test_delete_is_blocked_while_shared(client: Any, ws: WorkSpacesBackend) -> None:
    image = ws.add_image("golden")
    ws.share_image(image, "210987654321")
    permissions = client.describe_workspace_image_permissions(ImageId=image)["ImagePermissions"]
    assert permissions == [{"SharedAccountId": "210987654321"}]
    raises_code("InvalidResourceStateException", client.delete_workspace_image, ImageId=image)
    ws.unshare_image(image, "210987654321")
    client.delete_workspace_image(ImageId=image)


# -- sharing (UpdateWorkspaceImagePermission) -----------------------------------------
#
# https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html and
# https://docs.aws.amazon.com/workspaces/latest/adminguide/share-custom-image.html; the undocumented choices are
# the backend's options, each tested both ways.

OTHER = "210987654321"
THIRD = "444455556666"


def share(client: Any, image: str, account: str = OTHER, allow: bool = True) -> dict[str, Any]:
    answer = client.update_workspace_image_permission(ImageId=image, SharedAccountId=account, AllowCopyImage=allow)
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def shared_with(client: Any, image: str) -> list[str]:
    permissions = client.describe_workspace_image_permissions(ImageId=image)["ImagePermissions"]
    return [p["SharedAccountId"] for p in permissions]


def message_of(error: ClientError) -> str:
    return str(error.response["Error"]["Message"])


def test_granting_shares_the_image_and_revoking_unshares_it(client: Any, ws: WorkSpacesBackend) -> None:
    image = ws.add_image("golden")
    assert share(client, image) == {}, "the answer is empty"
    assert shared_with(client, image) == [OTHER]
    assert ws.images[image].shared_with == [OTHER], "the test's view is the same list"
    share(client, image, THIRD)
    assert shared_with(client, image) == [OTHER, THIRD]
    assert share(client, image, OTHER, allow=False) == {}
    assert shared_with(client, image) == [THIRD]
    assert ws.images[image].shared_with == [THIRD]


def test_granting_again_succeeds_once_unless_the_option_refuses(client: Any, ws: WorkSpacesBackend) -> None:
    # Undocumented: by default a second grant is no error and lists the account once.
    image = ws.add_image("golden")
    share(client, image)
    share(client, image)
    assert shared_with(client, image) == [OTHER]
    strict = WorkSpacesBackend(VirtualClock(), already_shared_error="ResourceAlreadyExistsException")
    image = strict.add_image("golden")
    share(client_for(strict), image)
    raises_code("ResourceAlreadyExistsException", share, client_for(strict), image)
    assert strict.images[image].shared_with == [OTHER]


def test_revoking_for_an_account_the_image_is_not_shared_with_is_refused(client: Any, ws: WorkSpacesBackend) -> None:
    image = ws.add_image("golden")
    error = raises_code("InvalidParameterValuesException", share, client, image, allow=False)
    assert "can be revoked only after an image has been shared" in message_of(error)
    share(client, image, THIRD)
    raises_code("InvalidParameterValuesException", share, client, image, allow=False)
    assert shared_with(client, image) == [THIRD]


def test_only_an_image_this_account_owns_is_found(client: Any, ws: WorkSpacesBackend) -> None:
    theirs = ws.add_image("theirs", owner_account_id=THIRD)
    for image in ("wsi-000000000", theirs):
        for allow in (True, False):
            error = raises_code("ResourceNotFoundException", share, client, image, allow=allow)
            assert message_of(error) == "The specified image could not be found."
    assert ws.images[theirs].shared_with == []


def test_the_request_is_validated_against_the_model(client: Any, ws: WorkSpacesBackend) -> None:
    image = ws.add_image("golden")
    # SharedAccountId's pattern ^\d{12}$, which botocore does not check.
    for account in ("12345678901", "12345678901a", "1234567890123"):
        raises_code("InvalidParameterValuesException", share, client, image, account)
    assert ws.images[image].shared_with == []


def test_sharing_with_the_own_account_is_refused_unless_the_option_allows(client: Any, ws: WorkSpacesBackend) -> None:
    image = ws.add_image("golden")
    for allow in (True, False):
        error = raises_code("InvalidParameterValuesException", share, client, image, ws.account_id, allow)
        assert "its own account" in message_of(error)
    lenient = WorkSpacesBackend(VirtualClock(), self_share_error=None)
    image = lenient.add_image("golden")
    share(client_for(lenient), image, lenient.account_id)
    assert lenient.images[image].shared_with == [], "the image is its owner's already: nothing to list"


def test_only_an_available_image_is_granted_unless_the_option_allows(client: Any, ws: WorkSpacesBackend) -> None:
    pending = ws.add_image("pending", state="PENDING", plan=Plan.never())
    failed = ws.add_image("failed", state="ERROR")
    for image, state in ((pending, "PENDING"), (failed, "ERROR")):
        error = raises_code("ResourceUnavailableException", share, client, image)
        assert message_of(error) == f"Image {image} is {state}, not AVAILABLE."
        assert ws.images[image].shared_with == []
    # Revoking is how an image is made deletable again, whatever its state.
    ws.share_image(pending, OTHER)
    share(client, pending, allow=False)
    assert ws.images[pending].shared_with == []
    lenient = WorkSpacesBackend(VirtualClock(), share_unavailable_error=None)
    pending = lenient.add_image("pending", state="PENDING", plan=Plan.never())
    share(client_for(lenient), pending)
    assert lenient.images[pending].shared_with == [OTHER]


def test_only_accounts_that_exist_are_granted(clock: VirtualClock) -> None:
    anyone = WorkSpacesBackend(clock)
    image = anyone.add_image("golden")
    share(client_for(anyone), image, "000000000000")
    assert anyone.images[image].shared_with == ["000000000000"], "by default every 12-digit account exists"
    known = WorkSpacesBackend(clock, accounts=[OTHER])
    image = known.add_image("golden")
    client = client_for(known)
    error = raises_code("InvalidParameterValuesException", share, client, image, THIRD)
    assert message_of(error) == f"The AWS account {THIRD} does not exist."
    share(client, image, OTHER)
    assert known.images[image].shared_with == [OTHER]
    other_code = WorkSpacesBackend(clock, accounts=[OTHER], unknown_account_error="ResourceNotFoundException")
    image = other_code.add_image("golden")
    raises_code("ResourceNotFoundException", share, client_for(other_code), image, THIRD)
    assert other_code.images[image].shared_with == []


def test_a_byol_image_is_shared_only_with_accounts_enabled_for_byol(clock: VirtualClock) -> None:
    ws = WorkSpacesBackend(clock, byol_accounts=[OTHER])
    client = client_for(ws)
    byol = ws.add_image("byol", required_tenancy="DEDICATED")
    plain = ws.add_image("plain")
    error = raises_code("OperationNotSupportedException", share, client, byol, THIRD)
    assert message_of(error) == (
        f"Image {byol} is a BYOL image: BYOL images can be shared only with AWS accounts that are enabled for BYOL "
        f"and in the same organization, and {THIRD} is not."
    )
    share(client, byol, OTHER)
    share(client, plain, THIRD)
    assert (ws.images[byol].shared_with, ws.images[plain].shared_with) == ([OTHER], [THIRD])
    # An updated copy is BYOL too, so the rule follows it.
    copy = create(client, byol)
    clock.advance(3600)
    raises_code("OperationNotSupportedException", share, client, copy, THIRD)
    share(client, copy, OTHER)
    # By default no account is enabled for BYOL; the code is an option (which one is undocumented).
    strict = WorkSpacesBackend(clock, byol_share_error="InvalidParameterValuesException")
    byol = strict.add_image("byol", required_tenancy="DEDICATED")
    raises_code("InvalidParameterValuesException", share, client_for(strict), byol, OTHER)
    assert strict.images[byol].shared_with == []


def test_a_byol_image_is_not_shared_across_accounts_in_govcloud(clock: VirtualClock) -> None:
    ws = WorkSpacesBackend(clock, region="us-gov-west-1", byol_accounts=[OTHER])
    client = client_for(ws)
    byol = ws.add_image("byol", required_tenancy="DEDICATED")
    error = raises_code("OperationNotSupportedException", share, client, byol, OTHER)
    assert "not supported in the AWS GovCloud (US) Regions (us-gov-west-1)" in message_of(error)
    assert ws.images[byol].shared_with == []
    plain = ws.add_image("plain")
    share(client, plain, OTHER)
    assert ws.images[plain].shared_with == [OTHER], "only BYOL images are held back there"


def test_the_hand_helpers_bypass_the_rules_and_the_api_undoes_them(client: Any, ws: WorkSpacesBackend) -> None:
    # Tests share "by hand" to set up a state however it came about; the API then sees it like any other share.
    byol = ws.add_image("byol", required_tenancy="DEDICATED")
    ws.share_image(byol, OTHER)
    ws.share_image(byol, OTHER)
    assert shared_with(client, byol) == [OTHER]
    share(client, byol, allow=False)
    assert shared_with(client, byol) == []
    share_later = ws.add_image("golden")
    share(client, share_later)
    ws.unshare_image(share_later, OTHER)
    assert shared_with(client, share_later) == []


def test_delete_is_refused_while_shared_through_the_api_and_works_once_unshared(
    client: Any, ws: WorkSpacesBackend
) -> None:
    image = ws.add_image("golden")
    share(client, image)
    share(client, image, THIRD)
    error = raises_code("InvalidResourceStateException", client.delete_workspace_image, ImageId=image)
    assert "shared" in message_of(error)
    share(client, image, allow=False)
    raises_code("InvalidResourceStateException", client.delete_workspace_image, ImageId=image)
    share(client, image, THIRD, allow=False)
    client.delete_workspace_image(ImageId=image)
    assert image not in ws.images


def test_deleting_pending_or_missing_images_follows_the_options(clock: VirtualClock) -> None:
    # By default a PENDING image is refused (the safe assumption) and a missing one is no error.
    default = WorkSpacesBackend(clock)
    pending = default.add_image("p", state="PENDING")
    with pytest.raises(ServiceError, match="InvalidResourceStateException"):
        default.handle("DeleteWorkspaceImage", {"ImageId": pending})
    default.handle("DeleteWorkspaceImage", {"ImageId": "wsi-000000000"})
    lenient = WorkSpacesBackend(clock, delete_pending_error=None, delete_missing_error="ResourceNotFoundException")
    pending = lenient.add_image("p", state="PENDING")
    lenient.handle("DeleteWorkspaceImage", {"ImageId": pending})
    with pytest.raises(ServiceError, match="ResourceNotFoundException"):
        lenient.handle("DeleteWorkspaceImage", {"ImageId": pending})


# -- faults --------------------------------------------------------------------------


def test_throttling_is_retried_by_botocore_like_the_real_thing(
    client: Any, ws: WorkSpacesBackend, no_backoff: list[float]
) -> None:
    source = ws.add_image("golden")
    ws.inject("CreateUpdatedWorkspaceImage", "ThrottlingException", times=3)
    answer = client.create_updated_workspace_image(SourceImageId=source, Name="n", Description="d")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 3
    assert len(no_backoff) == 3
    assert [c.error for c in ws.calls_to("CreateUpdatedWorkspaceImage")] == [
        "ThrottlingException",
        "ThrottlingException",
        "ThrottlingException",
        None,
    ]
    # botocore reads retries={"max_attempts": 10} as 10 retries, so 11 attempts in all.
    ws.inject("DescribeWorkspaceImages", "ThrottlingException", times=10)
    assert client.describe_workspace_images()["ResponseMetadata"]["RetryAttempts"] == 10
    ws.inject("DescribeWorkspaceImages", "ThrottlingException", times=11)
    error = raises_code("ThrottlingException", client.describe_workspace_images)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 10
    assert ws.pending_faults() == 0


def test_faults_are_consumed_in_order_and_not_retried_when_final(
    client: Any, ws: WorkSpacesBackend, no_backoff: list[float]
) -> None:
    source = ws.add_image("golden")
    operation = "CreateUpdatedWorkspaceImage"
    ws.inject(operation, "AccessDeniedException", message="not allowed here")
    ws.inject(operation, "ResourceLimitExceededException")
    ws.inject(operation, "ResourceAlreadyExistsException")
    error = raises_code("AccessDeniedException", create, client, source)
    assert error.response["Error"]["Message"] == "not allowed here"
    raises_code("ResourceLimitExceededException", create, client, source)
    raises_code("ResourceAlreadyExistsException", create, client, source)
    create(client, source)
    ws.inject("DeleteWorkspaceImage", "ResourceAssociatedException")
    raises_code("ResourceAssociatedException", client.delete_workspace_image, ImageId=source)
    assert no_backoff == []
    assert len(ws.calls_to(operation)) == 4
    assert ws.calls[0].params["SourceImageId"] == source
    with pytest.raises(KeyError):
        ws.inject("CreateWorkspaceImages", "ThrottlingException")


# -- pagination ----------------------------------------------------------------------


def test_images_and_bundles_paginate(clock: VirtualClock) -> None:
    ws = WorkSpacesBackend(clock, image_quota=100, bundle_page_size=2)
    client = client_for(ws)
    ids = [ws.add_image(f"image-{n:02d}") for n in range(30)]
    pages = list(client.get_paginator("describe_workspace_images").paginate(ImageType="OWNED"))
    assert [len(p["Images"]) for p in pages] == [25, 5]
    small = client.get_paginator("describe_workspace_images").paginate(PaginationConfig={"PageSize": 10})
    assert [i["ImageId"] for p in small for i in p["Images"]] == ids
    token = client.describe_workspace_images(MaxResults=10)["NextToken"]
    raises_code("InvalidParameterValuesException", client.describe_workspace_images, NextToken=token, MaxResults=5)
    raises_code("InvalidParameterValuesException", client.describe_workspace_images, NextToken="garbage")
    bundles = [ws.add_bundle(ids[n]) for n in range(5)]
    ws.add_bundle(ids[0], owner="AMAZON")
    pages = list(client.get_paginator("describe_workspace_bundles").paginate())
    assert [len(p["Bundles"]) for p in pages] == [2, 2, 1]
    assert [b["BundleId"] for p in pages for b in p["Bundles"]] == bundles
    assert len(client.describe_workspace_bundles(Owner="AMAZON")["Bundles"]) == 1
    assert len(client.describe_workspace_bundles(BundleIds=bundles[:2])["Bundles"]) == 2
    raises_code("InvalidParameterValuesException", client.describe_workspace_bundles, BundleIds=bundles, Owner="AMAZON")


def test_required_tenancy_is_answered_and_a_copy_inherits_it(client: Any, ws: WorkSpacesBackend) -> None:
    # DescribeWorkspaceImages answers RequiredTenancy (DEDICATED: a BYOL image); an updated image is the same
    # image with updates, so it keeps its source's license model.
    byol = ws.add_image("byol", required_tenancy="DEDICATED")
    plain = ws.add_image("plain")
    assert state_of(client, byol)["RequiredTenancy"] == "DEDICATED"
    assert state_of(client, plain)["RequiredTenancy"] == "DEFAULT"
    assert state_of(client, create(client, byol))["RequiredTenancy"] == "DEDICATED"
    assert state_of(client, create(client, plain, name="plain-2024"))["RequiredTenancy"] == "DEFAULT"


def test_shared_and_owned_images_are_told_apart(client: Any, ws: WorkSpacesBackend) -> None:
    mine = ws.add_image("mine")
    theirs = ws.add_image("theirs", owner_account_id="210987654321")
    owned = client.describe_workspace_images(ImageType="OWNED")["Images"]
    shared = client.describe_workspace_images(ImageType="SHARED")["Images"]
    assert [i["ImageId"] for i in owned] == [mine]
    assert [i["ImageId"] for i in shared] == [theirs]
    assert len(client.describe_workspace_images()["Images"]) == 2


# -- responses follow the output shapes ----------------------------------------------


def test_every_response_validates_against_botocores_output_shape(clock: VirtualClock) -> None:
    ws = WorkSpacesBackend(clock, check_responses=False)  # botocore's validator is the judge here
    events = EventBridgeBackend(clock, check_responses=False)
    answers: list[tuple[Any, str, dict[str, Any]]] = []

    def call(backend: WorkSpacesBackend | EventBridgeBackend, operation: str, **params: Any) -> dict[str, Any]:
        answer = backend.handle(operation, params)
        answers.append((backend, operation, answer))
        return answer

    source = ws.add_image("golden", update_description="Drivers and agents")
    ws.share_image(source, "210987654321")
    ws.plan_next_images(Plan.error(after_seconds=1))
    failed = call(ws, "CreateUpdatedWorkspaceImage", SourceImageId=source, Name="f", Description="d")["ImageId"]
    image = call(ws, "CreateUpdatedWorkspaceImage", SourceImageId=source, Name="n", Description="d")["ImageId"]
    clock.advance(3600)
    call(ws, "DescribeWorkspaceImages", MaxResults=1)
    call(ws, "DescribeWorkspaceImages", ImageIds=[source, image, failed])
    call(ws, "CreateTags", ResourceId=image, Tags=[{"Key": "k", "Value": ""}])
    call(ws, "DescribeTags", ResourceId=image)
    call(ws, "DeleteTags", ResourceId=image, TagKeys=["k"])
    call(ws, "UpdateWorkspaceImagePermission", ImageId=source, SharedAccountId="111122223333", AllowCopyImage=True)
    call(ws, "UpdateWorkspaceImagePermission", ImageId=source, SharedAccountId="111122223333", AllowCopyImage=False)
    call(ws, "DescribeWorkspaceImagePermissions", ImageId=source)
    bundle = call(
        ws,
        "CreateWorkspaceBundle",
        BundleName="b",
        BundleDescription="B",
        ImageId=image,
        ComputeType={"Name": "VALUE"},
        UserStorage={"Capacity": "10"},
        RootStorage={"Capacity": "80"},
    )["WorkspaceBundle"]["BundleId"]
    ws.add_bundle(image)
    ws.add_bundle(image)
    call(ws, "DescribeWorkspaceBundles")
    call(ws, "UpdateWorkspaceBundle", BundleId=bundle, ImageId=source)
    call(ws, "DeleteWorkspaceBundle", BundleId=bundle)
    call(ws, "DeleteWorkspaceImage", ImageId=failed)
    made = call(ws, "CreateWorkspaceImage", WorkspaceId=ws.add_workspace(), Name="w", Description="d")
    call(ws, "ImportWorkspaceImage", Ec2ImageId=ws.add_ami(), IngestionProcess="BYOL_REGULAR", ImageName="i",
         ImageDescription="d")  # fmt: skip
    ws.plan_next_images(Plan.error("ImportFailed", "failed", (("UnknownError", "unknown"),), after_seconds=10))
    custom = {
        "ImageDescription": "d",
        "ComputeType": "BASE",
        "Protocol": "DCV",
        "ImageSource": {"Ec2ImageId": ws.add_ami()},
        "InfrastructureConfigurationArn": ws.add_infrastructure_configuration(),
        "Platform": "WINDOWS",
        "OsVersion": "Windows_10",
    }
    running = call(ws, "ImportCustomWorkspaceImage", ImageName="c", **custom)["ImageId"]
    failing = call(ws, "ImportCustomWorkspaceImage", ImageName="e", **custom)["ImageId"]
    call(ws, "DescribeCustomWorkspaceImageImport", ImageId=running)
    clock.advance(3600)
    call(ws, "DescribeCustomWorkspaceImageImport", ImageId=running)
    call(ws, "DescribeCustomWorkspaceImageImport", ImageId=failing)
    assert made["State"] == "PENDING"
    call(events, "PutRule", Name="r", ScheduleExpression="rate(1 minute)", State="ENABLED", Description="x")
    call(events, "PutTargets", Rule="r", Targets=[{"Id": "t", "Arn": "arn:aws:lambda:eu-west-1:1:function:f"}])
    call(events, "DescribeRule", Name="r")
    call(events, "DisableRule", Name="r")
    call(events, "EnableRule", Name="r")
    call(events, "ListRules", NamePrefix="r")
    call(events, "ListTargetsByRule", Rule="r")
    call(events, "RemoveTargets", Rule="r", Ids=["t"])
    call(events, "ListTargetsByRule", Rule="r")
    call(events, "DeleteRule", Name="r")
    call(events, "PutRule", Name="p", EventPattern='{"source": ["s"]}')
    call(events, "PutTargets", Rule="p", Targets=[{"Id": "t", "Arn": "arn:aws:sns:eu-west-1:1:t"}])
    good = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    call(events, "PutEvents", Entries=[good, {**good, "Detail": "[]"}])

    validator = ParamValidator()
    for backend, operation, answer in answers:
        shape = service_model(backend.service_name).operation_model(operation).output_shape
        if shape is None:
            assert answer == {}, operation
            continue
        report = validator.validate(answer, shape)
        assert not report.has_errors(), (operation, report.generate_report())
        backend.check_response(operation, answer)  # the stricter checker agrees
    emulated: dict[str, set[str]] = {}
    for backend, operation, _ in answers:
        emulated.setdefault(backend.service_name, set()).add(operation)
    assert len(emulated["workspaces"]) == 16
    assert len(emulated["events"]) == 10
    assert any("ErrorDetails" in i for _, op, a in answers if op == "DescribeWorkspaceImages" for i in a["Images"])


# -- EventBridge ---------------------------------------------------------------------


def test_rule_and_target_lifecycle(eb: Any, events: EventBridgeBackend) -> None:
    arn = eb.put_rule(Name="cdkwsi-0123abcd-watch", ScheduleExpression="rate(1 minute)", State="ENABLED")["RuleArn"]
    assert arn == "arn:aws:events:eu-west-1:123456789012:rule/cdkwsi-0123abcd-watch"
    target = {"Id": "watch", "Arn": "arn:aws:lambda:eu-west-1:123456789012:function:f", "Input": '{"a": 1}'}
    assert eb.put_targets(Rule="cdkwsi-0123abcd-watch", Targets=[target])["FailedEntryCount"] == 0
    assert eb.list_targets_by_rule(Rule="cdkwsi-0123abcd-watch")["Targets"] == [target]
    assert [r["Name"] for r in eb.list_rules(NamePrefix="cdkwsi-")["Rules"]] == ["cdkwsi-0123abcd-watch"]
    raises_code("ValidationException", eb.delete_rule, Name="cdkwsi-0123abcd-watch")
    eb.remove_targets(Rule="cdkwsi-0123abcd-watch", Ids=["watch"])
    assert "Targets" not in eb.list_targets_by_rule(Rule="cdkwsi-0123abcd-watch")
    eb.delete_rule(Name="cdkwsi-0123abcd-watch")
    eb.delete_rule(Name="cdkwsi-0123abcd-watch")  # API_DeleteRule: repeated deletes succeed
    raises_code("ResourceNotFoundException", eb.describe_rule, Name="cdkwsi-0123abcd-watch")
    raises_code("ResourceNotFoundException", eb.remove_targets, Rule="cdkwsi-0123abcd-watch", Ids=["watch"])
    raises_code("ResourceNotFoundException", eb.put_targets, Rule="nope", Targets=[target])


def test_rule_validation(eb: Any, events: EventBridgeBackend, no_backoff: list[float]) -> None:
    for bad in ("rate(1 minutes)", "rate(2 minute)", "rate(0 minutes)", "every minute"):
        raises_code("ValidationException", eb.put_rule, Name="r", ScheduleExpression=bad)
    raises_code("ValidationException", eb.put_rule, Name="has space", ScheduleExpression="rate(1 minute)")
    raises_code("ValidationException", eb.put_rule, Name="r")
    eb.put_rule(Name="r", ScheduleExpression="rate(5 minutes)")
    big = {"Id": "t", "Arn": "arn:aws:lambda:eu-west-1:1:function:f", "Input": '"' + "x" * 8191 + '"'}
    raises_code("ValidationException", eb.put_targets, Rule="r", Targets=[big])
    raises_code("ValidationException", eb.put_targets, Rule="r", Targets=[{**big, "Input": "{not json"}])
    many = [{"Id": f"t{i}", "Arn": "arn:aws:lambda:eu-west-1:1:function:f"} for i in range(6)]
    raises_code("LimitExceededException", eb.put_targets, Rule="r", Targets=many)
    # botocore's standard retry mode counts LimitExceededException as throttling: it retries.
    assert len(events.calls_to("PutTargets")) == 3 + 10
    assert len(no_backoff) == 10
    assert rate_seconds("rate(2 hours)") == 7200
    assert rate_seconds("rate(1 day)") == 86400


def test_rate_schedules_fire_from_the_rules_creation(eb: Any, events: EventBridgeBackend, clock: VirtualClock) -> None:
    start = clock.now()
    eb.put_rule(Name="r", ScheduleExpression="rate(1 minute)")
    assert events.due() == []  # a rule without targets delivers nothing
    eb.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": "arn:aws:lambda:eu-west-1:1:function:f", "Input": "{}"}])
    assert events.next_due() == start + 60
    clock.advance(59)
    assert events.due() == []
    clock.advance(1)
    (first,) = events.due()
    assert (first.rule, first.target_id, first.at, first.input) == ("r", "t", start + 60, "{}")
    assert events.due() == []  # each delivery is returned once
    clock.advance(150)
    assert [f.at for f in events.due()] == [start + 120, start + 180]
    assert events.next_due() == start + 240
    eb.put_rule(Name="r", ScheduleExpression="rate(1 minute)", State="DISABLED")
    clock.advance(600)
    assert events.due() == []
    assert events.next_due() is None
    eb.put_rule(Name="r", ScheduleExpression="rate(2 minutes)")  # a new expression restarts the schedule
    assert events.next_due() == clock.now() + 120
    assert [f.at for f in events.due(clock.now() + 240)] == [clock.now() + 120, clock.now() + 240]


def test_enable_and_disable_rule(eb: Any, events: EventBridgeBackend, clock: VirtualClock) -> None:
    start = clock.now()
    target = {"Id": "t", "Arn": "arn:aws:lambda:eu-west-1:1:function:f", "Input": "{}"}
    eb.put_rule(Name="r", ScheduleExpression="rate(1 minute)")
    eb.put_targets(Rule="r", Targets=[target])
    eb.disable_rule(Name="r")
    assert eb.describe_rule(Name="r")["State"] == "DISABLED"
    clock.advance(300)
    assert events.next_due() is None
    eb.enable_rule(Name="r")
    assert eb.describe_rule(Name="r")["State"] == "ENABLED"
    # API_DisableRule: a disabled rule "is not triggered"; its periods deliver nothing, even when asked late.
    assert events.due() == []
    clock.advance(60)
    assert [f.at for f in events.due()] == [start + 360]
    clock.advance(120)
    eb.disable_rule(Name="r")
    assert [f.at for f in events.due()] == [start + 420, start + 480], "what fell due before the disable is kept"
    # The same for a target added late: the periods without one deliver nothing.
    eb.put_rule(Name="late", ScheduleExpression="rate(1 minute)")
    clock.advance(300)
    eb.put_targets(Rule="late", Targets=[target])
    assert events.due() == []
    raises_code("ResourceNotFoundException", eb.enable_rule, Name="nope")
    raises_code("ResourceNotFoundException", eb.disable_rule, Name="nope")


# -- transports ----------------------------------------------------------------------


@pytest.fixture
def server(ws: WorkSpacesBackend, events: EventBridgeBackend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with serve([ws, events]) as running:
        for key, value in running.environ().items():
            monkeypatch.setenv(key, value)
        yield running
    assert running.failures == []


def test_http_server_serves_an_unmodified_boto3_through_endpoint_env_vars(
    server: Any, ws: WorkSpacesBackend, events: EventBridgeBackend, no_backoff: list[float]
) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.environ() == {
        "AWS_ENDPOINT_URL_WORKSPACES": server.url,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": server.url,
    }
    workspaces = boto3.client("workspaces", config=RETRIES)
    assert workspaces.meta.endpoint_url == server.url
    source = ws.add_image("golden")
    ws.inject("CreateUpdatedWorkspaceImage", "ThrottlingException", times=2)
    image = create(workspaces, source)
    assert state_of(workspaces, image)["State"] == "PENDING"
    assert len(no_backoff) == 2
    raises_code("InvalidParameterValuesException", create, workspaces, source, name="bad name")
    raises_code("ResourceAlreadyExistsException", create, workspaces, source)
    client = boto3.client("events", config=RETRIES)
    client.put_rule(Name="r", ScheduleExpression="rate(1 minute)")
    assert "r" in events.rules
    raises_code("ResourceNotFoundException", client.describe_rule, Name="other")


def test_http_server_is_safe_under_concurrent_clients(server: Any, clock: VirtualClock) -> None:
    ws = WorkSpacesBackend(clock, image_quota=100)
    server.backends[ws.target_prefix] = ws
    source = ws.add_image("golden")
    made: list[str] = []

    def deploy(n: int) -> None:
        client = boto3.client("workspaces", config=RETRIES)
        made.append(create(client, source, name=f"image-{n}"))

    threads = [threading.Thread(target=deploy, args=(n,)) for n in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 25
    assert len(ws.owned_images()) == 26


def test_http_server_answers_unknown_targets_with_an_error(server: Any) -> None:
    import urllib.request

    request = urllib.request.Request(
        server.url, data=b"{}", method="POST", headers={"X-Amz-Target": "Nobody.Operation"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400
    assert b"UnknownOperationException" in caught.value.read()


def test_in_process_attach_can_be_detached(ws: WorkSpacesBackend) -> None:
    client = boto3.client("workspaces", config=RETRIES, endpoint_url="http://127.0.0.1:9")
    detach = attach(client, ws)
    assert client.describe_workspace_images()["Images"] == []
    detach()
    with pytest.raises(ValueError, match="no backend"):
        attach(client, EventBridgeBackend())


def test_virtual_clock_only_moves_forward() -> None:
    clock = VirtualClock(100)
    assert clock() == clock.now() == 100
    assert clock.advance(5) == 105
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="forward"):
        clock.set(50)
