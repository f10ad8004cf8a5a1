"""AWS CDK construct library: Amazon WorkSpaces images (updated, captured from a WorkSpace, imported from an AMI or
through EC2 Image Builder), their copies, and the bundles that launch WorkSpaces from them."""

from . import _version
from .bundle import ComputeType, WorkspaceBundle, WorkspaceBundleImage
from .captured import CapturedWorkspaceImage
from .copy import WorkspaceImageCopy
from .image import NoUpdateBehavior, UpdatedWorkspaceImage
from .image_builder import (
    ImageBuilderWorkspaceImage,
    ImageComputeType,
    ImageValidationMode,
    OsVersion,
    StreamingProtocol,
)
from .imported import Application, ImportedWorkspaceImage, IngestionProcess
from .interfaces import IWorkspaceBundle, IWorkspaceImage
from .monitor import WorkspaceImageUpdateMonitor

# Assigned here, not imported, so that its docstring is this package's (the API reference reads it here).
__version__: str = _version.__version__
"""The installed version of cdk-workspaces-image, such as ``0.1.0``."""

__all__ = [
    "Application",
    "CapturedWorkspaceImage",
    "ComputeType",
    "IWorkspaceBundle",
    "IWorkspaceImage",
    "ImageBuilderWorkspaceImage",
    "ImageComputeType",
    "ImageValidationMode",
    "ImportedWorkspaceImage",
    "IngestionProcess",
    "NoUpdateBehavior",
    "OsVersion",
    "StreamingProtocol",
    "UpdatedWorkspaceImage",
    "WorkspaceBundle",
    "WorkspaceBundleImage",
    "WorkspaceImageCopy",
    "WorkspaceImageUpdateMonitor",
    "__version__",
]
