"""A pure evaluator of IAM identity-based policies: does this principal's policy allow one request?

Sources (AWS Identity and Access Management User Guide):
- Policy evaluation logic, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
  within one account and with identity-based policies only, "an explicit deny in any policy overrides any
  allows"; without an explicit deny, a request is allowed only if some statement allows it ("implicit deny").
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
  true. `Null`: `true` asks that the key be absent, `false` that it be present and not null.
- Single-valued vs. multivalued context keys,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
  `ForAllValues:` is true when every request value matches at least one policy value, "also ... if there are no
  keys in the request, or if the key values resolve to a null data set"; `ForAnyValue:` is true when at least
  one request value matches, and false "for no matching key or a null dataset".

Supported: Effect Allow/Deny; Action/NotAction; Resource/NotResource; the condition operators StringEquals,
StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike and Bool, each
with a ForAllValues:/ForAnyValue: prefix and/or an IfExists suffix, and Null. Anything else a policy may hold
(Principal in an identity policy, policy variables `${...}`, Numeric/Date/Arn/IpAddress/Binary operators) raises
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


# -- evaluation ---------------------------------------------------------------------------------------------


def evaluate(policies: Iterable[PolicyDocument], request: RequestContext) -> Decision:
    """The decision of these identity-based policies on one request: an explicit deny wins, then any allow."""
    context = {key.lower(): value for key, value in request.keys.items()}
    allowed = False
    for policy in policies:
        for statement in statements(policy):
            if not _applies(statement, request, context):
                continue
            if statement["Effect"] == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def matching(policies: Iterable[PolicyDocument], request: RequestContext) -> list[Mapping[str, Any]]:
    """The statements that apply to this request, Allow and Deny alike (to say which statement decided)."""
    context = {key.lower(): value for key, value in request.keys.items()}
    return [s for policy in policies for s in statements(policy) if _applies(s, request, context)]


def statements(policy: PolicyDocument) -> list[Mapping[str, Any]]:
    """The statements of a policy document, checked: a single statement may be written without a list."""
    if not isinstance(policy, Mapping):
        raise PolicyError(f"a policy document must be an object, not {type(policy).__name__}")
    raw = policy.get("Statement")
    found = [raw] if isinstance(raw, Mapping) else list(raw or [])
    for statement in found:
        _check(statement)
    return found


def _check(statement: Any) -> None:
    if not isinstance(statement, Mapping):
        raise PolicyError(f"a statement must be an object, not {statement!r}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError(f"Effect must be Allow or Deny, not {statement.get('Effect')!r}")
    if ("Action" in statement) == ("NotAction" in statement):
        raise PolicyError("a statement needs exactly one of Action and NotAction")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise PolicyError("an identity-based statement needs exactly one of Resource and NotResource")
    if "Principal" in statement or "NotPrincipal" in statement:
        raise PolicyError("an identity-based policy cannot name a Principal")
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


# -- conditions -----------------------------------------------------------------------------------------------


@functools.cache
def _like(pattern: str) -> re.Pattern[str]:
    """StringLike: `*` any characters (slashes and colons included), `?` exactly one; case-sensitive."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


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


def denial_message(principal_arn: str, request: RequestContext, decision: Decision) -> str:
    """The words of an AccessDenied, as AWS's enhanced access denied messages put them
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): "User: <principal> is not
    authorized to perform: <action> on resource: <resource> because no identity-based policy allows the <action>
    action", or "... with an explicit deny in an identity-based policy". That page's example for an action without
    resource-level permissions names no resource; so here a request on "*" names none either."""
    if decision is Decision.ALLOW:
        raise ValueError("an allowed request has no denial message")
    where = "" if request.resource == "*" else f" on resource: {request.resource}"
    head = f"User: {principal_arn} is not authorized to perform: {request.action}{where}"
    if decision is Decision.EXPLICIT_DENY:
        return f"{head} with an explicit deny in an identity-based policy"
    return f"{head} because no identity-based policy allows the {request.action} action"
