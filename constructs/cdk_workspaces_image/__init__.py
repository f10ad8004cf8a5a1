"""AWS CDK construct library: an updated Amazon WorkSpaces image, its copies, and the bundles that launch WorkSpaces
from it."""

from . import _version
from .bundle import ComputeType, WorkspaceBundle, WorkspaceBundleImage
from .copy import WorkspaceImageCopy
from .image import NoUpdateBehavior, UpdatedWorkspaceImage
from .interfaces import IWorkspaceBundle, IWorkspaceImage
from .monitor import WorkspaceImageUpdateMonitor

# Assigned here, not imported, so that its docstring is this package's (the API reference reads it here).
__version__: str = _version.__version__
"""The installed version of cdk-workspaces-image, such as ``0.1.0``."""

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
