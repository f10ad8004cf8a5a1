"""The wait for an image to become AVAILABLE: the WaitConditionHandle the handler signals, the WaitCondition, and
the image id that resolves only once the wait is over. Shared by an updated image and a copy."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Optional

from aws_cdk import CfnElement, CfnWaitCondition, CfnWaitConditionHandle, CustomResource, Duration, Fn, Stack, Token
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules

from ._exports import warn_on_exports

# The longest wait for an image or a copy to become AVAILABLE when the construct names none.
DEFAULT_TIMEOUT = Duration.seconds(contract.DEFAULT_TIMEOUT_SECONDS)


def timeout_seconds(timeout: Optional[Duration]) -> Any:
    """The TimeoutSeconds property: a whole number, or the token of a deploy-time timeout; None: DEFAULT_TIMEOUT's."""
    seconds: Any = (DEFAULT_TIMEOUT if timeout is None else timeout).to_seconds()
    return seconds if Token.is_unresolved(seconds) else int(seconds)


class AvailableWait:
    """Make it before the custom resource (whose WaitHandle property is :attr:`handle_ref`), then :meth:`image_id`.

    `replacing`: the custom resource's replacing properties (and the timeout). A wait condition waits again only
    with a new handle, so the handle and the condition get new logical ids whenever one of them changes (see
    docs/design.md).
    """

    def __init__(self, scope: Construct, replacing: Mapping[str, Any]) -> None:
        self._scope = scope
        rendered = json.dumps(Stack.of(scope).resolve(replacing), sort_keys=True, separators=(",", ":"))
        self._suffix = hashlib.sha256(rendered.encode()).hexdigest()[:8]
        self.handle = CfnWaitConditionHandle(scope, f"AvailableHandle{self._suffix}")
        self.handle_ref: str = self.handle.ref

    def image_id(self, resource: CustomResource, timeout_seconds: Any, what: str, attribute: str) -> str:
        """The wait condition on `resource`, and its image id that every consumer waits for."""
        # A deploy-time timeout cannot be added to at synth; the handler still enforces the real deadline.
        wait_seconds = (
            rules.MAX_TIMEOUT_SECONDS
            if Token.is_unresolved(timeout_seconds)
            else rules.wait_condition_timeout(int(timeout_seconds))
        )
        self.wait_condition = CfnWaitCondition(
            self._scope, f"Available{self._suffix}", handle=self.handle_ref, timeout=str(wait_seconds), count=1
        )
        self.wait_condition.node.add_dependency(resource)
        # Referencing the wait condition makes every consumer wait until the image is AVAILABLE.
        image_id: str = Fn.select(0, [resource.get_att_string(contract.Attributes.IMAGE_ID), self.wait_condition.ref])
        element = resource.node.default_child
        assert isinstance(element, CfnElement)
        warn_on_exports(self._scope, [element, self.wait_condition], what, attribute)
        return image_id
