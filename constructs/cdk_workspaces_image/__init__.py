"""AWS CDK construct library: an updated Amazon WorkSpaces image, created and awaited by CloudFormation."""

from .image import NoUpdateBehavior, UpdatedWorkspaceImage

__all__ = ["NoUpdateBehavior", "UpdatedWorkspaceImage"]
