"""What a bundle needs of an image, and ``apply_to_bundle`` of a bundle: made in this app, or imported.

aws-cdk's construct libraries give each resource an interface (``IImage`` of EC2 Image Builder, ``IBucket``) and
static ``from...`` imports returning it, so that a resource made elsewhere (another stack, account or pipeline) is
used like one made here. These are those interfaces for this library, as structural protocols: any construct with
the attribute satisfies them.
"""

from __future__ import annotations

from typing import Protocol, Union, runtime_checkable

from constructs import Node


@runtime_checkable
class IWorkspaceImage(Protocol):
    """A WorkSpaces image: an ``UpdatedWorkspaceImage``, or one imported by ``UpdatedWorkspaceImage.from_image_id``."""

    @property
    def node(self) -> Node:
        """The construct tree node."""
        ...

    @property
    def image_id(self) -> str:
        """The image's id (``wsi-...``), usually a token that resolves at deploy time."""
        ...


@runtime_checkable
class IWorkspaceBundle(Protocol):
    """A WorkSpaces bundle: a ``WorkspaceBundle``, or one imported with ``WorkspaceBundle.from_bundle_id``."""

    @property
    def node(self) -> Node:
        """The construct tree node."""
        ...

    @property
    def bundle_id(self) -> str:
        """The bundle's id (``wsb-...``), usually a token that resolves at deploy time."""
        ...


def image_id_of(image: Union[str, IWorkspaceImage]) -> str:
    """The id of an image given either way; anything else is returned as given, for the rules to name."""
    return image.image_id if isinstance(image, IWorkspaceImage) else image


def bundle_id_of(bundle: Union[str, IWorkspaceBundle]) -> str:
    """The id of a bundle given either way; anything else is returned as given, for the rules to name."""
    return bundle.bundle_id if isinstance(bundle, IWorkspaceBundle) else bundle
