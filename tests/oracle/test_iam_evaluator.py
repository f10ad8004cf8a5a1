"""The IAM policy evaluator (aws_emulator/iam.py), rule by rule, each as the IAM User Guide states it.

Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
Principal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
NotPrincipal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
Condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
Set operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

from typing import Any

import pytest

from aws_emulator.iam import (
    Decision,
    PolicyError,
    PolicyType,
    RequestContext,
    Requester,
    Verdict,
    check_policy,
    condition,
    denial_message,
    evaluate,
    evaluate_request,
    matching,
    principal_context,
    tag_context,
)

IMAGE = "arn:aws:workspaces:eu-west-1:111122223333:workspaceimage/wsi-0123456789"
OWNER = "cdk-workspaces-image:owner"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "workspaces:DeleteWorkspaceImage", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "workspaces:DeleteWorkspaceImage", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(
    statements: list[dict[str, Any]],
    keys: dict[str, Any] | None = None,
    *,
    action: str = "workspaces:DeleteWorkspaceImage",
    resource: str = IMAGE,
) -> Decision:
    return evaluate([policy(*statements)], RequestContext(action, resource, keys or {}))


def holds(operator: str, values: Any, **context: Any) -> bool:
    """One condition on the key "k" (absent unless given)."""
    wanted = values if isinstance(values, list) else [values]
    return condition(operator, "k", wanted, context)


# ---------------------------------------------------------------- the decision


def test_no_statement_allows_so_the_request_is_implicitly_denied() -> None:
    assert decide([]) is Decision.IMPLICIT_DENY
    assert decide([allow("workspaces:CreateTags")]) is Decision.IMPLICIT_DENY


def test_an_allow_that_matches_allows() -> None:
    assert decide([allow()]) is Decision.ALLOW


def test_an_explicit_deny_wins_over_any_allow_in_any_policy() -> None:
    request = RequestContext("workspaces:DeleteWorkspaceImage", IMAGE)
    assert evaluate([policy(allow()), policy(deny())], request) is Decision.EXPLICIT_DENY
    assert evaluate([policy(deny(), allow())], request) is Decision.EXPLICIT_DENY


def test_a_deny_whose_condition_fails_does_not_apply() -> None:
    guarded = deny(Condition={"StringEquals": {"aws:ResourceTag/team": "euc"}})
    assert decide([allow(), guarded]) is Decision.ALLOW
    assert decide([allow(), guarded], {"aws:ResourceTag/team": "euc"}) is Decision.EXPLICIT_DENY


def test_a_single_statement_may_be_written_without_a_list() -> None:
    document = {"Version": "2012-10-17", "Statement": allow()}
    assert evaluate([document], RequestContext("workspaces:DeleteWorkspaceImage", IMAGE)) is Decision.ALLOW


def test_matching_names_the_statements_that_apply() -> None:
    statements = [allow(Sid="A"), deny("workspaces:CreateTags", Sid="B"), allow("*", Sid="C")]
    request = RequestContext("workspaces:DeleteWorkspaceImage", IMAGE)
    assert [s["Sid"] for s in matching([policy(*statements)], request)] == ["A", "C"]


# ---------------------------------------------------------------- Action and NotAction


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("workspaces:DeleteWorkspaceImage", Decision.ALLOW),
        ("WORKSPACES:deleteworkspaceimage", Decision.ALLOW),  # prefix and name are case insensitive
        ("workspaces:Delete*", Decision.ALLOW),
        ("workspaces:*Image", Decision.ALLOW),
        ("workspaces:DeleteWorkspaceImag?", Decision.ALLOW),
        ("*", Decision.ALLOW),
        ("workspaces:DeleteWorkspace", Decision.IMPLICIT_DENY),  # the whole name must match
        ("workspaces:DeleteWorkspaceImage?", Decision.IMPLICIT_DENY),
        ("events:DeleteWorkspaceImage", Decision.IMPLICIT_DENY),
        (["workspaces:CreateTags", "workspaces:DeleteWorkspaceImage"], Decision.ALLOW),
    ],
)
def test_action_patterns(pattern: Any, expected: Decision) -> None:
    assert decide([allow(pattern)]) is expected


def test_not_action_matches_every_action_but_those_listed() -> None:
    everything_else = {"Effect": "Allow", "NotAction": "workspaces:Delete*", "Resource": "*"}
    assert decide([everything_else]) is Decision.IMPLICIT_DENY
    assert decide([everything_else], action="workspaces:CreateTags") is Decision.ALLOW


# ---------------------------------------------------------------- Resource and NotResource


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (IMAGE, Decision.ALLOW),
        ("*", Decision.ALLOW),
        ("arn:aws:workspaces:eu-west-1:111122223333:workspaceimage/*", Decision.ALLOW),
        ("arn:aws:workspaces:*:111122223333:workspaceimage/*", Decision.ALLOW),
        ("arn:aws:workspaces:eu-west-?:111122223333:workspaceimage/wsi-0123456789", Decision.ALLOW),
        ("arn:aws:workspaces:eu-west-1:111122223333:workspacebundle/*", Decision.IMPLICIT_DENY),
        ("arn:aws:workspaces:eu-west-1:444455556666:workspaceimage/*", Decision.IMPLICIT_DENY),
        ("arn:aws:workspaces:eu-west-1:111122223333:WORKSPACEIMAGE/*", Decision.IMPLICIT_DENY),  # ARNs keep case
        ("arn:aws:workspaces:eu-west-1:111122223333:workspaceimage/wsi-01234567890", Decision.IMPLICIT_DENY),
        # A * that ends a segment may reach beyond the colons; one inside a segment may not.
        ("arn:aws:workspaces:*", Decision.ALLOW),
        ("arn:aws:work*1:111122223333:workspaceimage/*", Decision.IMPLICIT_DENY),
    ],
)
def test_resource_patterns(pattern: str, expected: Decision) -> None:
    assert decide([allow(resource=pattern)]) is expected


def test_an_action_without_resource_level_permissions_matches_only_a_star() -> None:
    scoped = allow("workspaces:DescribeWorkspaceImages", resource="arn:aws:workspaces:eu-west-1:*:workspaceimage/*")
    assert decide([scoped], action="workspaces:DescribeWorkspaceImages", resource="*") is Decision.IMPLICIT_DENY
    everywhere = allow("workspaces:DescribeWorkspaceImages", resource="*")
    assert decide([everywhere], action="workspaces:DescribeWorkspaceImages", resource="*") is Decision.ALLOW


def test_not_resource_matches_every_resource_but_those_listed() -> None:
    others = {"Effect": "Allow", "Action": "workspaces:*", "NotResource": "arn:aws:workspaces:*:*:workspaceimage/*"}
    assert decide([others]) is Decision.IMPLICIT_DENY
    bundle = "arn:aws:workspaces:eu-west-1:111122223333:workspacebundle/wsb-0123456789"
    assert decide([others], resource=bundle) is Decision.ALLOW


# ---------------------------------------------------------------- condition blocks


def test_operators_keys_are_anded_and_the_values_of_one_key_ored() -> None:
    both = allow(
        Condition={
            "StringEquals": {"aws:ResourceTag/team": ["euc", "ops"], "aws:ResourceTag/env": "prod"},
            "Null": {"aws:ResourceTag/owner": "false"},
        }
    )
    tags = {"aws:ResourceTag/team": "ops", "aws:ResourceTag/env": "prod"}
    assert decide([both], {**tags, "aws:ResourceTag/owner": "x"}) is Decision.ALLOW
    assert decide([both], tags) is Decision.IMPLICIT_DENY, "the Null check fails"
    other_env = {**tags, "aws:ResourceTag/env": "dev", "aws:ResourceTag/owner": "x"}
    assert decide([both], other_env) is Decision.IMPLICIT_DENY


def test_condition_key_names_are_not_case_sensitive() -> None:
    tagged = allow(Condition={"StringEquals": {"AWS:RESOURCETAG/Team": "euc"}})
    assert decide([tagged], {"aws:ResourceTag/team": "euc"}) is Decision.ALLOW


# ---------------------------------------------------------------- string operators, with the key present


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("StringEquals", "euc", "euc", True),
        ("StringEquals", "euc", "EUC", False),  # case-sensitive
        ("StringEquals", ["ops", "euc"], "euc", True),
        ("StringEquals", "eu*", "euc", False),  # no wildcards
        ("StringNotEquals", "euc", "ops", True),
        ("StringNotEquals", ["ops", "euc"], "euc", False),  # not equal to any of them
        ("StringEqualsIgnoreCase", "EUC", "euc", True),
        ("StringNotEqualsIgnoreCase", "EUC", "euc", False),
        ("StringLike", "eu*", "euc", True),
        ("StringLike", "e?c", "euc", True),
        ("StringLike", "E*", "euc", False),
        ("StringLike", "a*", "a/b:c", True),  # * spans slashes and colons in a string
        ("StringNotLike", "eu*", "euc", False),
        ("StringNotLike", "ops*", "euc", True),
        ("Bool", "true", "true", True),
        ("Bool", True, "true", True),  # a JSON boolean in the policy
        ("Bool", "false", "true", False),
    ],
)
def test_string_operators_on_a_present_key(operator: str, values: Any, value: str, expected: bool) -> None:
    assert holds(operator, values, k=value) is expected


# ---------------------------------------------------------------- a missing key


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        # "the values do not match and the condition is false"...
        ("StringEquals", False),
        ("StringLike", False),
        ("StringEqualsIgnoreCase", False),
        ("Bool", False),
        # ... "If the policy condition requires that the key is not matched ... the condition is true."
        ("StringNotEquals", True),
        ("StringNotLike", True),
        ("StringNotEqualsIgnoreCase", True),
        # ...IfExists: a missing key makes the condition true.
        ("StringEqualsIfExists", True),
        ("StringLikeIfExists", True),
        ("StringNotEqualsIfExists", True),
        # ForAllValues: true "if there are no keys in the request"; ForAnyValue: false "for no matching key".
        ("ForAllValues:StringEquals", True),
        ("ForAllValues:StringNotEquals", True),
        ("ForAllValues:StringLike", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringNotEquals", False),
        ("ForAnyValue:StringNotLike", False),
        ("ForAnyValue:StringEqualsIfExists", True),
    ],
)
def test_a_missing_key(operator: str, expected: bool) -> None:
    assert holds(operator, "euc") is expected


def test_forallvalues_on_a_missing_key_is_why_null_guards_exist() -> None:
    """An Allow with only ForAllValues:StringEquals on aws:TagKeys allows a request that names no tags at all."""
    only_team = allow("workspaces:CreateTags", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})
    assert decide([only_team], action="workspaces:CreateTags") is Decision.ALLOW
    guarded = allow(
        "workspaces:CreateTags",
        Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}, "Null": {"aws:TagKeys": "false"}},
    )
    assert decide([guarded], action="workspaces:CreateTags") is Decision.IMPLICIT_DENY
    assert decide([guarded], {"aws:TagKeys": ("team",)}, action="workspaces:CreateTags") is Decision.ALLOW


def test_an_empty_set_of_values_is_a_null_data_set() -> None:
    assert holds("ForAllValues:StringEquals", "a", k=()) is True
    assert holds("ForAnyValue:StringEquals", "a", k=()) is False
    assert holds("Null", "true", k=()) is True


# ---------------------------------------------------------------- Null


@pytest.mark.parametrize(
    ("wanted", "context", "expected"),
    [
        ("true", {}, True),  # true: the key is absent
        ("true", {"k": "v"}, False),
        ("false", {"k": "v"}, True),  # false: the key is present and not null
        ("false", {}, False),
        ("false", {"k": ""}, True),  # an empty tag value is still a value
        (False, {"k": "v"}, True),
        (["true", "false"], {}, True),
    ],
)
def test_null(wanted: Any, context: dict[str, str], expected: bool) -> None:
    assert holds("Null", wanted, **context) is expected


# ---------------------------------------------------------------- set operators with values


@pytest.mark.parametrize(
    ("operator", "values", "request_values", "expected"),
    [
        # ForAllValues: every request value matches at least one policy value (a subset).
        ("ForAllValues:StringEquals", ["a", "b"], ("a",), True),
        ("ForAllValues:StringEquals", ["a", "b"], ("a", "b"), True),
        ("ForAllValues:StringEquals", ["a", "b"], ("a", "c"), False),
        ("ForAllValues:StringLike", ["team*"], ("team", "teamlead"), True),
        # ForAllValues with a negated operator: no request value matches a policy value.
        ("ForAllValues:StringNotEquals", [OWNER], ("team",), True),
        ("ForAllValues:StringNotEquals", [OWNER], ("team", OWNER), False),
        ("ForAllValues:StringNotLike", ["cdk-workspaces-image:*"], ("team", OWNER), False),
        # ForAnyValue: at least one request value matches.
        ("ForAnyValue:StringEquals", ["a"], ("c", "a"), True),
        ("ForAnyValue:StringEquals", ["a"], ("c", "d"), False),
        ("ForAnyValue:StringNotEquals", [OWNER], ("team", OWNER), True),
        ("ForAnyValue:StringNotEquals", [OWNER], (OWNER,), False),
        # A set operator on a single value treats it as a set of one.
        ("ForAllValues:StringEquals", ["a"], "a", True),
        # No set operator on several values (undocumented): every value must satisfy it.
        ("StringEquals", ["a"], ("a", "b"), False),
        ("StringEquals", ["a", "b"], ("a", "b"), True),
        ("StringNotEquals", [OWNER], ("team", OWNER), False),
    ],
)
def test_set_operators(operator: str, values: list[str], request_values: Any, expected: bool) -> None:
    assert holds(operator, values, k=request_values) is expected


# ---------------------------------------------------------------- the tag condition keys


def test_tag_context() -> None:
    keys = tag_context({OWNER: "abc.def"}, {"team": "euc"}, ["team"])
    assert keys == {f"aws:ResourceTag/{OWNER}": "abc.def", "aws:RequestTag/team": "euc", "aws:TagKeys": ("team",)}
    assert tag_context(tag_keys=[]) == {}, "no tag keys: aws:TagKeys is missing, not an empty set"


def test_an_ownership_condition_on_delete() -> None:
    """The condition the ownership work adds: delete only what carries the ownership tag."""
    owned = allow(Condition={"Null": {f"aws:ResourceTag/{OWNER}": "false"}})
    assert decide([owned]) is Decision.IMPLICIT_DENY
    tagged = tag_context({OWNER: "a.b.c"})
    request = RequestContext("workspaces:DeleteWorkspaceImage", IMAGE, tagged)
    assert evaluate([policy(owned)], request) is Decision.ALLOW


# ---------------------------------------------------------------- what it refuses to evaluate


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "NotAction": "x:y", "Resource": "*"},
        {"Effect": "Allow", "Action": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::${aws:username}/*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"k": "1"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"k": "2020-01-01"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Null": {"k": "maybe"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": "k"}},
    ],
)
def test_what_it_cannot_evaluate_faithfully_is_an_error(statement: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        evaluate([policy(statement)], RequestContext("workspaces:DeleteWorkspaceImage", IMAGE, {"k": "v"}))


# ---------------------------------------------------------------- the words of a denial


def test_denial_messages() -> None:
    principal = "arn:aws:sts::111122223333:assumed-role/Golden-Role-ABC/Golden-Handler-XYZ"
    request = RequestContext("workspaces:DeleteWorkspaceImage", IMAGE)
    assert denial_message(principal, request, Decision.IMPLICIT_DENY) == (
        f"User: {principal} is not authorized to perform: workspaces:DeleteWorkspaceImage on resource: {IMAGE} "
        "because no identity-based policy allows the workspaces:DeleteWorkspaceImage action"
    )
    assert denial_message(principal, request, Decision.EXPLICIT_DENY) == (
        f"User: {principal} is not authorized to perform: workspaces:DeleteWorkspaceImage on resource: {IMAGE} "
        "with an explicit deny in an identity-based policy"
    )
    anywhere = RequestContext("workspaces:DescribeWorkspaceImages", "*")
    assert denial_message(principal, anywhere, Decision.IMPLICIT_DENY) == (
        f"User: {principal} is not authorized to perform: workspaces:DescribeWorkspaceImages "
        "because no identity-based policy allows the workspaces:DescribeWorkspaceImages action"
    )
    with pytest.raises(ValueError, match="no denial"):
        denial_message(principal, request, Decision.ALLOW)


# ---------------------------------------------------------------- ARN operators


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("ArnEquals", "arn:aws:iam::111122223333:role/Provider", "arn:aws:iam::111122223333:role/Provider", True),
        ("ArnLike", "arn:aws:iam::111122223333:role/Prov*", "arn:aws:iam::111122223333:role/Provider", True),
        ("ArnEquals", "arn:aws:iam::*:role/Provider", "arn:aws:iam::111122223333:role/Provider", True),
        ("ArnLike", "arn:aws:iam::1111222233?3:role/*", "arn:aws:iam::111122223333:role/a/b", True),
        ("ArnLike", "arn:aws:iam::111122223333:role/provider", "arn:aws:iam::111122223333:role/Provider", False),
        # Each part on its own: a * matches an empty Region; the resource, the sixth part, runs to the end.
        ("ArnLike", "arn:aws:iam:*:*:role/Provider", "arn:aws:iam::111122223333:role/Provider", True),
        ("ArnLike", "arn:aws:dynamodb:*:*:table/watch", "arn:aws:dynamodb:eu-west-1:1:table/watch:x", False),
        ("ArnLike", "arn:aws:iam::111122223333:role/*", "Provider", False),  # a value that is no ARN
        ("ArnNotEquals", "arn:aws:iam::111122223333:role/Provider", "arn:aws:iam::111122223333:role/Other", True),
        ("ArnNotLike", "arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:role/Other", False),
    ],
)
def test_arn_operators(operator: str, values: Any, value: str, expected: bool) -> None:
    assert holds(operator, values, k=value) is expected


def test_an_arn_pattern_has_six_parts() -> None:
    with pytest.raises(PolicyError, match="six parts"):
        holds("ArnLike", "*", k="arn:aws:iam::111122223333:role/Provider")


def test_a_missing_key_under_an_arn_operator() -> None:
    assert holds("ArnEquals", "arn:aws:iam::1:role/r") is False
    assert holds("ArnNotEquals", "arn:aws:iam::1:role/r") is True
    assert holds("ArnLikeIfExists", "arn:aws:iam::1:role/r") is True


# ---------------------------------------------------------------- resource-based policies (one account)

ACCOUNT = "111122223333"
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/watch"
PROVIDER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Golden-ProviderRole-ABC"
PROVIDER = Requester(f"arn:aws:sts::{ACCOUNT}:assumed-role/Golden-ProviderRole-ABC/Golden-Handler-XYZ", PROVIDER_ROLE)
READER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service/Reader"
READER = Requester(f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/reader-fn", READER_ROLE)
OTHER_SESSION = Requester(f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/another-fn", READER_ROLE)
DATA_PLANE = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem"]
# The table's policy the lead engineer means to attach: only the provider's role may touch the items.
ONLY_THE_PROVIDER = policy(
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": DATA_PLANE,
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalArn": PROVIDER_ROLE}},
    }
)
SCAN_ANYTHING = policy(allow("dynamodb:Scan"))


def judge(
    requester: Requester,
    resource_policy: dict[str, Any] | None,
    identity: list[dict[str, Any]] | None = None,
    *,
    action: str = "dynamodb:Scan",
    resource: str = TABLE,
    keys: dict[str, Any] | None = None,
) -> Verdict:
    """One request by `requester`, with the principal keys AccessControl adds to every signed request."""
    context = {**principal_context(requester), **(keys or {})}
    return evaluate_request(
        identity or [],
        RequestContext(action, resource, context),
        requester=requester,
        resource_policy=resource_policy,
    )


def grant(principal: Any, effect: str = "Allow", element: str = "Principal") -> dict[str, Any]:
    return policy({"Effect": effect, element: principal, "Action": "dynamodb:Scan", "Resource": "*"})


def test_the_principal_keys_of_a_role_session_name_its_role() -> None:
    """aws:PrincipalArn: "For IAM roles, the request context returns the ARN of the role, not the ARN of the user
    that assumed the role" (reference_policies_condition-keys.html)."""
    assert principal_context(READER) == {
        "aws:PrincipalArn": READER_ROLE,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
    }
    session = READER.session_arn
    only_session = allow("dynamodb:Scan", Condition={"StringEquals": {"aws:PrincipalArn": session}})
    assert judge(READER, None, [policy(only_session)]).decision is Decision.IMPLICIT_DENY
    only_role = allow("dynamodb:Scan", Condition={"ArnEquals": {"aws:PrincipalArn": READER_ROLE}})
    assert judge(READER, None, [policy(only_role)]).decision is Decision.ALLOW, "identity policies see them too"


def test_a_deny_in_the_resource_policy_beats_an_identity_allow() -> None:
    assert judge(READER, None, [SCAN_ANYTHING]) == Verdict(Decision.ALLOW)
    assert judge(READER, ONLY_THE_PROVIDER, [SCAN_ANYTHING]) == Verdict(Decision.EXPLICIT_DENY, PolicyType.RESOURCE)
    # Every data-plane action is refused; what the policy does not name is still the identity policy's to allow.
    everything = [policy(allow("dynamodb:*"))]
    for action in DATA_PLANE:
        assert judge(READER, ONLY_THE_PROVIDER, everything, action=action).decision is Decision.EXPLICIT_DENY
    assert judge(READER, ONLY_THE_PROVIDER, everything, action="dynamodb:DescribeTable").decision is Decision.ALLOW


def test_the_provider_is_spared_by_its_role_arn_and_still_needs_an_allow() -> None:
    """The Deny has no Allow beside it: the provider's own identity-based policy allows (same account)."""
    assert judge(PROVIDER, ONLY_THE_PROVIDER, [SCAN_ANYTHING]) == Verdict(Decision.ALLOW)
    assert judge(PROVIDER, ONLY_THE_PROVIDER, []) == Verdict(Decision.IMPLICIT_DENY, PolicyType.IDENTITY)


def test_a_missing_principal_key_makes_string_not_equals_true() -> None:
    """Condition operators: a negated operator on a key the request lacks is true. A request context without the
    principal keys would be denied by the Deny above, the provider's too: the keys must be there."""
    bare = RequestContext("dynamodb:Scan", TABLE)
    verdict = evaluate_request([SCAN_ANYTHING], bare, requester=PROVIDER, resource_policy=ONLY_THE_PROVIDER)
    assert verdict == Verdict(Decision.EXPLICIT_DENY, PolicyType.RESOURCE)


def test_an_identity_deny_is_named_before_a_resource_deny() -> None:
    both = judge(READER, ONLY_THE_PROVIDER, [policy(deny("dynamodb:Scan"))])
    assert both == Verdict(Decision.EXPLICIT_DENY, PolicyType.IDENTITY)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", Decision.ALLOW),
        ({"AWS": "*"}, Decision.ALLOW),
        ({"AWS": READER_ROLE}, Decision.ALLOW),  # the role: each of its sessions
        ({"AWS": [PROVIDER_ROLE, READER.session_arn]}, Decision.ALLOW),  # the session itself
        ({"AWS": OTHER_SESSION.session_arn}, Decision.IMPLICIT_DENY),  # another session of the same role
        ({"AWS": PROVIDER_ROLE}, Decision.IMPLICIT_DENY),
        # An account principal delegates to the account: its identity-based policies must still allow.
        ({"AWS": ACCOUNT}, Decision.IMPLICIT_DENY),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Decision.IMPLICIT_DENY),
        ({"Service": "lambda.amazonaws.com"}, Decision.IMPLICIT_DENY),  # no role session is a service
    ],
)
def test_an_allow_in_the_resource_policy_alone_allows_within_the_account(principal: Any, expected: Decision) -> None:
    verdict = judge(READER, grant(principal))
    assert verdict.decision is expected
    assert judge(READER, grant(principal), [SCAN_ANYTHING]).decision is Decision.ALLOW, "an identity allow suffices"


@pytest.mark.parametrize(
    ("principal", "applies"),
    [
        ({"AWS": ACCOUNT}, True),  # every principal of the account
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, True),
        ({"AWS": READER_ROLE}, True),
        ({"AWS": READER.session_arn}, True),
        ({"AWS": OTHER_SESSION.session_arn}, False),
        ({"AWS": "444455556666"}, False),
        ({"Service": "lambda.amazonaws.com"}, False),
    ],
)
def test_whom_a_resource_deny_names(principal: Any, applies: bool) -> None:
    verdict = judge(READER, grant(principal, "Deny"), [SCAN_ANYTHING])
    assert verdict == (Verdict(Decision.EXPLICIT_DENY, PolicyType.RESOURCE) if applies else Verdict(Decision.ALLOW))


@pytest.mark.parametrize(
    ("spared", "denied"),
    [
        ([READER.session_arn, READER_ROLE, f"arn:aws:iam::{ACCOUNT}:root"], False),  # the documented form
        ([READER.session_arn, READER_ROLE, ACCOUNT], False),
        ([READER_ROLE, ACCOUNT], True),  # "AWS might validate ... then the assumed-role user": the session is not
        ([READER.session_arn, READER_ROLE], True),  # "might deny access to the AWS account and all entities in it"
        ([READER.session_arn], True),
        ([PROVIDER.session_arn, PROVIDER_ROLE, ACCOUNT], True),
        (["*"], False),
    ],
)
def test_a_deny_with_not_principal_spares_only_a_fully_listed_session(spared: list[str], denied: bool) -> None:
    verdict = judge(READER, grant({"AWS": spared}, "Deny", "NotPrincipal"), [SCAN_ANYTHING])
    assert verdict.decision is (Decision.EXPLICIT_DENY if denied else Decision.ALLOW)


def test_an_allow_with_not_principal_grants_whom_it_does_not_list() -> None:
    """ "Doing so allows all principals except the one named" (NotPrincipal With Allow)."""
    assert judge(READER, grant({"AWS": PROVIDER_ROLE}, element="NotPrincipal")).decision is Decision.ALLOW
    assert judge(READER, grant({"AWS": READER_ROLE}, element="NotPrincipal")).decision is Decision.IMPLICIT_DENY
    assert judge(READER, grant({"AWS": ACCOUNT}, element="NotPrincipal")).decision is Decision.IMPLICIT_DENY


def test_a_resource_statement_applies_only_to_the_resources_it_names() -> None:
    """ "When you specify an ARN in the Resource field of a resource-based policy, the policy takes effect only if
    the specified ARN matches the ARN of the DynamoDB resource to which it is attached" (DynamoDB rbac-examples)."""
    elsewhere = policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": f"{TABLE}-other"})
    assert judge(READER, elsewhere, [SCAN_ANYTHING]).decision is Decision.ALLOW
    indexes = policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": [TABLE, f"{TABLE}/index/*"]})
    assert judge(READER, indexes, [SCAN_ANYTHING], resource=f"{TABLE}/index/byImage").decision is Decision.EXPLICIT_DENY


def test_what_a_resource_policy_cannot_be_evaluated_for() -> None:
    scan = RequestContext("dynamodb:Scan", TABLE)
    with pytest.raises(PolicyError, match="needs the requester"):
        evaluate_request([], scan, resource_policy=ONLY_THE_PROVIDER)
    elsewhere = Requester("arn:aws:sts::444455556666:assumed-role/R/s", "arn:aws:iam::444455556666:role/R")
    with pytest.raises(PolicyError, match="cross-account"):
        evaluate_request([], scan, requester=elsewhere, resource_policy=ONLY_THE_PROVIDER)
    with pytest.raises(PolicyError, match="whose account"):
        evaluate_request([], RequestContext("dynamodb:ListTables", "*"), requester=READER, resource_policy=grant("*"))


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},  # a resource-based statement names a principal
        {"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Prov*"}, "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role"}, "Action": "*", "Resource": "*"},
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:assumed-role/R/s"},
            "Action": "*",
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "*",
            "Resource": "*",
        },
        {"Effect": "Allow", "Principal": {"AWS": []}, "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Principal": "all", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"NumericEquals": {"k": 1}}},
    ],
)
def test_what_a_resource_policy_may_not_hold_is_refused_when_it_is_put(statement: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        check_policy(policy(statement), resource_based=True)


def test_check_policy_passes_what_it_can_evaluate() -> None:
    check_policy(ONLY_THE_PROVIDER, resource_based=True)
    check_policy(SCAN_ANYTHING)
    with pytest.raises(PolicyError, match="cannot name a Principal"):
        check_policy(ONLY_THE_PROVIDER)


def test_a_denial_in_a_resource_based_policy_says_so() -> None:
    principal = "arn:aws:sts::111122223333:assumed-role/Reader/fn"
    request = RequestContext("dynamodb:Scan", TABLE)
    assert denial_message(principal, request, Decision.EXPLICIT_DENY, PolicyType.RESOURCE) == (
        f"User: {principal} is not authorized to perform: dynamodb:Scan on resource: {TABLE} "
        "with an explicit deny in a resource-based policy"
    )
