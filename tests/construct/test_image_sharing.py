"""UpdatedWorkspaceImage's ``share_with_accounts``: the synth side.

The handler grants and removes the permissions; synth judges the list by the contract's rules (with the same words
as the handler), writes ``ShareWithAccounts`` only when there is something to share, so that templates made
before the prop stay byte-identical, and gives the provider the one action sharing needs, on this stack's images
only. A changed list is applied in place: it must not replace the image nor make its wait condition wait again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from support.construct import (
    ACCOUNT,
    NO_BUNDLING,
    PROPS,
    REGION,
    image_stack,
    only,
    owned_by_this_stack,
    refused,
    render,
    sids,
    statement_sid,
)

from cdk_workspaces_image import NoUpdateBehavior, UpdatedWorkspaceImage

OTHER = "444455556666"
ANOTHER = "777788889999"
LABEL = "share_with_accounts (ShareWithAccounts)"


def image_properties(**overrides: Any) -> dict[str, Any]:
    stack, _ = image_stack(**overrides)
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    properties: dict[str, Any] = resource["Properties"]
    return properties


def template_json(**overrides: Any) -> str:
    stack, _ = image_stack(**overrides)
    return json.dumps(Template.from_stack(stack).to_json(), sort_keys=True)


def agnostic_stack() -> cdk.Stack:
    """A stack whose account synth does not know: its own account is left to the handler."""
    return cdk.Stack(cdk.App(context=NO_BUNDLING), "Test")


# --- the property ----------------------------------------------------------------------------------------------------


def test_share_with_accounts_is_written_only_when_not_empty() -> None:
    assert "ShareWithAccounts" not in image_properties()
    assert "ShareWithAccounts" not in image_properties(share_with_accounts=[])
    assert image_properties(share_with_accounts=[OTHER, ANOTHER])["ShareWithAccounts"] == [OTHER, ANOTHER]
    assert image_properties(share_with_accounts=(OTHER,))["ShareWithAccounts"] == [OTHER]


def test_an_unused_or_empty_list_leaves_the_template_as_it_was() -> None:
    assert template_json(share_with_accounts=None) == template_json() == template_json(share_with_accounts=[])


def test_a_changed_list_updates_the_same_resource_and_does_not_wait_again() -> None:
    """ShareWithAccounts is no replacing property: the same logical ids, the same wait condition (whose ids change
    with a replacing value, image.py), and only ShareWithAccounts differs; the handler updates in place. The
    provider's environment names the accounts too (SHARE_ACCOUNTS: it shares with no other, trust.py), so its
    function is updated first, with that variable only."""
    before, after, none = (
        Template.from_stack(image_stack(share_with_accounts=accounts)[0]).to_json()["Resources"]
        for accounts in ([OTHER], [OTHER, ANOTHER], None)
    )
    assert set(before) == set(after) == set(none)
    changed = sorted(lid for lid in before if before[lid] != after[lid])
    image_id = next(lid for lid, r in before.items() if r["Type"] == "Custom::UpdatedWorkspaceImage")
    function_id = next(lid for lid, r in before.items() if r["Type"] == "AWS::Lambda::Function")
    assert changed == sorted([image_id, function_id])
    old, new = before[image_id]["Properties"], after[image_id]["Properties"]
    assert {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)} == {"ShareWithAccounts"}
    old_env, new_env = (r[function_id]["Properties"]["Environment"]["Variables"] for r in (before, after))
    assert {key for key in old_env if old_env[key] != new_env[key]} == {"SHARE_ACCOUNTS"}
    assert new_env["SHARE_ACCOUNTS"] == f"{OTHER},{ANOTHER}"


def test_a_list_token_is_written_as_is_and_judged_by_the_handler() -> None:
    stack = cdk.Stack(cdk.App(context=NO_BUNDLING), "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))
    accounts = cdk.CfnParameter(stack, "Accounts", type="CommaDelimitedList").value_as_list
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, share_with_accounts=accounts)
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    assert resource["Properties"]["ShareWithAccounts"] == {"Ref": "Accounts"}
    assert "ShareOwnImages" in sids(Template.from_stack(stack))


def test_token_ids_are_judged_by_the_handler_and_the_known_ones_at_synth() -> None:
    stack = cdk.Stack(cdk.App(context=NO_BUNDLING), "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))
    partner = cdk.CfnParameter(stack, "Partner", type="String").value_as_string
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, share_with_accounts=[partner, OTHER])
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    assert resource["Properties"]["ShareWithAccounts"] == [{"Ref": "Partner"}, OTHER]
    with refused(f"Test/Other: {LABEL} names 'nope'; each must be a 12-digit AWS account id, as a string"):
        UpdatedWorkspaceImage(stack, "Other", **{**PROPS, "image_name": "other"}, share_with_accounts=[partner, "nope"])


def test_an_own_account_known_only_at_deploy_time_is_the_handlers_to_judge() -> None:
    stack = agnostic_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, share_with_accounts=[ACCOUNT])
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    assert resource["Properties"]["ShareWithAccounts"] == [ACCOUNT]


# --- the rules -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "words"),
    [
        (
            {"share_with_accounts": ["12345"]},
            f"{LABEL} names '12345'; each must be a 12-digit AWS account id, as a string",
        ),
        (
            {"share_with_accounts": [444455556666]},
            f"{LABEL} names 444455556666; each must be a 12-digit AWS account id, as a string",
        ),
        (
            {"share_with_accounts": OTHER},
            f"{LABEL} '{OTHER}' must be a list of 12-digit AWS account ids",
        ),
        (
            {"share_with_accounts": [OTHER, ANOTHER, OTHER]},
            f"{LABEL} names account {OTHER} more than once",
        ),
        (
            {"share_with_accounts": [ACCOUNT]},
            f"{LABEL} names {ACCOUNT}, the stack's own account; an image is shared with other accounts",
        ),
        (
            {"share_with_accounts": [OTHER], "no_update_behavior": NoUpdateBehavior.USE_SOURCE},
            f"{LABEL} needs no_update_behavior (NoUpdateBehavior) FAIL: with USE_SOURCE the image may be the source "
            "image as is, which this resource did not make and so may not share; share the source yourself, or set "
            "no_update_behavior to FAIL",
        ),
    ],
)
def test_share_with_accounts_rules_fail_synth_naming_the_construct(override: dict[str, Any], words: str) -> None:
    with refused(f"Test/Golden: {words}"):
        image_stack(**override)


def test_every_broken_rule_is_reported_at_once() -> None:
    with refused("Test/Golden: description (Description) 'semi;colon' must match", whole=False) as raised:
        image_stack(description="semi;colon", share_with_accounts=["1", OTHER, OTHER])
    message = str(raised.value)
    assert f"{LABEL} names '1'; each must be" in message
    assert f"{LABEL} names account {OTHER} more than once" in message


def test_use_source_without_accounts_is_no_sharing() -> None:
    assert "ShareWithAccounts" not in image_properties(
        share_with_accounts=[], no_update_behavior=NoUpdateBehavior.USE_SOURCE
    )


# --- the policy ------------------------------------------------------------------------------------------------------


def test_sharing_allows_permission_changes_on_this_stacks_images_only() -> None:
    stack, _ = image_stack(share_with_accounts=[OTHER])
    share = statement_sid(Template.from_stack(stack), "ShareOwnImages")
    assert share["Action"] == "workspaces:UpdateWorkspaceImagePermission"
    assert render(share["Resource"]) == f"arn:<AWS::Partition>:workspaces:{REGION}:{ACCOUNT}:workspaceimage/*"
    assert owned_by_this_stack(share)


@pytest.mark.parametrize("accounts", [None, []])
def test_an_image_that_shares_nothing_may_still_unshare_what_an_earlier_template_shared(
    accounts: list[str] | None,
) -> None:
    """IAM changes before the resources: the Update that empties the list, or the cleanup Delete of an image
    shared under the earlier template, runs under the new policy and must still remove the permissions."""
    stack, _ = image_stack(share_with_accounts=accounts)
    share = statement_sid(Template.from_stack(stack), "ShareOwnImages")
    assert share["Action"] == "workspaces:UpdateWorkspaceImagePermission"
    assert owned_by_this_stack(share)


def test_two_sharing_images_share_one_statement() -> None:
    stack, _ = image_stack(share_with_accounts=[OTHER])
    UpdatedWorkspaceImage(stack, "Silver", **{**PROPS, "image_name": "silver"}, share_with_accounts=[ANOTHER])
    UpdatedWorkspaceImage(stack, "Bronze", **{**PROPS, "image_name": "bronze"})
    assert sids(Template.from_stack(stack)).count("ShareOwnImages") == 1


def test_cdk_nag_reports_nothing_on_a_sharing_image(tmp_path: Path) -> None:
    """The new statement is on workspaceimage/*, which the image's acknowledgement already covers."""
    app = cdk.App(context=NO_BUNDLING, outdir=str(tmp_path))
    stack = cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, share_with_accounts=[OTHER])
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    assert report["pluginReports"] == []
