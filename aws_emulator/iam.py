"""A pure evaluator of IAM policies: do a principal's identity-based policies, and the resource-based policy of the
resource it acts on, allow one request within one account?

Sources (AWS Identity and Access Management User Guide):
- Policy evaluation logic, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  (and .../reference_policies_evaluation-logic_policy-eval-denyallow.html): "an explicit deny in any policy
  overrides any allows"; "When an IAM entity (user or role) requests access to a resource within the same account,
  AWS evaluates all the permissions granted by the identity-based and resource-based policies ... If an action is
  allowed by an identity-based policy, a resource-based policy, or both, then AWS allows the action"; without
  either, the request is implicitly denied. Cross-account requests follow other rules (both sides must allow):
  they are refused (PolicyError) rather than guessed, the emulator being one account.
  The same page on the principal a resource-based policy names: "Resource-based policies that grant permissions to
  an IAM role ARN are limited by an implicit deny in a permissions boundary or session policy", while those naming
  a role session ARN "grant permissions directly to the assumed role session" and are not. The emulator has no
  permissions boundaries and no session policies, so both grant a session alike here; a session ARN names only
  that session, a role ARN every session of the role.
- Principal, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html: `"*"` and
  `{"AWS": "*"}` are every principal; an account id and arn:<partition>:iam::<account>:root are the same account
  principal, which "delegates authority to the account" (here: an Allow naming it grants none of the account's
  roles by itself, an identity-based policy still must; a Deny naming it applies to all of them; the page says
  this for other accounts, and a same-account test of it is undocumented: these are the readings under which an
  Allow grants least and a Deny refuses most); role ARNs; assumed-role session ARNs ("Principals must always name
  a specific session"); {"Service": ...}, which never names a role session; "You cannot use a wildcard to match
  part of a principal name or ARN". IAM users, federated users, CanonicalUser and Federated principals are not
  modelled (PolicyError).
- NotPrincipal, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
  "If an assumed-role user ... is being evaluated, AWS might validate the account first, then the role, and then
  the assumed-role user", so its examples list all three. Here a Deny with NotPrincipal spares a session only if
  its account, its role and the session itself are all listed, and an Allow with NotPrincipal grants only a
  session none of whose three is listed ("might": the readings under which a Deny refuses most and an Allow
  grants least).
- Global condition keys, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html:
  aws:PrincipalArn ("For IAM roles, the request context returns the ARN of the role, not the ARN of the user that
  assumed the role"), aws:PrincipalAccount, and aws:PrincipalType, which is AssumedRole for a role session
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
- IAM JSON policy elements: Action / NotAction
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html: the prefix and
  the action name are case insensitive; `*` and `?` are wildcards) and Resource / NotResource
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html: `*` and `?`
  within any ARN segment, the parts separated by colons; "If the * wildcard is the last character of a resource
  ARN segment, it can expand to match beyond the colon boundaries").
- Condition, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html:
  operators are ANDed, the keys under one operator are ANDed, the values of one key are ORed; condition key
  names are not case-sensitive.
- Condition operators, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
  "If the key that you specify in a policy condition is not present in the request context, the values do not
  match and the condition is false. If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is true. This logic applies to
  all condition operators except ...IfExists and Null check." `...IfExists`: a missing key makes the condition
  true. `Null`: `true` asks that the key be absent, `false` that it be present and not null. ARN operators:
  "Case-sensitive matching of the ARN. Each of the six colon-delimited components of the ARN is checked
  separately and each can include multi-character match wildcards (*) or single-character match wildcards (?)";
  ArnEquals and ArnLike behave identically, and so do ArnNotEquals and ArnNotLike.
- Single-valued vs. multivalued context keys,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
  `ForAllValues:` is true when every request value matches at least one policy value, "also ... if there are no
  keys in the request, or if the key values resolve to a null data set"; `ForAnyValue:` is true when at least
  one request value matches, and false "for no matching key or a null dataset".

Supported: Effect Allow/Deny; Action/NotAction; Resource/NotResource; Principal/NotPrincipal in a resource-based
policy; the condition operators StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase,
StringLike, StringNotLike, Bool, ArnEquals, ArnLike, ArnNotEquals and ArnNotLike, each with a
ForAllValues:/ForAnyValue: prefix and/or an IfExists suffix, and Null. Anything else a policy may hold
(Principal in an identity policy, policy variables `${...}`, Numeric/Date/IpAddress/Binary operators) raises
PolicyError rather than be evaluated wrongly.

Undocumented, and the choice made here: a plain operator (no set prefix) given a multivalued request value is
true only when every request value satisfies it, the reading under which an Allow grants least.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A request context value: one string, or several (a multivalued key such as aws:TagKeys).
ContextValue = str | tuple[str, ...]
PolicyDocument = Mapping[str, Any]


class PolicyError(ValueError):
    """A policy this evaluator cannot evaluate faithfully (invalid, or using what it does not support)."""


class Decision(enum.Enum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


class PolicyType(enum.Enum):
    """The kind of policy a denial names (the words of AWS's access denied messages)."""

    IDENTITY = "identity-based"
    RESOURCE = "resource-based"


@dataclass(frozen=True)
class Verdict:
    """A decision, and the kind of policy that made it: for an explicit deny the policy holding the Deny; for an
    implicit deny, identity-based (within one account an identity-based Allow would have sufficed)."""

    decision: Decision
    policy_type: PolicyType = PolicyType.IDENTITY


@dataclass(frozen=True)
class Requester:
    """Who makes a request, as a resource-based policy's Principal and the aws:Principal* keys see it: a session of an
    IAM role, the only principal the emulator issues credentials for."""

    session_arn: str  # arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>
    role_arn: str  # arn:<partition>:iam::<account>:role/<path><role name>

    @property
    def partition(self) -> str:
        return self.role_arn.split(":")[1]

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]


@dataclass(frozen=True)
class RequestContext:
    """What one authorization asks: may the principal perform `action` on `resource`, given these condition keys.

    `resource` is an ARN, or "*" for an action that supports no resource-level permissions (Service
    Authorization Reference: "If there is no value for this column, you must specify all resources ("*")").
    """

    action: str
    resource: str
    keys: Mapping[str, ContextValue] = field(default_factory=dict)


def tag_context(
    resource_tags: Mapping[str, str] | None = None,
    request_tags: Mapping[str, str] | None = None,
    tag_keys: Iterable[str] | None = None,
) -> dict[str, ContextValue]:
    """The tag condition keys of a request: aws:ResourceTag/<key> from the resource's tags, aws:RequestTag/<key>
    from the tags the request sets, aws:TagKeys (multivalued) from the tag keys it names. A request naming no
    tag keys has no aws:TagKeys at all (a missing key, not an empty set)."""
    keys: dict[str, ContextValue] = {}
    for key, value in (resource_tags or {}).items():
        keys[f"aws:ResourceTag/{key}"] = value
    for key, value in (request_tags or {}).items():
        keys[f"aws:RequestTag/{key}"] = value
    names = tuple(tag_keys or ())
    if names:
        keys["aws:TagKeys"] = names
    return keys


def principal_context(requester: Requester) -> dict[str, ContextValue]:
    """The principal's condition keys, present in every signed request (see the module): for a role session
    aws:PrincipalArn is the role's ARN, not the session's."""
    return {
        "aws:PrincipalArn": requester.role_arn,
        "aws:PrincipalAccount": requester.account,
        "aws:PrincipalType": "AssumedRole",
    }


# -- evaluation ---------------------------------------------------------------------------------------------


def evaluate(policies: Iterable[PolicyDocument], request: RequestContext) -> Decision:
    """The decision of these identity-based policies on one request: an explicit deny wins, then any allow."""
    return evaluate_request(policies, request).decision


def evaluate_request(
    identity_policies: Iterable[PolicyDocument],
    request: RequestContext,
    *,
    requester: Requester | None = None,
    resource_policy: PolicyDocument | None = None,
) -> Verdict:
    """The decision on one request within one account: an explicit deny in the identity-based policies or in the
    resource's resource-based policy wins; otherwise an Allow in either allows; otherwise an implicit deny.

    A resource-based policy names principals, so it needs the `requester`; and it must be of the requester's own
    account (the resource's ARN says whose), since cross-account evaluation is not modelled. Which policy a denial
    names when both hold an applicable Deny is undocumented: the identity-based one, evaluated first.
    """
    context = {key.lower(): value for key, value in request.keys.items()}
    allowed = False
    for policy in identity_policies:
        for statement in statements(policy):
            if not _applies(statement, request, context):
                continue
            if statement["Effect"] == "Deny":
                return Verdict(Decision.EXPLICIT_DENY, PolicyType.IDENTITY)
            allowed = True
    if resource_policy is not None:
        if requester is None:
            raise PolicyError("a resource-based policy names principals: evaluating it needs the requester")
        _same_account(request.resource, requester)
        for statement in statements(resource_policy, resource_based=True):
            if not _applies(statement, request, context) or not _principal_applies(statement, requester):
                continue
            if statement["Effect"] == "Deny":
                return Verdict(Decision.EXPLICIT_DENY, PolicyType.RESOURCE)
            allowed = True
    return Verdict(Decision.ALLOW if allowed else Decision.IMPLICIT_DENY)


def _same_account(resource: str, requester: Requester) -> None:
    parts = resource.split(":", 5)
    if len(parts) != 6 or not parts[4]:
        raise PolicyError(f"a resource-based policy on {resource!r}: the emulator cannot tell whose account it is in")
    if parts[4] != requester.account or parts[1] != requester.partition:
        raise PolicyError(
            f"{requester.session_arn} acting on {resource} is a cross-account request: its evaluation is not modelled"
        )


def matching(policies: Iterable[PolicyDocument], request: RequestContext) -> list[Mapping[str, Any]]:
    """The statements that apply to this request, Allow and Deny alike (to say which statement decided)."""
    context = {key.lower(): value for key, value in request.keys.items()}
    return [s for policy in policies for s in statements(policy) if _applies(s, request, context)]


def statements(policy: PolicyDocument, *, resource_based: bool = False) -> list[Mapping[str, Any]]:
    """The statements of a policy document, checked: a single statement may be written without a list. A
    resource-based policy's statements each name a Principal or NotPrincipal; an identity-based one's never do."""
    if not isinstance(policy, Mapping):
        raise PolicyError(f"a policy document must be an object, not {type(policy).__name__}")
    raw = policy.get("Statement")
    found = [raw] if isinstance(raw, Mapping) else list(raw or [])
    for statement in found:
        _check(statement, resource_based)
    return found


def check_policy(policy: PolicyDocument, *, resource_based: bool = False) -> None:
    """Refuse (PolicyError) a policy this evaluator could not evaluate, whatever the request: what a service that
    stores a policy checks when it is put, rather than at the first request its statements apply to."""
    for statement in statements(policy, resource_based=resource_based):
        for element in ("Action", "NotAction", "Resource", "NotResource"):
            if element in statement:
                _strings(statement[element])
        for operator, block in statement.get("Condition", {}).items():
            for key, values in _block(operator, block).items():
                condition(operator, key, values, {})


def _check(statement: Any, resource_based: bool) -> None:
    if not isinstance(statement, Mapping):
        raise PolicyError(f"a statement must be an object, not {statement!r}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError(f"Effect must be Allow or Deny, not {statement.get('Effect')!r}")
    if ("Action" in statement) == ("NotAction" in statement):
        raise PolicyError("a statement needs exactly one of Action and NotAction")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise PolicyError("a statement needs exactly one of Resource and NotResource")
    named = [element for element in ("Principal", "NotPrincipal") if element in statement]
    if not resource_based and named:
        raise PolicyError("an identity-based policy cannot name a Principal")
    if resource_based:
        if len(named) != 1:
            raise PolicyError("a resource-based statement needs exactly one of Principal and NotPrincipal")
        _principals(statement[named[0]])
    condition = statement.get("Condition", {})
    if not isinstance(condition, Mapping):
        raise PolicyError(f"Condition must be an object, not {condition!r}")


def _applies(statement: Mapping[str, Any], request: RequestContext, context: Mapping[str, ContextValue]) -> bool:
    if "Action" in statement:
        if not any(_action_matches(p, request.action) for p in _strings(statement["Action"])):
            return False
    elif any(_action_matches(p, request.action) for p in _strings(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_resource_matches(p, request.resource) for p in _strings(statement["Resource"])):
            return False
    elif any(_resource_matches(p, request.resource) for p in _strings(statement["NotResource"])):
        return False
    return all(
        condition(operator, key, values, context)
        for operator, block in statement.get("Condition", {}).items()
        for key, values in _block(operator, block).items()
    )


def _block(operator: str, block: Any) -> Mapping[str, Any]:
    if not isinstance(block, Mapping):
        raise PolicyError(f"the {operator} condition must map keys to values, not {block!r}")
    return block


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in items:
        if isinstance(item, bool):
            text = "true" if item else "false"  # JSON booleans in a condition compare as "true" / "false"
        elif isinstance(item, str | int | float):
            text = str(item)
        else:
            raise PolicyError(f"expected a string or a list of strings, not {value!r}")
        if "${" in text:
            raise PolicyError(f"policy variables are not supported: {text!r}")
        found.append(text)
    return found


def _action_matches(pattern: str, action: str) -> bool:
    return _wildcard(pattern, ignore_case=True, segments=False).fullmatch(action) is not None


def _resource_matches(pattern: str, resource: str) -> bool:
    if pattern == "*":
        return True
    return _wildcard(pattern, ignore_case=False, segments=True).fullmatch(resource) is not None


@functools.cache
def _wildcard(pattern: str, *, ignore_case: bool, segments: bool) -> re.Pattern[str]:
    """`*` any characters, `?` one; in a resource ARN both stay within their segment, except a `*` that ends a
    segment (followed by a colon or the end), which may reach beyond it."""
    parts = []
    for index, char in enumerate(pattern):
        if char == "*":
            ends_segment = index + 1 == len(pattern) or pattern[index + 1] == ":"
            parts.append(".*" if not segments or ends_segment else "[^:]*")
        elif char == "?":
            parts.append("[^:]" if segments else ".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


# -- principals -----------------------------------------------------------------------------------------------

# What a resource-based statement's Principal names of one requester: every principal, its account, its role, or
# the session itself.
_ANY, _ACCOUNT, _ROLE, _SESSION = "any", "account", "role", "session"
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_PRINCIPAL_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>[0-9]{12}):"
    r"(?P<kind>root|role/.+|assumed-role/[^/]+/[^/]+)"
)


def _principals(element: Any) -> list[tuple[str, str]]:
    """A Principal or NotPrincipal element as (kind, value) pairs: ("*", "*"), ("account", id),
    ("role", ARN), ("session", ARN) or ("service", name); PolicyError for what is not modelled."""
    if element == "*":
        return [("*", "*")]
    if not isinstance(element, Mapping) or not element:
        raise PolicyError(f'a Principal is "*" or an object such as {{"AWS": [...]}}, not {element!r}')
    found: list[tuple[str, str]] = []
    for kind, values in element.items():
        if kind not in ("AWS", "Service"):
            raise PolicyError(f"{kind} principals are not modelled")
        listed = _strings(values)
        if not listed:
            raise PolicyError(f"the {kind} principal names nobody")
        for value in listed:
            if value != "*" and ("*" in value or "?" in value):
                raise PolicyError(f"a wildcard cannot match part of a principal: {value!r}")
            if kind == "Service":
                if value == "*":
                    raise PolicyError('{"Service": "*"} is not a service principal')
                found.append(("service", value))
            else:
                found.append(_aws_principal(value))
    return found


def _aws_principal(value: str) -> tuple[str, str]:
    if value == "*":
        return ("*", "*")
    if _ACCOUNT_ID.fullmatch(value):
        return (_ACCOUNT, value)
    match = _PRINCIPAL_ARN.fullmatch(value)
    if match is None or (match["service"] == "sts") != match["kind"].startswith("assumed-role/"):
        raise PolicyError(f"the principal {value!r} is not modelled (an account, a role or a role session)")
    if match["kind"] == "root":
        return (_ACCOUNT, match["account"])
    return (_ROLE if match["kind"].startswith("role/") else _SESSION, value)


def _named(element: Any, requester: Requester) -> set[str]:
    """Which of the requester's identities (every principal, its account, its role, the session) the element names."""
    named: set[str] = set()
    for kind, value in _principals(element):
        if kind == "*":
            named.add(_ANY)
        elif kind == _ACCOUNT and value == requester.account:
            named.add(_ACCOUNT)
        elif kind == _ROLE and value == requester.role_arn:
            named.add(_ROLE)
        elif kind == _SESSION and value == requester.session_arn:
            named.add(_SESSION)
    return named


def _principal_applies(statement: Mapping[str, Any], requester: Requester) -> bool:
    """Whether a resource-based statement applies to the requester, by its Principal or NotPrincipal (the readings
    are the module's: an account principal delegates, a NotPrincipal must list the whole chain to spare it)."""
    deny = statement["Effect"] == "Deny"
    if "Principal" in statement:
        named = _named(statement["Principal"], requester)
        return bool(named) if deny else bool(named & {_ANY, _ROLE, _SESSION})
    named = _named(statement["NotPrincipal"], requester)
    if deny:
        return _ANY not in named and not {_ACCOUNT, _ROLE, _SESSION} <= named
    return not named


# -- conditions -----------------------------------------------------------------------------------------------


@functools.cache
def _like(pattern: str) -> re.Pattern[str]:
    """StringLike: `*` any characters (slashes and colons included), `?` exactly one; case-sensitive."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own with StringLike's wildcards (the sixth, the
    resource, runs to the end, colons and all); a value that is no ARN matches nothing, and a pattern of fewer parts
    (even "*": undocumented) is refused rather than guessed."""
    wanted, parts = pattern.split(":", 5), value.split(":", 5)
    if len(wanted) != 6:
        raise PolicyError(f"an ARN operator takes an ARN pattern of six parts, not {pattern!r}")
    if len(parts) != 6:
        return False
    return all(_like(w).fullmatch(p) is not None for w, p in zip(wanted, parts, strict=True))


# Each supported operator: (compare(request value, policy value), negated).
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda value, wanted: value == wanted, False),
    "StringNotEquals": (lambda value, wanted: value == wanted, True),
    "StringEqualsIgnoreCase": (lambda value, wanted: value.lower() == wanted.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda value, wanted: value.lower() == wanted.lower(), True),
    "StringLike": (lambda value, wanted: _like(wanted).fullmatch(value) is not None, False),
    "StringNotLike": (lambda value, wanted: _like(wanted).fullmatch(value) is not None, True),
    # Condition operators, "Boolean condition operators": true or false, written as strings or JSON booleans.
    "Bool": (lambda value, wanted: value.lower() == wanted.lower(), False),
    "ArnEquals": (lambda value, wanted: _arn_like(wanted, value), False),
    "ArnLike": (lambda value, wanted: _arn_like(wanted, value), False),
    "ArnNotEquals": (lambda value, wanted: _arn_like(wanted, value), True),
    "ArnNotLike": (lambda value, wanted: _arn_like(wanted, value), True),
}
_SET_PREFIXES = ("ForAllValues:", "ForAnyValue:")


def condition(operator: str, key: str, values: Any, context: Mapping[str, ContextValue]) -> bool:
    """One key under one operator of a Condition block (its policy value or values), against the request context
    (keys in lower case)."""
    policy_values = _strings(values)
    set_operator = next((p[:-1] for p in _SET_PREFIXES if operator.startswith(p)), None)
    base = operator[len(set_operator) + 1 :] if set_operator else operator
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base.removesuffix("IfExists")
    value = context.get(key.lower())
    # An empty set of values is a null data set (the set operators' page); an empty string is a value (a tag
    # may have an empty value).
    present = value is not None and value != ()
    if base == "Null":
        if set_operator or if_exists:
            raise PolicyError(f"{operator} is not a condition operator")
        wanted = {v.lower() for v in policy_values}
        if not wanted <= {"true", "false"}:
            raise PolicyError(f"Null takes true or false, not {sorted(wanted)}")
        return ("false" if present else "true") in wanted
    if base not in _OPERATORS:
        raise PolicyError(f"the condition operator {operator} is not supported by this evaluator")
    compare, negated = _OPERATORS[base]
    if not present:
        if if_exists or set_operator == "ForAllValues":
            return True
        if set_operator == "ForAnyValue":
            return False
        return negated  # the values do not match: true only for an operator that requires they don't
    assert value is not None
    request_values = value if isinstance(value, tuple) else (value,)

    def satisfied(one: str) -> bool:
        matched = any(compare(one, wanted) for wanted in policy_values)
        return not matched if negated else matched

    if set_operator == "ForAnyValue":
        return any(satisfied(v) for v in request_values)
    # ForAllValues, a single value, or (undocumented, see the module) a plain operator on several values.
    return all(satisfied(v) for v in request_values)


# -- what the service answers ---------------------------------------------------------------------------------


def denial_message(
    principal_arn: str, request: RequestContext, decision: Decision, policy_type: PolicyType = PolicyType.IDENTITY
) -> str:
    """The words of an AccessDenied, as AWS's enhanced access denied messages put them
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): "User: <principal> is not
    authorized to perform: <action> on resource: <resource> because no identity-based policy allows the <action>
    action", or "... with an explicit deny in an identity-based policy" / "... in a resource-based policy". That
    page's example for an action without resource-level permissions names no resource; so here a request on "*"
    names none either."""
    if decision is Decision.ALLOW:
        raise ValueError("an allowed request has no denial message")
    where = "" if request.resource == "*" else f" on resource: {request.resource}"
    head = f"User: {principal_arn} is not authorized to perform: {request.action}{where}"
    if decision is Decision.EXPLICIT_DENY:
        article = "an" if policy_type is PolicyType.IDENTITY else "a"
        return f"{head} with an explicit deny in {article} {policy_type.value} policy"
    return f"{head} because no {policy_type.value} policy allows the {request.action} action"
