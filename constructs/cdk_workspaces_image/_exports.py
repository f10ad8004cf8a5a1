"""A warning when an image or bundle id leaves its stack as a CloudFormation export.

CloudFormation refuses to change an export that another stack imports
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html),
so next month's replacement, which changes the id, could not deploy. CDK creates the exports itself when a
token crosses a stack boundary, during synthesis, before validation: that is when this looks for them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import CfnElement, CfnOutput, Stack
from constructs import Construct, IValidation

from ._compat import warn

ADVICE = (
    "{what} is used by another stack through a CloudFormation export ({exports}); CloudFormation refuses to "
    "change an export that is imported, so the next replacement would fail to deploy. Hand the id over in an "
    "SSM parameter instead: ssm.StringParameter(..., string_value={attribute}) here, and "
    "ssm.StringParameter.value_for_string_parameter(...) in the other stack (see the README, Cross-stack use)"
)


@jsii.implements(IValidation)
class _ExportWarning:
    def __init__(self, owner: Construct, referenced: Sequence[CfnElement], what: str, attribute: str) -> None:
        self._owner = owner
        self._ids = {Stack.of(owner).resolve(e.logical_id) for e in referenced}
        self._what = what
        self._attribute = attribute

    def validate(self) -> list[str]:
        stack = Stack.of(self._owner)
        exports = [
            str(child.node.id)
            for child in stack.node.find_all()
            if isinstance(child, CfnOutput)
            and child.export_name is not None
            and any(f'"{i}"' in json.dumps(stack.resolve(child.value)) for i in self._ids)
        ]
        if exports:
            warn(
                self._owner,
                "cdk-workspaces-image:export",
                ADVICE.format(what=self._what, exports=", ".join(sorted(exports)), attribute=self._attribute),
            )
        return []  # a warning, not an error: an export is legal, it only blocks replacements


def warn_on_exports(owner: Construct, referenced: Sequence[CfnElement], what: str, attribute: str) -> None:
    """Warn at synth if CDK exported any of `referenced` from the owner's stack."""
    owner.node.add_validation(_ExportWarning(owner, referenced, what, attribute))
