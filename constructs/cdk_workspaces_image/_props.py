"""How the constructs turn their props into custom resource properties, and report broken rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional

from aws_cdk import Token
from constructs import Construct

from cdk_workspaces_image_handler import contract


def known(value: str) -> Optional[str]:
    """The value when synth knows it; None for a token, which the handler judges at deploy time."""
    return None if Token.is_unresolved(value) else value


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as WorkSpaces takes them, sorted so the template does not change with dict order."""
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def refuse(scope: Construct, problems: Sequence[str]) -> None:
    """Fail synth with every broken rule at once, naming the construct."""
    if problems:
        raise ValueError(f"{scope.node.path}: {contract.broken_rules(problems)}")
