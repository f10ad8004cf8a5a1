"""Which requests CloudFormation stands behind, and where answers may go (trust.py): pure decisions, no mocks.

Each row is a request as CloudFormation sends it in one phase of a stack operation, or one a principal that may
invoke the function forged; the second kind must be refused whatever the request says of itself.
"""

from __future__ import annotations

import pytest

from cdk_workspaces_image_handler.trust import (
    Claim,
    ResourceView,
    StackView,
    dns_suffix_of,
    handle_refusal,
    presigned_url_problem,
    refusal,
    region_of,
)

STACK = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Golden/8e6f0a10-0000-4000-8000-000000000000"
CN_STACK = "arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/Golden/8e6f0a10-0000-4000-8000-000000000000"
IMAGE = "Custom::UpdatedWorkspaceImage"
OLD, NEW, FORGED, KEPT = "wsi-old000001", "wsi-new000001", "wsi-theirs001", "wsi-kept00001"


def claim(kind: str, physical: str | None = None, resource_type: str = IMAGE) -> Claim:
    return Claim(kind, "GoldenResource", resource_type, physical)


def held(status: str, physical: str = "", resource_type: str = IMAGE) -> ResourceView:
    return ResourceView("GoldenResource", resource_type, status, physical)


# ---------------------------------------------------------------- what CloudFormation sends: accepted


# What the record says of the replacement in these rows: NEW was made by an Update to replace OLD.
PAIRS = frozenset({(NEW, OLD)})


@pytest.mark.parametrize(
    ("kind", "physical", "stack", "resource", "pairs"),
    [
        pytest.param("Create", None, "CREATE_IN_PROGRESS", held("CREATE_IN_PROGRESS"), (), id="stack create"),
        pytest.param("Create", None, "UPDATE_IN_PROGRESS", held("CREATE_IN_PROGRESS"), (), id="added by an update"),
        pytest.param("Update", OLD, "UPDATE_IN_PROGRESS", held("UPDATE_IN_PROGRESS", OLD), (), id="update"),
        pytest.param(
            "Update", OLD, "UPDATE_ROLLBACK_IN_PROGRESS", held("UPDATE_IN_PROGRESS", OLD), (), id="rollback update"
        ),
        pytest.param(
            "Update",
            NEW,
            "UPDATE_ROLLBACK_IN_PROGRESS",
            held("UPDATE_IN_PROGRESS", NEW),
            PAIRS,
            id="rollback update of a replacement, CloudFormation reporting the new id",
        ),
        pytest.param(
            "Update",
            NEW,
            "UPDATE_ROLLBACK_IN_PROGRESS",
            held("UPDATE_IN_PROGRESS", OLD),
            PAIRS,
            id="rollback update of a replacement, CloudFormation reporting the previous id",
        ),
        pytest.param(
            "Delete",
            OLD,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            held("UPDATE_COMPLETE", NEW),
            PAIRS,
            id="cleanup of the replaced resource",
        ),
        pytest.param(
            "Delete",
            NEW,
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
            held("UPDATE_COMPLETE", OLD),
            PAIRS,
            id="rollback cleanup of the replacement",
        ),
        pytest.param("Delete", OLD, "DELETE_IN_PROGRESS", held("DELETE_IN_PROGRESS", OLD), (), id="stack delete"),
        pytest.param(
            "Delete",
            "not-created:GoldenResource",
            "ROLLBACK_IN_PROGRESS",
            held("DELETE_IN_PROGRESS", "not-created:GoldenResource"),
            (),
            id="delete after a failed create",
        ),
        pytest.param(
            "Delete",
            OLD,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            held("DELETE_IN_PROGRESS", OLD),
            (),
            id="dropped from the template",
        ),
    ],
)
def test_every_request_cloudformation_sends_is_confirmed(
    kind: str, physical: str | None, stack: str, resource: ResourceView, pairs: frozenset[tuple[str, str]]
) -> None:
    assert refusal(claim(kind, physical), StackView(stack), resource, pairs) is None


# ---------------------------------------------------------------- forged, or too late: refused


@pytest.mark.parametrize(
    ("kind", "physical", "stack", "resource", "pairs", "words"),
    [
        pytest.param(
            "Update", OLD, "UPDATE_COMPLETE", held("UPDATE_COMPLETE", OLD), (), "UPDATE_COMPLETE", id="no operation"
        ),
        pytest.param(
            "Delete", OLD, "CREATE_COMPLETE", held("CREATE_COMPLETE", OLD), (), "sends no Delete", id="live image"
        ),
        pytest.param(
            "Create",
            None,
            "UPDATE_IN_PROGRESS",
            None,
            (),
            "knows no resource Golden",
            id="a logical id not in the stack",
        ),
        pytest.param(
            "Create",
            None,
            "UPDATE_IN_PROGRESS",
            held("UPDATE_COMPLETE", OLD, "Custom::WorkspaceBundleImage"),
            (),
            "not Custom::UpdatedWorkspaceImage",
            id="another type under a logical id",
        ),
        pytest.param(
            "Update",
            OLD,
            "UPDATE_IN_PROGRESS",
            held("UPDATE_COMPLETE", OLD),
            (),
            "not UPDATE_IN_PROGRESS",
            id="an update of a resource CloudFormation already updated (a new WaitHandle)",
        ),
        pytest.param(
            "Delete",
            OLD,
            "UPDATE_IN_PROGRESS",
            held("UPDATE_IN_PROGRESS", OLD),
            (),
            "sends no Delete",
            id="a delete during an update",
        ),
        pytest.param(
            "Delete",
            FORGED,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            held("UPDATE_COMPLETE", NEW),
            PAIRS,
            "nothing was deleted",
            id="a cleanup delete of an id the provider never made",
        ),
        pytest.param(
            "Delete",
            KEPT,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            held("UPDATE_COMPLETE", NEW),
            PAIRS | {(OLD, KEPT)},
            "nothing was deleted",
            id="a cleanup delete of an earlier image the record holds, which this update did not replace",
        ),
        pytest.param(
            "Update",
            FORGED,
            "UPDATE_ROLLBACK_IN_PROGRESS",
            held("UPDATE_IN_PROGRESS", OLD),
            PAIRS,
            "nothing was changed",
            id="a rollback update naming an id the provider never made",
        ),
        pytest.param(
            "Create",
            None,
            "ROLLBACK_IN_PROGRESS",
            held("CREATE_FAILED"),
            (),
            "sends no Create",
            id="a Lambda retry after CloudFormation gave up",
        ),
        pytest.param(
            "Create",
            None,
            "CREATE_IN_PROGRESS",
            held("CREATE_FAILED"),
            (),
            "not CREATE_IN_PROGRESS",
            id="a Lambda retry after the resource failed, the stack still creating others",
        ),
        pytest.param(
            "Delete",
            OLD,
            "DELETE_COMPLETE",
            held("DELETE_COMPLETE", OLD),
            (),
            "DELETE_COMPLETE",
            id="deleted stack",
        ),
    ],
)
def test_a_request_cloudformation_does_not_stand_behind_is_refused(
    kind: str,
    physical: str | None,
    stack: str,
    resource: ResourceView | None,
    pairs: frozenset[tuple[str, str]],
    words: str,
) -> None:
    reason = refusal(claim(kind, physical), StackView(stack), resource, pairs)
    assert reason is not None
    assert words in reason


def test_a_refusal_names_no_stack_id_nor_anything_the_request_could_learn_from() -> None:
    reason = refusal(claim("Delete", OLD), StackView("CREATE_COMPLETE"), held("CREATE_COMPLETE", OLD), ())
    assert reason is not None
    assert STACK not in reason
    assert "8e6f0a10" not in reason


def test_an_unknown_request_type_is_refused() -> None:
    assert refusal(claim("Poke"), StackView("UPDATE_IN_PROGRESS"), held("UPDATE_IN_PROGRESS"), ()) is not None


def test_a_wait_handle_must_be_one_of_the_stacks_handles() -> None:
    ours = "https://cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com/x?sig=1"
    assert handle_refusal(ours, {ours}) is None
    reason = handle_refusal("https://cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com/y", {ours})
    assert reason is not None
    assert "WaitConditionHandle of this stack" in reason


# ---------------------------------------------------------------- where answers go


RESPONSE_BUCKET = "cloudformation-custom-resource-response-euwest1"
SIGNAL_BUCKET = "cloudformation-waitcondition-eu-west-1"


@pytest.mark.parametrize(
    "url",
    [
        f"https://{RESPONSE_BUCKET}.s3.eu-west-1.amazonaws.com/arn%3Aaws%3A%7CGolden%7Creq?X-Amz-Signature=abc",
        f"https://{RESPONSE_BUCKET}.s3-eu-west-1.amazonaws.com/arn?Signature=abc",
        f"https://{RESPONSE_BUCKET}.s3.amazonaws.com/arn?Signature=abc",
        f"https://{RESPONSE_BUCKET}.s3.dualstack.eu-west-1.amazonaws.com/arn?Signature=abc",
        f"https://s3.eu-west-1.amazonaws.com/{RESPONSE_BUCKET}/arn?Signature=abc",
        f"https://{RESPONSE_BUCKET.upper()}.S3.EU-WEST-1.AMAZONAWS.COM/arn?Signature=abc",
    ],
)
def test_a_response_url_of_cloudformations_bucket_on_any_of_s3s_hosts_is_answered(url: str) -> None:
    assert presigned_url_problem(url, STACK, "response", "amazonaws.com") is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x", "not an https URL"),
        ("ftp://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x", "not an https URL"),
        ("file:///etc/passwd", "not an https URL"),
        ("https://attacker.example/collect", "not a presigned URL of CloudFormation's bucket"),
        ("https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/x", "bucket"),
        (
            "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com.attacker.example/x",
            "bucket",
        ),
        ("https://evil-cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x", "bucket"),
        ("https://s3.eu-west-1.amazonaws.com/attackers-bucket/x", "bucket"),
        ("https://user@cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x", "user or port"),
        ("https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com:8443/x", "user or port"),
        ("https://cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com/x", "bucket"),
        ("https://[::1/x", "not a URL"),
    ],
)
def test_any_other_response_url_is_not_answered(url: str, words: str) -> None:
    problem = presigned_url_problem(url, STACK, "response", "amazonaws.com")
    assert problem is not None
    assert words in problem
    assert "attacker" not in problem  # a URL is a credential: never quoted


def test_a_signal_goes_only_to_the_wait_condition_bucket_of_the_stacks_region() -> None:
    good = f"https://{SIGNAL_BUCKET}.s3.eu-west-1.amazonaws.com/arn?X-Amz-Signature=abc"
    assert presigned_url_problem(good, STACK, "signal", "amazonaws.com") is None
    response = f"https://{RESPONSE_BUCKET}.s3.eu-west-1.amazonaws.com/arn"
    assert presigned_url_problem(response, STACK, "signal", "amazonaws.com") is not None


def test_china_answers_go_to_the_partitions_own_hosts() -> None:
    url = (
        "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/arn%3Aaws-cn"
        "?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1555451971&Signature=28UijZePE5I4dvukKQqM%2F9Rf1o4%3D"
    )
    assert presigned_url_problem(url, CN_STACK, "response", "amazonaws.com.cn") is None
    assert presigned_url_problem(url.replace(".com.cn", ".com"), CN_STACK, "response", "amazonaws.com.cn")


def test_a_host_the_stack_trusts_besides_s3s_is_answered_and_only_over_https() -> None:
    extra = ("cfn-responses.example.internal",)
    assert presigned_url_problem("https://cfn-responses.example.internal/x", STACK, "response", "x", extra) is None
    assert presigned_url_problem("http://cfn-responses.example.internal/x", STACK, "response", "x", extra)


def test_the_dns_suffix_comes_from_botocores_partitions() -> None:
    partitions = [
        {"id": "aws", "outputs": {"dnsSuffix": "amazonaws.com"}},
        {"id": "aws-cn", "outputs": {"dnsSuffix": "amazonaws.com.cn"}},
    ]
    assert dns_suffix_of("aws-cn", partitions) == "amazonaws.com.cn"
    assert dns_suffix_of("aws-unknown", partitions) == "amazonaws.com"
    assert region_of(CN_STACK) == "cn-north-1"
