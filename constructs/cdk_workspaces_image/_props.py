"""How the constructs turn their props into custom resource properties, and report broken rules.

The rules on values are the handler's own (rules.py). What only synth can see, the whole app, is here:
which constructs of this library share a name, a bundle or an image across stacks.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Optional, TypeVar, Union

from aws_cdk import Duration, RemovalPolicy, Stack, Token, Tokenization
from constructs import Construct, IConstruct

from cdk_workspaces_image_handler import contract, rules

C = TypeVar("C", bound=Construct)


def judged(value: object) -> object:
    """The value for the contract's rules: UNKNOWN for a token, which the handler judges once it is resolved;
    anything else as given, None and wrong types included, so that they break a rule instead of being left out.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        # No token is NaN or infinite, and the jsii kernel cannot take them (JSON has neither): it would crash.
        return value
    return rules.UNKNOWN if Token.is_unresolved(value) else value


class NumberToken:
    """A number token where a string is expected (an id, a Region): no such value is ever valid, and rules.py names it
    as a wrong type, shown as CDK writes a token."""

    def __init__(self, value: float) -> None:
        self.shown = Tokenization.stringify_number(value)

    def __repr__(self) -> str:
        return f"the number token {self.shown}"


def judged_text(value: object) -> object:
    """A string prop (an id, a Region) for the contract's rules: as judged, but a number token is a wrong type, not a
    value to judge at deploy; it would otherwise reach an ARN, where CDK's TypeError names no construct."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and is_token(value):
        return NumberToken(value)
    return judged(value)


def judged_tags(tags: object) -> object:
    """A tag map for the contract's rules, each token value UNKNOWN; anything but a mapping as given."""
    if not isinstance(tags, Mapping):
        return tags
    return {key: judged(value) for key, value in tags.items()}


def judged_number(python_name: str, api_name: str, value: object) -> tuple[object, list[str]]:
    """A numeric prop (a volume size, a count) for the contract's rules, and what is wrong with its type: a number,
    or a token; None as given, for the rule to say whether it may be left out."""
    if value is None or is_token(value):
        return judged(value), []
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return rules.UNKNOWN, [rules.type_problem(rules.label_of(python_name, api_name), value, "a number")]
    return value, []


def judged_timeout(timeout: object) -> tuple[Union[float, rules.Unknown], list[str]]:
    """The timeout prop in seconds for the contract's rules (UNKNOWN for a token, or when left out: the default
    is valid), and what is wrong with its type."""
    if isinstance(timeout, Duration):
        # Not integral: CDK's own error for a fraction of a second (MustBeWholeNumber) names no construct, and
        # timeout_problem says it with the construct's path, the property and the value.
        return (rules.UNKNOWN if timeout.is_unresolved() else timeout.to_seconds(integral=False)), []
    if timeout is None:
        return rules.UNKNOWN, []
    label = rules.label_of("timeout", contract.ImageProps.TIMEOUT_SECONDS)
    return rules.UNKNOWN, [rules.type_problem(label, timeout, "a Duration")]


def judged_accounts(value: object) -> object:
    """A list of account ids for the contract's rules: UNKNOWN for a list token (a CommaDelimitedList parameter,
    ``Fn.split``), each token id UNKNOWN; None and anything but a list as given, for the rules to name."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return value
    # A list token is a list of one string that is no string token itself: only the list tells. Anything else is
    # kept from the jsii kernel, which cannot take every Python object a wrong list may hold.
    if len(value) == 1 and isinstance(value[0], str) and Token.is_unresolved([value[0]]):
        return rules.UNKNOWN
    return [judged(account) for account in value]


def is_token(value: object) -> bool:
    return judged(value) is rules.UNKNOWN


def shown(value: object) -> object:
    """A value as a reason shows it: a number token as CDK writes a token (``${Token[...]}``), as a string token
    already is; a number token is otherwise a huge negative number that means nothing to the reader."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and is_token(value):
        return Tokenization.stringify_number(value)
    return value


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as WorkSpaces takes them, sorted so the template does not change with dict order."""
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def removal_policy_problem(value: object) -> Optional[str]:
    """None is the construct's default; a RemovalPolicy must be one a custom resource can have."""
    if value is None:
        return None
    if not isinstance(value, RemovalPolicy):
        return rules.type_problem(rules.label_of("removal_policy", "DeletionPolicy"), value, "a RemovalPolicy")
    return rules.removal_policy_problem(value.name)


def construct_id_problem(scope: Construct, construct_id: object) -> Optional[str]:
    """The id of a construct a method makes under `scope` (a rule, a re-pointed bundle): CDK's own errors for one of
    another type, an empty one or one taken name no construct's path (jsii's TypeError; "Only root constructs may
    have an empty ID"; "There is already a Construct with name ...")."""
    if not isinstance(construct_id, str) or not construct_id:
        return rules.type_problem("construct_id", judged_text(construct_id), "a non-empty string")
    taken = scope.node.try_find_child(construct_id)
    if taken is not None:
        return f"construct_id {construct_id!r} is taken by {taken.node.path}; give each one an id of its own"
    return None


def refuse(scope: Construct, problems: Sequence[str]) -> None:
    """Fail synth with every broken rule at once, naming the construct."""
    if problems:
        raise ValueError(f"{scope.node.path}: {rules.broken_rules(problems)}")


# ---------------------------------------------------------------- the whole app

# This library's constructs in each app (by root), once each is valid: what the rules across stacks compare with.
# Walking the construct tree instead costs a jsii call per construct, for every construct made.
_ENROLLED: weakref.WeakKeyDictionary[IConstruct, list[Construct]] = weakref.WeakKeyDictionary()


def enrol(construct: Construct) -> None:
    """Make a construct, valid and complete, one the rules across stacks compare later ones with."""
    _ENROLLED.setdefault(construct.node.root, []).append(construct)


def enrolled(scope: Construct, kind: type[C]) -> list[C]:
    """The constructs of this kind in the app of `scope`, in the order they were made."""
    return [c for c in _ENROLLED.get(scope.node.root, []) if isinstance(c, kind)]


def _place(stack: Stack) -> tuple[Optional[str], Optional[str]]:
    """The account and Region a stack deploys to, each None where synth does not know it (environment-agnostic)."""
    return (None if Token.is_unresolved(stack.account) else stack.account), (
        None if Token.is_unresolved(stack.region) else stack.region
    )


def region_of(scope: IConstruct) -> Optional[str]:
    """The Region the stack of `scope` deploys to, when synth knows it."""
    return _place(Stack.of(scope))[1]


def shared_place(scope: IConstruct, other: IConstruct) -> Optional[str]:
    """Where `other` is, said from `scope`, when both deploy to the same account and Region; else None.

    Stacks compare by the account and Region synth knows; environment-agnostic stacks compare with each other.
    """
    mine, theirs = Stack.of(scope), Stack.of(other)
    if mine is theirs:
        return "in this stack"
    if _place(mine) != _place(theirs):
        return None
    account, region = _place(mine)
    if account is None and region is None:
        return (
            f"in stack {theirs.stack_name}, environment-agnostic like this one, so it may deploy to the same "
            "account and Region"
        )
    return f"in stack {theirs.stack_name}, which deploys to the same account and Region"


def duplicate_name_problem(
    scope: Construct,
    noun: str,
    python_name: str,
    api_name: str,
    value: object,
    others: Iterable[tuple[Construct, object]],
) -> Optional[str]:
    """A name another construct of the app gives a resource of the same kind, account and Region.

    Only names synth knows are compared: a token is judged by WorkSpaces at deploy time.
    """
    if not isinstance(value, str) or is_token(value):
        return None
    for other, name in others:
        where = shared_place(scope, other) if name == value else None
        if where:
            return (
                f"{rules.label_of(python_name, api_name)} {value!r} is also the {python_name} of {other.node.path} "
                f"({where}); choose another {python_name}: each {noun} of an account and Region needs a name of its own"
            )
    return None


def refers_to(value: object, token: str) -> bool:
    """Does `value` (a prop) carry `token`, the string of an attribute of another construct?"""
    return isinstance(value, str) and token in value


# ---------------------------------------------------------------- the Region of an environment-agnostic stack

# What each valid construct of an environment-agnostic stack needs of the stack's Region (by root): the Regions
# WorkSpaces is in that it could be deployed to, and what it names that says so.
_PLACES: weakref.WeakKeyDictionary[IConstruct, list[tuple[Construct, str, frozenset[str]]]] = (
    weakref.WeakKeyDictionary()
)


def agnostic_region_problem(scope: Construct, what: str, regions: Sequence[str]) -> Optional[str]:
    """In a stack whose Region synth does not know: `what` (a prop, as the reason shows it) allows only `regions`,
    and another construct of the stack allows none of them, so the deployment fails wherever it goes. Each alone
    is judged by its own rules; together they may still rule out every Region (issue 23: the stack's partition is
    known without its Region)."""
    stack = Stack.of(scope)
    if not Token.is_unresolved(stack.region):
        return None
    for other, other_what, allowed in _PLACES.get(scope.node.root, []):
        if Stack.of(other) is stack and not allowed.intersection(regions):
            return (
                f"{what} and {other_what} of {other.node.path} leave no Region this environment-agnostic stack could "
                f"be deployed to: the first needs one of {_few(regions)}, the second one of {_few(allowed)}, and "
                "WorkSpaces copies within one partition only; give the stack its Region (env), or put them in stacks "
                "of their own"
            )
    return None


def place(scope: Construct, what: str, regions: Sequence[str]) -> None:
    """Once `scope` is valid: the Regions its stack may be deployed to, if synth does not know its Region."""
    if Token.is_unresolved(Stack.of(scope).region):
        _PLACES.setdefault(scope.node.root, []).append((scope, what, frozenset(regions)))


def _few(regions: Iterable[str]) -> str:
    named = sorted(regions)
    if len(named) <= 4:
        return ", ".join(named)
    partitions = sorted({str(rules.partition_of(r)) for r in named})
    return f"{len(named)} Regions of partition {', '.join(partitions)} ({', '.join(named[:3])}, ...)"
