"""The status command's decisions (cdk_workspaces_image._status_decide): from what was read to each row's phase, its
deadline and what comes next, and the exit code; pure, so every state is a row of data here."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.status import template

from cdk_workspaces_image import _status_decide as decide
from cdk_workspaces_image._status_decide import CfnSeen, Item, Phase, Snapshot, StackSeen, WorkSpacesSeen
from cdk_workspaces_image_handler import contract, rules

T0 = 1_704_067_200.0
HOUR = 3600.0
STACK = StackSeen(
    "StatusStack",
    "arn:aws:cloudformation:eu-west-1:111122223333:stack/StatusStack/x",
    "CREATE_IN_PROGRESS",
    "eu-west-1",
)
DECLARED = {d.logical_id: d for d in decide.declared(template())}


def item(
    lid: str, resource: CfnSeen | None = None, wait: CfnSeen | None = None, seen: WorkSpacesSeen | None = None
) -> Item:
    d = DECLARED[lid]
    return Item(declared=d, region=d.region or STACK.region, resource=resource, wait=wait, seen=seen)


def pending(image_id: str = "wsi-abcdefghi", **fields: object) -> WorkSpacesSeen:
    return WorkSpacesSeen(image_id, "PENDING", "physical id", created=T0, **fields)  # type: ignore[arg-type]


def test_the_template_names_each_resource_its_wait_its_region_and_what_follows() -> None:
    golden, copy, bundle, built = (DECLARED[k] for k in ("Golden", "GoldenCopy", "Standard", "Built"))
    assert (golden.kind, golden.name, golden.wait_condition, golden.timeout_seconds) == (
        "image",
        "golden-1",
        "GoldenAvailable",
        10800,
    )
    # A reference to the image or its wait condition (Ref, Fn::GetAtt, Fn::Sub) makes a consumer; its own wait doesn't.
    assert golden.then == ("GoldenCopy", "Parameter", "Standard")
    assert (copy.kind, copy.region, copy.after) == ("copy", "eu-central-1", ("Golden",))
    assert (bundle.kind, bundle.name, bundle.after, bundle.wait_condition) == (
        "bundle",
        "golden-standard",
        ("Golden",),
        None,
    )
    assert (built.type, built.name) == (contract.IMAGE_BUILDER_TYPE, "golden-built")
    assert set(DECLARED) == {"Golden", "GoldenCopy", "Standard", "Built"}, "only the library's types are rows"


def test_what_comes_before_and_after_is_named_by_construct_path_where_the_template_has_it() -> None:
    t = template()
    paths = {"Golden": "S/Golden/Resource/Default", "GoldenCopy": "S/Golden/CopyToEuCentral1/Resource/Default"}
    paths |= {"Parameter": "S/ImageIdParameter/Resource", "Standard": "S/Standard/Resource/Default"}
    for lid, path in paths.items():
        t["Resources"][lid]["Metadata"] = {"aws:cdk:path": path}
    by_id = {d.logical_id: d for d in decide.declared(t)}
    assert by_id["Golden"].then == ("Golden/CopyToEuCentral1", "ImageIdParameter", "Standard")
    assert by_id["GoldenCopy"].after == ("Golden",)
    assert by_id["GoldenCopy"].path == "Golden/CopyToEuCentral1"


def test_a_name_or_timeout_from_a_parameter_is_unknown_not_guessed() -> None:
    t = template()
    t["Resources"]["Golden"]["Properties"].update(Name={"Ref": "ImageName"}, TimeoutSeconds={"Ref": "Timeout"})
    (golden,) = (d for d in decide.declared(t) if d.logical_id == "Golden")
    assert (golden.name, golden.timeout_seconds) == (None, None)
    shown = decide.row(
        Item(
            golden,
            "eu-west-1",
            CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi", updated=T0),
            CfnSeen("CREATE_IN_PROGRESS", updated=T0),
            pending(),
        )
    )
    assert (shown.phase, shown.deadline) == (Phase.WAITING, None)
    assert shown.deadline_from == "TimeoutSeconds is not a number in the template"


def test_an_image_waiting_for_available_counts_from_its_created_to_its_timeout() -> None:
    shown = decide.row(
        item(
            "Golden",
            CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi", updated=T0 - 5),
            CfnSeen("CREATE_IN_PROGRESS", updated=T0 + 1),
            pending(),
        )
    )
    assert shown.phase is Phase.WAITING
    assert (shown.began, shown.deadline) == (T0, T0 + rules.handler_wait_seconds(10800))
    assert shown.began_from == "the image's Created in DescribeWorkspaceImages"
    assert shown.state == "CloudFormation CREATE_COMPLETE, wait CREATE_IN_PROGRESS, WorkSpaces PENDING"
    assert shown.next == (
        "waits until AVAILABLE, fails at 2024-01-01 03:00:00 UTC; "
        "then CloudFormation creates GoldenCopy, Parameter, Standard"
    )
    assert decide.elapsed(shown, T0 + HOUR) == HOUR


def test_without_its_created_the_wait_counts_from_when_cloudformation_began_the_wait_condition() -> None:
    seen = replace(pending(), created=None)
    shown = decide.row(
        item("Golden", CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi"), CfnSeen("CREATE_IN_PROGRESS", updated=T0 + 9), seen)
    )
    assert (shown.began, shown.began_from) == (
        T0 + 9,
        "when CloudFormation began GoldenAvailable, in ListStackResources",
    )


def test_an_image_found_by_its_tag_while_cloudformation_makes_it() -> None:
    seen = WorkSpacesSeen("wsi-abcdefghi", "PENDING", "name and ownership tag", created=T0)
    shown = decide.row(item("Golden", CfnSeen("CREATE_IN_PROGRESS", updated=T0), None, seen))
    assert (shown.phase, shown.resource_id, shown.found_by) == (
        Phase.WAITING,
        "wsi-abcdefghi",
        "name and ownership tag",
    )
    assert shown.next.startswith(
        "waits for the provider's answer, then until AVAILABLE, fails at 2024-01-01 03:00:00 UTC"
    )


def test_an_import_shows_its_progress() -> None:
    seen = pending(import_state="IMAGE_TESTING_START", progress_percentage=45, state_message="Testing the image")
    shown = decide.row(item("Built", CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi"), CfnSeen("CREATE_IN_PROGRESS"), seen))
    assert (shown.progress_percentage, shown.progress) == (45, "import IMAGE_TESTING_START 45%: Testing the image")
    assert shown.next.startswith("waits until AVAILABLE")


def test_available_before_the_signal_says_the_provider_signals_next() -> None:
    seen = replace(pending(), state="AVAILABLE")
    shown = decide.row(item("Golden", CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi"), CfnSeen("CREATE_IN_PROGRESS"), seen))
    assert shown.phase is Phase.WAITING
    assert shown.next.startswith("AVAILABLE: the provider signals GoldenAvailable at its next look")


@pytest.mark.parametrize(
    ("resource", "wait", "seen", "words"),
    [
        (
            CfnSeen("CREATE_FAILED", reason="image_name (Name) 'x' is taken"),
            None,
            None,
            "failed: image_name (Name) 'x' is taken",
        ),
        (
            CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi"),
            CfnSeen(
                "CREATE_FAILED", reason="WaitCondition received failed message: 'image wsi-abcdefghi went to ERROR'"
            ),
            None,
            "failed: WaitCondition received failed message: 'image wsi-abcdefghi went to ERROR'",
        ),
        (
            CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi"),
            CfnSeen("CREATE_IN_PROGRESS"),
            WorkSpacesSeen("wsi-abcdefghi", "ERROR", "physical id", error="UpdateFailed: disk full"),
            "failed: image wsi-abcdefghi went to ERROR - UpdateFailed: disk full; the provider fails the wait",
        ),
    ],
)
def test_failures_say_cloudformations_reason_or_the_services_error(
    resource: CfnSeen, wait: CfnSeen | None, seen: WorkSpacesSeen | None, words: str
) -> None:
    shown = decide.row(item("Golden", resource, wait, seen))
    assert (shown.phase, shown.next) == (Phase.FAILED, words)
    assert (shown.began, shown.deadline) == (None, None), "a failed row no longer waits"


def test_a_bundle_not_started_waits_on_its_image() -> None:
    shown = decide.row(item("Standard"))
    assert (shown.phase, shown.state) == (Phase.WAITING, "CloudFormation not started")
    assert shown.next == "not started: CloudFormation starts it once Golden is done"


def test_a_bundle_being_made_waits_within_its_service_timeout() -> None:
    seen = WorkSpacesSeen("wsb-abcdefgh", "PENDING", "name and ownership tag")
    shown = decide.row(item("Standard", CfnSeen("CREATE_IN_PROGRESS", updated=T0), None, seen))
    assert (shown.began, shown.deadline) == (T0, T0 + contract.SERVICE_TIMEOUT_SECONDS)
    assert shown.deadline_from.endswith("+ ServiceTimeout 3600")
    assert (
        shown.next
        == "waits until the bundle is AVAILABLE, fails at 2024-01-01 01:00:00 UTC; then CloudFormation goes on"
    )


@pytest.mark.parametrize(
    ("status", "phase", "words"),
    [("DELETE_IN_PROGRESS", Phase.WAITING, "being deleted"), ("DELETE_COMPLETE", Phase.DONE, "deleted")],
)
def test_deletes(status: str, phase: Phase, words: str) -> None:
    shown = decide.row(item("Standard", CfnSeen(status, "wsb-abcdefgh")))
    assert (shown.phase, shown.next) == (phase, words)


def test_done_when_cloudformation_and_the_wait_are_complete() -> None:
    seen = replace(pending(), state="AVAILABLE")
    shown = decide.row(item("Golden", CfnSeen("CREATE_COMPLETE", "wsi-abcdefghi"), CfnSeen("CREATE_COMPLETE"), seen))
    assert (shown.phase, shown.next, shown.began) == (Phase.DONE, "done", None)


def snapshot(status: str, *items: Item) -> Snapshot:
    return Snapshot(replace(STACK, status=status), items, T0, "test")


DONE = item("Standard", CfnSeen("CREATE_COMPLETE", "wsb-abcdefgh"))
WAITING = item("Standard")
FAILED = item("Standard", CfnSeen("CREATE_FAILED", reason="no"))


@pytest.mark.parametrize(
    ("status", "items", "code"),
    [
        ("CREATE_COMPLETE", (DONE,), 0),
        ("UPDATE_COMPLETE", (), 0),
        ("CREATE_IN_PROGRESS", (DONE,), 2),  # the stack still works on something else
        ("CREATE_IN_PROGRESS", (WAITING, DONE), 2),
        ("CREATE_IN_PROGRESS", (WAITING, FAILED), 1),
        ("ROLLBACK_IN_PROGRESS", (DONE,), 1),
        ("UPDATE_ROLLBACK_COMPLETE", (DONE,), 1),
        ("DELETE_FAILED", (), 1),
    ],
)
def test_exit_codes(status: str, items: tuple[Item, ...], code: int) -> None:
    shot = snapshot(status, *items)
    assert decide.exit_code(shot, decide.rows(shot)) == code


@pytest.mark.parametrize(("seconds", "words"), [(5, "5s"), (65, "1m05s"), (3600 + 120, "1h02m"), (-3, "0s")])
def test_durations(seconds: float, words: str) -> None:
    assert decide.duration(seconds) == words
