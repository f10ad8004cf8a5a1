"""AWS CDK construct library: an updated Amazon WorkSpaces image, its copies, and the bundles that launch WorkSpaces
from it."""

from ._version import __version__
from .bundle import ComputeType, WorkspaceBundle, WorkspaceBundleImage
from .copy import WorkspaceImageCopy
from .image import NoUpdateBehavior, UpdatedWorkspaceImage
from .interfaces import IWorkspaceBundle, IWorkspaceImage
from .monitor import WorkspaceImageUpdateMonitor

__all__ = [
    "ComputeType",
    "IWorkspaceBundle",
    "IWorkspaceImage",
    "NoUpdateBehavior",
    "UpdatedWorkspaceImage",
    "WorkspaceBundle",
    "WorkspaceBundleImage",
    "WorkspaceImageCopy",
    "WorkspaceImageUpdateMonitor",
    "__version__",
]
