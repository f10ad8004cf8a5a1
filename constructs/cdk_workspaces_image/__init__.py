"""AWS CDK construct library: Amazon WorkSpaces images (updated, captured from a WorkSpace, imported from an AMI or
through EC2 Image Builder), their copies, and the bundles that launch WorkSpaces from them."""

# The constructs are imported on first use (PEP 562), not here: importing aws-cdk-lib starts jsii, which needs
# Node.js and takes seconds, and the status command (`python -m cdk_workspaces_image status`, the console script)
# lives in this package but needs none of it. An app's `from cdk_workspaces_image import X` reads the same.
import importlib
from typing import TYPE_CHECKING, Any

from . import _version

if TYPE_CHECKING:
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

# Each public name and the module that defines it (the TYPE_CHECKING imports above, for type checkers and IDEs).
_MODULES = {
    "Application": "imported",
    "CapturedWorkspaceImage": "captured",
    "ComputeType": "bundle",
    "IWorkspaceBundle": "interfaces",
    "IWorkspaceImage": "interfaces",
    "ImageBuilderWorkspaceImage": "image_builder",
    "ImageComputeType": "image_builder",
    "ImageValidationMode": "image_builder",
    "ImportedWorkspaceImage": "imported",
    "IngestionProcess": "imported",
    "NoUpdateBehavior": "image",
    "OsVersion": "image_builder",
    "StreamingProtocol": "image_builder",
    "UpdatedWorkspaceImage": "image",
    "WorkspaceBundle": "bundle",
    "WorkspaceBundleImage": "bundle",
    "WorkspaceImageCopy": "copy",
    "WorkspaceImageUpdateMonitor": "monitor",
}

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


if not TYPE_CHECKING:
    # Hidden from type checkers, which take the names from the imports above: a module-level __getattr__ would make
    # every attribute of the package valid to them, a misspelt construct included.

    def __getattr__(name: str) -> Any:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_MODULES})
