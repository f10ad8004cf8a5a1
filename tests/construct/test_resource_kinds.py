"""A resource type is declared once on the construct side: one ResourceKind in its module (_kind.py), which the provider
grants and serves without knowing any type by name (issue 21)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter
from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template
from support.construct import NO_BUNDLING, every_resource_type, resources

import cdk_workspaces_image
from cdk_workspaces_image._kind import Permissions, ResourceKind
from cdk_workspaces_image_handler import contract

PACKAGE = Path(cdk_workspaces_image.__file__).parent
# The contract's custom resource types, by the name of their constant.
CONTRACT_TYPES = {
    name: value
    for name, value in vars(contract).items()
    if name.endswith("_TYPE") and isinstance(value, str) and value.startswith("Custom::")
}


def declared_kinds() -> list[ResourceKind]:
    """Every ResourceKind a module of the package holds, each once (a module may import another's)."""
    kinds: dict[int, ResourceKind] = {}
    for module in pkgutil.iter_modules([str(PACKAGE)]):
        if module.ispkg:
            continue
        for value in vars(importlib.import_module(f"cdk_workspaces_image.{module.name}")).values():
            if isinstance(value, ResourceKind):
                kinds[id(value)] = value
    return list(kinds.values())


def every_permissions(kinds: list[ResourceKind]) -> list[Permissions]:
    """The kinds' permissions and everything they require, each once."""
    found: dict[int, Permissions] = {}
    pending = [kind.permissions for kind in kinds]
    while pending:
        permissions = pending.pop()
        if id(permissions) not in found:
            found[id(permissions)] = permissions
            pending += permissions.requires
    return list(found.values())


def test_each_custom_resource_type_of_the_contract_is_declared_by_one_kind() -> None:
    declared = Counter(kind.type_name for kind in declared_kinds())
    assert declared == Counter(CONTRACT_TYPES.values())


def test_no_two_statements_of_the_kinds_share_a_sid() -> None:
    """The provider adds a construct's ARNs to a statement by its Sid, and a policy's Sids tell its statements apart."""
    sids = Counter(s.sid for p in every_permissions(declared_kinds()) for s in p.statements)
    assert [sid for sid, count in sids.items() if count > 1] == []
    stack = every_resource_type(cdk.App(context=NO_BUNDLING), copies=True)
    policies = resources(Template.from_stack(stack), "AWS::IAM::Policy")
    (policy,) = [p for logical_id, p in policies.items() if "Provider" in logical_id]
    provider_sids = Counter(s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"])
    assert [sid for sid, count in provider_sids.items() if count > 1] == []
    assert set(sids) <= set(provider_sids), "a stack with every resource type has every kind's statements"


def test_the_provider_names_no_resource_type() -> None:
    """Adding a type touches its own module, not the provider: the provider reads the kind it is given."""
    source = (PACKAGE / "_provider.py").read_text()
    named = {name for name in CONTRACT_TYPES if re.search(rf"\bcontract\.{name}\b", source)}
    assert named == set()
    assert not any(value in source for value in CONTRACT_TYPES.values())
