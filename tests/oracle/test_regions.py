"""WorkSpaces in several Regions behind one endpoint, and CopyWorkspaceImage between them.

A request reaches the backend of the Region its SigV4 signature is for (the credential scope,
https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html); CopyWorkspaceImage is called in the
destination Region and reads its source in SourceRegion
(https://docs.aws.amazon.com/workspaces/latest/api/API_CopyWorkspaceImage.html,
https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html). Every client here is an
unmodified boto3.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_emulator import Plan, WorkSpacesBackend, attach
from aws_emulator.transport import region_of
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud

OTHER = "eu-central-1"
STRANGER = "444455556666"
# One attempt: retries' "max_attempts" counts retries after the first (botocore adds one), total_max_attempts all.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Golden-ProviderRole-ABC"


def client(cloud: LocalCloud, region: str, access_key_id: str = "AKIDEXAMPLE", **extra: Any) -> Any:
    make: Any = boto3.client  # typed per literal service name
    return make(
        "workspaces",
        endpoint_url=cloud.server.url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key="secret",
        config=NO_RETRIES.merge(extra.pop("config", Config())),
        **extra,
    )


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    made = LocalCloud(enforce_iam=False, seed=11, default_plan=Plan.available(after_seconds=600))
    yield made
    made.close()
    assert made.server.failures == []


def code_of(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def refusal(call: Any, **params: Any) -> dict[str, str]:
    """The Code and Message of the error a call answers."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return {"Code": str(error.get("Code")), "Message": str(error.get("Message"))}


def copy_request(source_id: str, source_region: str = REGION, **extra: Any) -> dict[str, Any]:
    return {"Name": "golden-copy", "SourceImageId": source_id, "SourceRegion": source_region, **extra}


# ---------------------------------------------------------------- routing


def test_the_region_of_a_signature() -> None:
    header = (
        "AWS4-HMAC-SHA256 Credential=AKID/20261127/eu-central-1/workspaces/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )
    assert region_of(header) == "eu-central-1"
    assert region_of(None) == ""
    assert region_of("") == ""


def test_each_region_s_client_reaches_its_own_backend(cloud: LocalCloud) -> None:
    home = cloud.workspaces.add_image("home-image")
    other = cloud.workspaces_in(OTHER).add_image("other-image")
    seen = {
        region: [i["ImageId"] for i in client(cloud, region).describe_workspace_images()["Images"]]
        for region in (REGION, OTHER)
    }
    assert seen == {REGION: [home], OTHER: [other]}
    assert len(cloud.workspaces.calls_to("DescribeWorkspaceImages")) == 1
    assert len(cloud.workspaces_in(OTHER).calls_to("DescribeWorkspaceImages")) == 1
    assert home != other, "each Region draws its own ids from the seed"


def test_a_region_nobody_named_is_made_when_a_client_names_it(cloud: LocalCloud) -> None:
    assert "ap-southeast-2" not in cloud.workspaces_regions.all()
    assert client(cloud, "ap-southeast-2").describe_workspace_images()["Images"] == []
    made = cloud.workspaces_regions.all()["ap-southeast-2"]
    assert made.calls_to("DescribeWorkspaceImages")
    assert cloud.workspaces.calls_to("DescribeWorkspaceImages") == []


def test_an_unsigned_request_goes_to_the_home_region(cloud: LocalCloud) -> None:
    cloud.workspaces.add_image("home-image")
    unsigned = client(cloud, OTHER, config=Config(signature_version=UNSIGNED))
    assert len(unsigned.describe_workspace_images()["Images"]) == 1
    assert OTHER not in cloud.workspaces_regions.all()


def test_every_region_has_the_home_options_clock_and_access() -> None:
    cloud = LocalCloud(image_quota=1, unique_names=False, default_plan=Plan.never())
    try:
        other = cloud.workspaces_in(OTHER)
        assert cloud.workspaces_in(OTHER) is other, "made once"
        assert cloud.workspaces_in(REGION) is cloud.workspaces
        assert (other.region, other.account_id, other.clock, other.access) == (
            OTHER,
            ACCOUNT,
            cloud.clock,
            cloud.access,
        )
        assert (other.image_quota, other.unique_names, other.default_plan) == (1, False, Plan.never())
        assert other.lock is cloud.workspaces.lock, "one lock, so a copy reads its source consistently"
        assert cloud.backends["workspaces"] is cloud.workspaces, "the other services stay single-Region"
    finally:
        cloud.close()


def test_the_in_process_hook_routes_by_region_too(cloud: LocalCloud) -> None:
    other = cloud.workspaces_in(OTHER).add_image("other-image")
    hooked = boto3.client(
        "workspaces",
        region_name=OTHER,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="x",
        config=NO_RETRIES,
    )
    attach(hooked, cloud.workspaces)
    assert [i["ImageId"] for i in hooked.describe_workspace_images()["Images"]] == [other]


def test_a_backend_used_alone_answers_every_region() -> None:
    alone = WorkSpacesBackend(region=REGION, seed=2)
    image = alone.add_image("only")
    hooked = boto3.client(
        "workspaces",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="x",
        config=NO_RETRIES,
    )
    attach(hooked, alone)
    assert [i["ImageId"] for i in hooked.describe_workspace_images()["Images"]] == [image]
    # Alone, it knows no other Region to copy from.
    assert code_of(hooked.copy_workspace_image, **copy_request(image, "us-east-1")) == "ResourceNotFoundException"


def test_faults_and_plans_stay_in_their_region(cloud: LocalCloud) -> None:
    other = cloud.workspaces_in(OTHER)
    other.inject("DescribeWorkspaceImages", "ThrottlingException", times=2)
    home_client, other_client = client(cloud, REGION), client(cloud, OTHER)
    assert home_client.describe_workspace_images()["Images"] == []
    assert code_of(other_client.describe_workspace_images) == "ThrottlingException"
    assert (cloud.workspaces.pending_faults(), other.pending_faults()) == (0, 1)
    # A plan queued in one Region is taken by that Region's next image only.
    source = cloud.workspaces.add_image("golden", update_available=True)
    other.plan_next_images(Plan.error(after_seconds=60))
    made = home_client.create_updated_workspace_image(Name="updated", Description="d", SourceImageId=source)
    cloud.clock.advance(600)
    assert cloud.workspaces.image(made["ImageId"]).state == "AVAILABLE"
    copied = other_client.copy_workspace_image(**copy_request(source))["ImageId"]
    cloud.clock.advance(60)
    assert other.image(copied).state == "ERROR"


# ---------------------------------------------------------------- CopyWorkspaceImage


def test_a_copy_becomes_available_in_its_region_on_the_virtual_clock(cloud: LocalCloud) -> None:
    source = cloud.workspaces.add_image(
        "golden", description="Golden image", tags={"team": "euc"}, required_tenancy="DEDICATED"
    )
    other = client(cloud, OTHER)
    copied = other.copy_workspace_image(
        **copy_request(source, Description="Golden copy", Tags=[{"Key": "copy", "Value": "yes"}])
    )["ImageId"]
    assert copied not in cloud.workspaces.images, "made in the Region it was called in"
    (image,) = other.describe_workspace_images(ImageIds=[copied])["Images"]
    assert {k: image[k] for k in ("Name", "Description", "State", "RequiredTenancy", "OwnerAccountId")} == {
        "Name": "golden-copy",
        "Description": "Golden copy",
        "State": "PENDING",
        "RequiredTenancy": "DEDICATED",
        "OwnerAccountId": ACCOUNT,
    }
    assert image["Updates"] == {"UpdateAvailable": False}
    assert other.describe_tags(ResourceId=copied)["TagList"] == [{"Key": "copy", "Value": "yes"}]
    assert other.describe_workspace_images(ImageType="OWNED")["Images"][0]["ImageId"] == copied
    cloud.clock.advance(599)
    assert other.describe_workspace_images(ImageIds=[copied])["Images"][0]["State"] == "PENDING"
    cloud.clock.advance(1)
    assert other.describe_workspace_images(ImageIds=[copied])["Images"][0]["State"] == "AVAILABLE"
    made = cloud.workspaces_in(OTHER).images[copied]
    assert (made.source_image_id, made.source_region) == (source, REGION)
    assert cloud.workspaces.images[source].tags == {"team": "euc"}, "the source is not changed"
    assert len(cloud.workspaces_in(OTHER).calls_to("CopyWorkspaceImage")) == 1
    assert cloud.workspaces.calls_to("CopyWorkspaceImage") == []


def test_a_copy_keeps_the_source_description_when_the_request_has_none(cloud: LocalCloud) -> None:
    source = cloud.workspaces.add_image("golden", description="Golden image")
    copied = client(cloud, OTHER).copy_workspace_image(**copy_request(source))["ImageId"]
    assert cloud.workspaces_in(OTHER).images[copied].description == "Golden image"
    assert cloud.workspaces_in(OTHER).images[copied].tags == {}


def test_an_image_shared_with_the_account_can_be_copied(cloud: LocalCloud) -> None:
    shared = cloud.workspaces.add_image("theirs", owner_account_id=STRANGER)
    copied = client(cloud, OTHER).copy_workspace_image(**copy_request(shared))["ImageId"]
    assert cloud.workspaces_in(OTHER).images[copied].owner_account_id == ACCOUNT


def test_a_copy_within_one_region(cloud: LocalCloud) -> None:
    source = cloud.workspaces.add_image("golden")
    copied = client(cloud, REGION).copy_workspace_image(**copy_request(source, Name="golden-again"))["ImageId"]
    assert cloud.workspaces.images[copied].state == "PENDING"


def test_a_source_that_is_not_there_is_not_found(cloud: LocalCloud) -> None:
    other = client(cloud, OTHER)
    elsewhere = cloud.workspaces_in(OTHER).add_image("in-the-destination")
    for request in (
        copy_request("wsi-000000000"),
        copy_request(elsewhere),  # in the destination Region, not the source one
        copy_request(elsewhere, "eu-north-1"),  # a Region nobody named holds nothing
    ):
        error = refusal(other.copy_workspace_image, **request)
        assert error["Code"] == "ResourceNotFoundException", request
    assert "eu-north-1" not in cloud.workspaces_regions.all(), "reading a Region does not make it"


@pytest.mark.parametrize("state", ["PENDING", "ERROR"])
def test_a_source_that_is_not_available_is_refused(cloud: LocalCloud, state: Any) -> None:
    source = cloud.workspaces.add_image("golden", state=state, plan=Plan.never())
    error = refusal(client(cloud, OTHER).copy_workspace_image, **copy_request(source))
    assert error["Code"] == "ResourceUnavailableException"
    assert state in error["Message"]
    assert cloud.workspaces_in(OTHER).owned_images() == []


@pytest.mark.parametrize(
    ("source_region", "region", "words"),
    [
        (REGION, "cn-north-1", "never copied from one partition to another"),
        ("cn-north-1", REGION, "never copied from one partition to another"),
        ("us-east-1", "us-gov-west-1", "never copied from one partition to another"),
        ("cn-north-1", "cn-northwest-1", "China (Ningxia) Region (cn-northwest-1) images can be copied only within"),
        ("cn-northwest-1", "cn-north-1", "China (Ningxia) Region (cn-northwest-1) images can be copied only within"),
        ("us-gov-west-1", "us-gov-east-1", "only through AWS Support"),
        ("us-gov-east-1", "us-gov-west-1", "only through AWS Support"),
    ],
)
def test_routes_workspaces_does_not_copy(cloud: LocalCloud, source_region: str, region: str, words: str) -> None:
    source = cloud.workspaces_in(source_region).add_image("golden")
    error = refusal(client(cloud, region).copy_workspace_image, **copy_request(source, source_region))
    assert error["Code"] == "OperationNotSupportedException"
    assert words in error["Message"]


@pytest.mark.parametrize(
    ("source_region", "region"),
    [("cn-northwest-1", "cn-northwest-1"), ("cn-north-1", "cn-north-1"), ("us-gov-west-1", "us-gov-west-1")],
)
def test_copies_within_a_region_of_china_or_govcloud(cloud: LocalCloud, source_region: str, region: str) -> None:
    source = cloud.workspaces_in(source_region).add_image("golden")
    client(cloud, region).copy_workspace_image(**copy_request(source, source_region, Name="golden-2"))


def test_a_govcloud_route_aws_support_enabled() -> None:
    cloud = LocalCloud(enforce_iam=False, govcloud_copy_routes=[("us-gov-west-1", "us-gov-east-1")])
    try:
        source = cloud.workspaces_in("us-gov-west-1").add_image("golden")
        client(cloud, "us-gov-east-1").copy_workspace_image(**copy_request(source, "us-gov-west-1"))
        back = cloud.workspaces_in("us-gov-east-1").add_image("back")
        error = refusal(client(cloud, "us-gov-west-1").copy_workspace_image, **copy_request(back, "us-gov-east-1"))
        assert error["Code"] == "OperationNotSupportedException", "only the route Support enabled"
    finally:
        cloud.close()


def test_a_source_region_that_names_no_region_is_invalid(cloud: LocalCloud) -> None:
    error = refusal(client(cloud, OTHER).copy_workspace_image, **copy_request("wsi-000000000", "mars"))
    assert error["Code"] == "InvalidParameterValuesException"


def test_the_name_must_be_free_in_the_destination(cloud: LocalCloud) -> None:
    source = cloud.workspaces.add_image("golden")
    other = client(cloud, OTHER)
    other.copy_workspace_image(**copy_request(source, Name="golden"))  # the source's name, in another Region
    error = refusal(other.copy_workspace_image, **copy_request(source, Name="golden"))
    assert error["Code"] == "ResourceAlreadyExistsException"
    cloud.workspaces_in(OTHER).unique_names = False
    other.copy_workspace_image(**copy_request(source, Name="golden"))


def test_the_destination_image_quota() -> None:
    cloud = LocalCloud(enforce_iam=False, image_quota=1)
    try:
        source = cloud.workspaces.add_image("golden")
        other = client(cloud, OTHER)
        other.copy_workspace_image(**copy_request(source, Name="first"))
        error = refusal(other.copy_workspace_image, **copy_request(source, Name="second"))
        assert error["Code"] == "ResourceLimitExceededException"
        assert len(cloud.workspaces_in(OTHER).owned_images()) == 1
    finally:
        cloud.close()


def test_the_copy_answer_is_checked_against_the_model(cloud: LocalCloud) -> None:
    source = cloud.workspaces.add_image("golden")
    answer = cloud.workspaces_in(OTHER).handle("CopyWorkspaceImage", copy_request(source))
    assert set(answer) == {"ImageId"}
    assert cloud.workspaces_in(OTHER).check_responses


# ---------------------------------------------------------------- IAM, through the endpoint


def test_a_copy_needs_both_images_and_describe_images() -> None:
    cloud = LocalCloud(seed=4)
    policies: list[dict[str, Any]] = []
    try:
        key = cloud.access.assume_role(ROLE, "Golden-Handler-XYZ", lambda: policies).access_key_id
        source = cloud.workspaces.add_image("golden")
        source_arn = f"arn:aws:workspaces:{REGION}:{ACCOUNT}:workspaceimage/{source}"
        copies = f"arn:aws:workspaces:{OTHER}:{ACCOUNT}:workspaceimage/*"
        other = client(cloud, OTHER, access_key_id=key)

        def allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
            return {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]}

        policies[:] = [allow(["workspaces:CopyWorkspaceImage", "workspaces:DescribeWorkspaceImages"], [copies])]
        error = refusal(other.copy_workspace_image, **copy_request(source))
        assert error["Code"] == "AccessDeniedException"
        assert f"workspaces:CopyWorkspaceImage on resource: {source_arn} because" in error["Message"]
        policies[:] = [allow(["workspaces:CopyWorkspaceImage"], [copies, source_arn])]
        error = refusal(other.copy_workspace_image, **copy_request(source))
        assert "perform: workspaces:DescribeWorkspaceImages because" in error["Message"], "no resource: on *"
        assert cloud.workspaces_in(OTHER).owned_images() == [], "a denied copy makes nothing"
        policies.append(allow(["workspaces:DescribeWorkspaceImages"], ["*"]))
        copied = other.copy_workspace_image(**copy_request(source))["ImageId"]
        assert cloud.workspaces_in(OTHER).calls_to("CopyWorkspaceImage")[-1].caller == key
        assert copied in cloud.workspaces_in(OTHER).images
    finally:
        cloud.close()
