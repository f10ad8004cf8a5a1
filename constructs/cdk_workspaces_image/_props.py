"""How the constructs turn their props into custom resource properties, and report broken rules.

The rules on values are the handler's own (contract.py): here is only how synth hands them the props.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Optional

from aws_cdk import RemovalPolicy, Token
from constructs import Construct

from cdk_workspaces_image_handler import contract


def judged(value: object) -> object:
    """The value for the contract's rules: UNKNOWN for a token, which the handler judges once it is resolved;
    anything else as given, None and wrong types included, so that they break a rule instead of being left out.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        # No token is NaN or infinite, and the jsii kernel cannot take them (JSON has neither): it would crash.
        return value
    return contract.UNKNOWN if Token.is_unresolved(value) else value


def judged_tags(tags: object) -> object:
    """A tag map for the contract's rules, each token value UNKNOWN; anything but a mapping as given."""
    if not isinstance(tags, Mapping):
        return tags
    return {key: judged(value) for key, value in tags.items()}


def is_token(value: object) -> bool:
    return judged(value) is contract.UNKNOWN


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as WorkSpaces takes them, sorted so the template does not change with dict order."""
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def removal_policy_problem(value: object) -> Optional[str]:
    """None is the construct's default; a RemovalPolicy must be one a custom resource can have."""
    if value is None:
        return None
    if not isinstance(value, RemovalPolicy):
        return contract.type_problem(contract.label_of("removal_policy", "DeletionPolicy"), value, "a RemovalPolicy")
    return contract.removal_policy_problem(value.name)


def refuse(scope: Construct, problems: Sequence[str]) -> None:
    """Fail synth with every broken rule at once, naming the construct."""
    if problems:
        raise ValueError(f"{scope.node.path}: {contract.broken_rules(problems)}")
