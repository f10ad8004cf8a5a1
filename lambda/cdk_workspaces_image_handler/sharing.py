"""Sharing an image with other accounts (share_with_accounts, UpdateWorkspaceImagePermission): the pure decisions,
and ``Sharing``, which applies them to the images one custom resource made, by the provider's record.

A permission is this resource's only when the record says it granted it: any other account an image is shared with
is someone else's, whose permission is never removed (and which keeps the image from being deleted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from . import rules
from .errors import ProviderError, ServiceError
from .kernel import made_by, resource_key
from .record import Records, shared_union, shared_without
from .workspaces import Image, WorkSpaces

log = logging.getLogger(__name__)


def stack_place(stack_id: str) -> tuple[str, str]:
    """The Region and account of a stack, from its id: `arn:<partition>:cloudformation:<region>:<account>:stack/..`."""
    parts = stack_id.split(":")
    return (parts[3], parts[4]) if len(parts) > 5 else ("", "")


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class SharePlan:
    """The permissions to grant and to remove (UpdateWorkspaceImagePermission), and the accounts the image is
    shared with that this resource did not share it with: their permissions are never touched."""

    grant: tuple[str, ...] = ()
    revoke: tuple[str, ...] = ()
    strangers: tuple[str, ...] = ()


def plan_sharing(wanted: Sequence[str], granted: Sequence[str], before: Sequence[str] = ()) -> SharePlan:
    """Share with the accounts `wanted` now; stop sharing with those this resource shared with `before` that are
    no longer wanted. A permission granted to any other account is someone else's and stays."""
    return SharePlan(
        grant=tuple(a for a in wanted if a not in granted),
        revoke=tuple(sorted(a for a in granted if a in before and a not in wanted)),
        strangers=tuple(sorted(a for a in granted if a not in wanted and a not in before)),
    )


def plan_unshare(granted: Sequence[str], ours: Sequence[str]) -> SharePlan:
    """Before a delete: remove the permissions this resource granted (`ours`); any other keeps the image."""
    return SharePlan(
        revoke=tuple(sorted(a for a in granted if a in ours)),
        strangers=tuple(sorted(a for a in granted if a not in ours)),
    )


def template_share_problem(
    image_id: str, grant: Sequence[str], named: Collection[str], granted_before: Sequence[str]
) -> str | None:
    """The provider shares only with an account the stack's template names (its environment lists them), or one the
    record says this resource granted before (a rollback returning to the list of the template before): a request
    CloudFormation sends while the resource is in progress says what it says, but the template is the stack's."""
    unnamed = [a for a in grant if a not in named and a not in granted_before]
    if not unnamed:
        return None
    return (
        f"{rules.SHARE_LABEL}: account {', '.join(unnamed)} is not one this stack's template shares with, so image "
        f"{image_id} was shared with nobody; the provider shares only with the accounts its own template names"
    )


def kept_for_strangers(image_id: str, strangers: Sequence[str]) -> str:
    """Why an image this resource made is not deleted: someone else shared it."""
    return (
        f"image {image_id} is shared with accounts {', '.join(strangers)}, which share_with_accounts does not name; "
        f"it is kept, since someone outside this stack relies on it: unshare it from them "
        f"(UpdateWorkspaceImagePermission) and delete it again, or delete it yourself"
    )


def byol_share_problem(region: str, image: Image) -> str | None:
    """A BYOL image (RequiredTenancy DEDICATED) can't be shared across accounts in AWS GovCloud (US)
    (https://docs.aws.amazon.com/workspaces/latest/adminguide/share-custom-image.html)."""
    if image.required_tenancy == "DEDICATED" and region.startswith("us-gov-"):
        return (
            f"image {image.image_id} is a Bring Your Own License image (RequiredTenancy DEDICATED), and "
            f"{rules.byol_share_words(region)}"
        )
    return None


# ---------------------------------------------------------------- the calls


class Sharing:
    """The permissions of the images one custom resource made in one Region: granted, removed when no longer
    wanted, and removed before a delete; every write only where the provider's record says this resource may."""

    def __init__(
        self,
        ws: WorkSpaces,
        records: Records,
        *,
        region: str,
        template_accounts: Collection[str],
        owner_tag: Callable[[str], str | None],
    ) -> None:
        self.ws = ws
        self.records = records
        # The Region the images are in (empty: the provider's own), as the record says it.
        self.region = region
        # The accounts the stack's template shares with (its environment): the only ones granted anew.
        self.template_accounts = template_accounts
        # The ownership tag of an image, as the lifecycle reads it.
        self.owner_tag = owner_tag

    def share(self, image_id: str, stack_id: str, logical_id: str, wanted: Sequence[str], image: Image | None) -> None:
        """Grant the accounts `wanted` that lack permission, then remove those the record says this resource granted
        that are no longer wanted. Raises ProviderError, naming the account, when a permission can't be granted;
        before any call when the record does not hold the image for this resource (or its tag disagrees); and
        before any grant when it may not be shared (BYOL in GovCloud).

        Each grant is written to the record before it is made, so that whatever happens next, the permission is
        known to be this resource's and is removed before the image is deleted."""
        entry = self.records.of(logical_id).holding(image_id)
        if entry is None or not made_by(self.owner_tag(image_id), resource_key(stack_id, logical_id)):
            raise ProviderError(
                f"image {image_id} is not in the provider's record of what this resource made, so it is not shared "
                f"with the accounts of {rules.SHARE_LABEL}; share it yourself, or let this resource make the image"
            )
        plan = plan_sharing(wanted, self.ws.shared_with(image_id, strict=True), entry.shared_with)
        problem = template_share_problem(image_id, plan.grant, self.template_accounts, entry.shared_with)
        if problem:
            raise ProviderError(problem)
        region, _ = stack_place(stack_id)
        # Only a grant can break the BYOL rule: an unshare must always be possible.
        problem = byol_share_problem(region, image) if image is not None and plan.grant else None
        if problem:
            raise ProviderError(problem)
        # Every account of the list is this resource's from now on, also one someone had granted already.
        if set(wanted) - set(entry.shared_with):
            entry = shared_union(entry, wanted)
            self.records.put(logical_id, entry)
        granted: list[str] = []
        for account in plan.grant:
            try:
                self.ws.set_image_permission(image_id, account, allow=True)
            except ServiceError as error:
                # The image is left shared as it was: whatever rolls back next need not know what this call did.
                undone = self._revoke(image_id, granted)
                self.records.put(logical_id, shared_without(entry, [a for a in plan.grant if a not in granted]))
                raise ServiceError(
                    error.code,
                    f"{rules.SHARE_LABEL}: image {image_id} could not be shared with account {account}: {error}"
                    f"{undone}",
                ) from error
            granted.append(account)
            log.info("image %s is shared with account %s", image_id, account)
        for account in plan.revoke:
            self.ws.set_image_permission(image_id, account, allow=False)
            log.info("image %s is no longer shared with account %s", image_id, account)
        if plan.revoke:
            self.records.put(logical_id, shared_without(entry, plan.revoke))
        if plan.strangers:
            log.info("image %s is also shared with %s, outside this stack; left alone", image_id, plan.strangers)

    def unshare_earlier(self, logical_id: str, current: str, wanted: Sequence[str]) -> None:
        """Stop sharing every other image the record holds for this resource with the accounts it granted that are no
        longer wanted (images kept by a removal policy or keep_previous are shared too). Raises ServiceError."""
        for entry in self.records.of(logical_id).made(self.region):
            dropped = [a for a in entry.shared_with if a not in wanted]
            if entry.resource_id == current or not dropped:
                continue
            try:
                granted = self.ws.shared_with(entry.resource_id, strict=True)
            except ServiceError as error:
                if error.code != "ResourceNotFoundException":
                    raise
                log.info("image %s is gone; dropping it from the record", entry.resource_id)
                self.records.drop(logical_id, entry)
                continue
            for account in dropped:
                if account in granted:
                    self.ws.set_image_permission(entry.resource_id, account, allow=False)
                    log.info("image %s is no longer shared with account %s", entry.resource_id, account)
            self.records.put(logical_id, shared_without(entry, dropped))

    def unshare_before_delete(self, image_id: str, ours: Sequence[str]) -> None:
        """Remove the permissions the record says this resource granted (`ours`), before the image is deleted.
        Raises ServiceError, also when the image is shared with any other account: that share is not this
        resource's to remove, and DeleteWorkspaceImage would refuse."""
        # "To delete an image that has been shared, you must unshare the image before you delete it":
        # https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html
        if not ours:
            return
        try:
            granted = self.ws.shared_with(image_id, strict=True)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            granted = []  # gone already: delete_image says so
        plan = plan_unshare(granted, ours)
        if plan.strangers:
            # What DeleteWorkspaceImage itself would answer, said before any permission of ours is removed.
            raise ServiceError("InvalidResourceStateException", kept_for_strangers(image_id, plan.strangers))
        for account in plan.revoke:
            self.ws.set_image_permission(image_id, account, allow=False)
            log.info("image %s is no longer shared with account %s", image_id, account)

    def _revoke(self, image_id: str, accounts: Sequence[str]) -> str:
        """Take back permissions just granted; say what could not be, to end a reason. Raises nothing."""
        left = []
        for account in accounts:
            try:
                self.ws.set_image_permission(image_id, account, allow=False)
            except ServiceError as error:
                log.warning("could not unshare image %s from account %s again: %s", image_id, account, error)
                left.append(account)
        if left:
            return f"; image {image_id} is still shared with {', '.join(left)}: unshare it yourself"
        return ""
